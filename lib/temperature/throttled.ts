import { YoloEdgeError } from '../errors';
/** The four conditions `vcgencmd get_throttled` reports, each as "now" (bits 0..3) and "since boot" (bits 16..19). */
export interface ThrottleFlags {
  underVoltage: boolean;
  armFrequencyCapped: boolean;
  throttled: boolean;
  softTempLimit: boolean;
}

export interface ThrottledStatus {
  raw: number;
  hex: string;
  now: ThrottleFlags;
  sinceBoot: ThrottleFlags;
  /** True when any "now" bit is set. */
  active: boolean;
}

function flagsAt(value: number, shift: number): ThrottleFlags {
  const bit = (n: number): boolean => ((value >>> (shift + n)) & 1) === 1;
  return { underVoltage: bit(0), armFrequencyCapped: bit(1), throttled: bit(2), softTempLimit: bit(3) };
}

export function decodeThrottled(value: number): ThrottledStatus {
  if (!Number.isInteger(value) || value < 0 || value > 0xffffffff) throw new RangeError(`not a get_throttled value: ${value}`);
  const now = flagsAt(value, 0);
  return { raw: value, hex: `0x${value.toString(16)}`, now, sinceBoot: flagsAt(value, 16), active: (value & 0xf) !== 0 };
}

/** Parses `throttled=0x50000` (the output of `vcgencmd get_throttled`). */
export function parseThrottled(text: string): ThrottledStatus {
  const m = /throttled=(0x[0-9a-f]+|\d+)/i.exec(text);
  if (!m) throw new YoloEdgeError(`unexpected get_throttled output: ${JSON.stringify(text.trim())}`, 'SENSOR_FAILED');
  return decodeThrottled(Number(m[1]));
}
