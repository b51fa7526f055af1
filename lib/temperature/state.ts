import { YoloEdgeError } from '../errors';
export const THERMAL_STATES = ['normal', 'warm', 'hot', 'critical'] as const;
export type ThermalState = (typeof THERMAL_STATES)[number];

/** Lower bounds (C) of warm, hot and critical, and how far below a bound the temperature must fall to leave it. */
export interface Thresholds {
  warm: number;
  hot: number;
  critical: number;
  hysteresis: number;
}

/** Pi 5: Arm throttling starts at 80 C and is hard at 85 C; warm leaves a margin to act before throttling. */
export const DEFAULT_THRESHOLDS: Thresholds = { warm: 75, hot: 80, critical: 85, hysteresis: 3 };

export function validateThresholds(t: Thresholds): Thresholds {
  const all = [t.warm, t.hot, t.critical, t.hysteresis];
  if (all.some((n) => typeof n !== 'number' || !Number.isFinite(n))) throw new YoloEdgeError('thresholds must be numbers', 'BAD_CONFIG');
  if (!(t.warm < t.hot && t.hot < t.critical)) throw new YoloEdgeError(`thresholds must rise: warm ${t.warm} < hot ${t.hot} < critical ${t.critical}`, 'BAD_CONFIG');
  if (t.hysteresis < 0) throw new YoloEdgeError(`hysteresis must be >= 0, got ${t.hysteresis}`, 'BAD_CONFIG');
  return t;
}

export interface StateChange {
  from: ThermalState;
  to: ThermalState;
}

/** Rises as soon as a bound is reached; falls a level only once the temperature is below that level's bound minus the hysteresis. */
export class ThermalStateMachine {
  private level = 0;

  constructor(readonly thresholds: Thresholds = DEFAULT_THRESHOLDS) {
    validateThresholds(thresholds);
  }

  get state(): ThermalState {
    return THERMAL_STATES[this.level];
  }

  update(celsius: number): StateChange | undefined {
    const from = this.level;
    const bounds = [-Infinity, this.thresholds.warm, this.thresholds.hot, this.thresholds.critical];
    let reached = 0;
    for (let i = 1; i < bounds.length; i++) if (celsius >= bounds[i]) reached = i;
    if (reached > this.level) {
      this.level = reached;
    } else {
      while (this.level > 0 && celsius < bounds[this.level] - this.thresholds.hysteresis) this.level--;
    }
    return this.level === from ? undefined : { from: THERMAL_STATES[from], to: THERMAL_STATES[this.level] };
  }
}
