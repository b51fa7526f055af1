import { DEFAULT_GUARD, validateGuard } from './guard';
import { DEFAULT_MONITOR, MonitorOptions, PLAUSIBLE_CELSIUS, TemperatureSource } from './monitor';
import { DEFAULT_THRESHOLDS, validateThresholds } from './state';
import { CONTROL_CHAR, fieldError, flag, folderPath, numberField, oneOf, programName, textField } from '../config/fields';
import { YoloEdgeError } from '../errors';

/** The fields of the yolo-temperature editor, as strings or numbers the way Node-RED stores them. */
export interface TemperatureConfig {
  interval?: unknown;
  source?: unknown;
  thermalZone?: unknown;
  sysRoot?: unknown;
  procRoot?: unknown;
  vcgencmd?: unknown;
  warm?: unknown;
  hot?: unknown;
  critical?: unknown;
  hysteresis?: unknown;
  throttleAt?: unknown;
  window?: unknown;
  guard?: unknown;
  warmFps?: unknown;
  hotFps?: unknown;
  criticalFps?: unknown;
  criticalPause?: unknown;
}

export interface ParsedConfig {
  intervalMs: number;
  monitor: Partial<MonitorOptions>;
}

/**
 * Longest interval in seconds: a day between readings is more than any guard wants, and Node's timers turn a
 * delay beyond 2^31-1 ms (24.8 days) into 1 ms, which would read as fast as possible.
 */
export const MAX_INTERVAL_S = 86400;

/** Largest hysteresis (C): more and a state set by a short peak may never clear at any temperature the Pi reaches. */
export const MAX_HYSTERESIS = 20;

/** A threshold (C) within the range a sensor can report; the monitor rejects readings outside it. */
function threshold(v: unknown, name: string, fallback: number): number {
  return numberField(name, v, fallback, { min: PLAUSIBLE_CELSIUS.min, max: PLAUSIBLE_CELSIUS.max });
}

/** A temperature or rate from the dialog: blank is the default, anything else within [min, max]. */
function num(v: unknown, name: string, fallback: number, min: number, max = Infinity): number {
  return numberField(name, v, fallback, { min, max });
}

const SOURCES: readonly TemperatureSource[] = ['auto', 'sysfs', 'vcgencmd'];

/** Longest zone name or type: the kernel's are under 20 characters (THERMAL_NAME_LENGTH). */
export const MAX_ZONE_NAME = 64;

/**
 * A zone's name (thermal_zone2) or type (cpu-thermal), or blank for the SoC's. A flow file's megabyte was named
 * whole in every reading's 'not found' error (payload.unavailable), and a line break split the log line.
 */
function zoneName(v: unknown): string {
  const s = textField('thermalZone', v);
  if (s.length > MAX_ZONE_NAME || CONTROL_CHAR.test(s)) throw fieldError('thermalZone', `a zone name or type of at most ${MAX_ZONE_NAME} characters on one line, like thermal_zone0 or cpu-thermal`, v);
  return s;
}

/** Turns editor fields into monitor options, with the Pi 5 defaults for anything left empty. */
export function parseTemperatureConfig(c: TemperatureConfig): ParsedConfig {
  const source = oneOf('source', c.source, SOURCES, 'auto');
  const d = DEFAULT_THRESHOLDS;
  const thresholds = validateThresholds({
    warm: threshold(c.warm, 'warm', d.warm),
    hot: threshold(c.hot, 'hot', d.hot),
    critical: threshold(c.critical, 'critical', d.critical),
    hysteresis: num(c.hysteresis, 'hysteresis', d.hysteresis, 0, MAX_HYSTERESIS),
  });
  const g = DEFAULT_GUARD;
  const guardOn = flag('guard', c.guard, true);
  // Each rate is a number >= 0 even with the guard off (the dialog keeps them); how they relate only matters with it on.
  const rates = {
    warmFps: num(c.warmFps, 'warmFps', g.warmFps, 0),
    hotFps: num(c.hotFps, 'hotFps', g.hotFps, 0),
    criticalFps: num(c.criticalFps, 'criticalFps', g.criticalFps, 0),
    criticalPause: flag('criticalPause', c.criticalPause, true),
  };
  // An explicitly emptied field turns vcgencmd off on machines without it: blank is not the default here.
  const vcgencmd = c.vcgencmd === undefined || c.vcgencmd === null ? DEFAULT_MONITOR.vcgencmd : programName('vcgencmd', c.vcgencmd);
  // every reading would fail 'vcgencmd is not configured': said once, at deploy
  if (source === 'vcgencmd' && !vcgencmd) throw new YoloEdgeError("vcgencmd must be a program name when the temperature source is vcgencmd (blank turns vcgencmd off): give it, or pick the source auto or sysfs", 'BAD_CONFIG');
  return {
    intervalMs: Math.round(1000 * num(c.interval, 'interval', 5, 0.1, MAX_INTERVAL_S)),
    monitor: {
      temperatureSource: source,
      thermalZone: zoneName(c.thermalZone),
      sysRoot: folderPath('sysRoot', c.sysRoot, DEFAULT_MONITOR.sysRoot),
      procRoot: folderPath('procRoot', c.procRoot, DEFAULT_MONITOR.procRoot),
      vcgencmd,
      thresholds,
      throttleAt: threshold(c.throttleAt, 'throttleAt', DEFAULT_MONITOR.throttleAt),
      windowSeconds: num(c.window, 'window', DEFAULT_MONITOR.windowSeconds, 1),
      guard: guardOn ? validateGuard(rates) : null,
    },
  };
}
