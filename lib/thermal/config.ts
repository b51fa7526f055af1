import { DEFAULT_GUARD } from './guard';
import { DEFAULT_MONITOR, MonitorOptions, TemperatureSource } from './monitor';
import { DEFAULT_THRESHOLDS, validateThresholds } from './state';
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

function num(v: unknown, name: string, fallback: number, min: number, max = Infinity): number {
  if (v === undefined || v === null || v === '') return fallback;
  const n = Number(v);
  if (!Number.isFinite(n) || n < min || n > max) {
    const range = max === Infinity ? `>= ${min}` : `from ${min} to ${max}`;
    throw new YoloEdgeError(`${name} must be a number ${range}, got '${String(v)}'`, 'BAD_CONFIG');
  }
  return n;
}

function text(v: unknown, fallback: string): string {
  return typeof v === 'string' ? v.trim() : fallback;
}

const SOURCES: readonly TemperatureSource[] = ['auto', 'sysfs', 'vcgencmd'];

/** Turns editor fields into monitor options, with the Pi 5 defaults for anything left empty. */
export function parseTemperatureConfig(c: TemperatureConfig): ParsedConfig {
  const source = text(c.source, 'auto') || 'auto';
  if (!SOURCES.includes(source as TemperatureSource)) throw new YoloEdgeError(`source must be one of ${SOURCES.join(', ')}, got '${source}'`, 'BAD_CONFIG');
  const d = DEFAULT_THRESHOLDS;
  const thresholds = validateThresholds({
    warm: num(c.warm, 'warm', d.warm, -273),
    hot: num(c.hot, 'hot', d.hot, -273),
    critical: num(c.critical, 'critical', d.critical, -273),
    hysteresis: num(c.hysteresis, 'hysteresis', d.hysteresis, 0),
  });
  const g = DEFAULT_GUARD;
  const guardOn = c.guard !== false && c.guard !== 'false';
  return {
    intervalMs: Math.round(1000 * num(c.interval, 'interval', 5, 0.1, MAX_INTERVAL_S)),
    monitor: {
      temperatureSource: source as TemperatureSource,
      thermalZone: text(c.thermalZone, ''),
      sysRoot: text(c.sysRoot, '') || DEFAULT_MONITOR.sysRoot,
      procRoot: text(c.procRoot, '') || DEFAULT_MONITOR.procRoot,
      // An explicitly emptied field turns vcgencmd off on machines without it.
      vcgencmd: text(c.vcgencmd, DEFAULT_MONITOR.vcgencmd),
      thresholds,
      throttleAt: num(c.throttleAt, 'throttleAt', DEFAULT_MONITOR.throttleAt, -273),
      windowSeconds: num(c.window, 'window', DEFAULT_MONITOR.windowSeconds, 1),
      guard: guardOn
        ? {
            warmFps: num(c.warmFps, 'warmFps', g.warmFps, 0),
            hotFps: num(c.hotFps, 'hotFps', g.hotFps, 0),
            criticalFps: num(c.criticalFps, 'criticalFps', g.criticalFps, 0),
            criticalPause: c.criticalPause !== false && c.criticalPause !== 'false',
          }
        : null,
    },
  };
}
