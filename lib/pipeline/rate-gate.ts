import { YoloEdgeError } from '../errors';
/** A control message from a guard: `{maxFps: n}` (0 or null lifts the limit) or `{pause: boolean}`. */
export interface RateControl {
  maxFps?: number | null;
  pause?: boolean;
}

export const CONTROL_TOPIC = 'yolo-edge/control';

/** Admits frames at no more than maxFps and none while paused; counts what it turns away. */
export class RateGate {
  maxFps = 0;
  paused = false;
  droppedByRate = 0;
  droppedByPause = 0;
  private lastAdmitted = -Infinity;

  apply(control: RateControl): void {
    if (control.pause !== undefined) this.paused = !!control.pause;
    if (control.maxFps !== undefined) {
      const n = Number(control.maxFps ?? 0);
      if (!Number.isFinite(n) || n < 0) throw new YoloEdgeError(`maxFps must be a number >= 0, got ${String(control.maxFps)}`, 'BAD_PAYLOAD');
      this.maxFps = n;
    }
  }

  /** True when a frame arriving at `now` (ms) may go on. */
  admit(now: number): boolean {
    if (this.paused) {
      this.droppedByPause++;
      return false;
    }
    if (this.maxFps > 0 && now - this.lastAdmitted < 1000 / this.maxFps) {
      this.droppedByRate++;
      return false;
    }
    this.lastAdmitted = now;
    return true;
  }
}

export function isRateControl(v: unknown): v is RateControl {
  if (!v || typeof v !== 'object') return false;
  const o = v as Record<string, unknown>;
  return 'maxFps' in o || 'pause' in o;
}
