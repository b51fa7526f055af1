import { ControlPayload } from './control';

/** Admits frames at no more than maxFps and none while paused; counts what it turns away. */
export class RateGate {
  maxFps = 0;
  paused = false;
  droppedByRate = 0;
  droppedByPause = 0;
  private lastAdmitted = -Infinity;

  /** Applies a control payload checked by parseControl. */
  apply(control: ControlPayload): void {
    if (control.pause !== undefined) this.paused = control.pause;
    if (control.maxFps !== undefined) this.maxFps = control.maxFps ?? 0;
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
