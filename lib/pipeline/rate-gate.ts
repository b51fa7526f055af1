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

  /** Why a frame arriving at `now` (ms) is turned away (and counted), or undefined when it may go on. */
  turnAway(now: number): 'paused' | 'rate' | undefined {
    if (this.paused) {
      this.droppedByPause++;
      return 'paused';
    }
    if (this.maxFps > 0 && now - this.lastAdmitted < 1000 / this.maxFps) {
      this.droppedByRate++;
      return 'rate';
    }
    this.lastAdmitted = now;
    return undefined;
  }
}
