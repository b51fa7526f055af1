import { ControlPayload, FLOW_SOURCE } from './control';
import { YoloEdgeError } from '../errors';

/** One sender's limit. */
interface Limit {
  maxFps: number;
  paused: boolean;
}

/** More senders than a flow has: the limits of a hostile or runaway flow stay bounded. */
const MAX_SOURCES = 32;

/**
 * Admits frames at no more than maxFps and none while paused; counts what it turns away. Each sender (the flow, the
 * temperature guard) keeps its own limit until it lifts it: frames go at the lowest rate any sender sets, and none
 * while any sender pauses.
 */
export class RateGate {
  droppedByRate = 0;
  droppedByPause = 0;
  private readonly limits = new Map<string, Limit>();
  private lastAdmitted = -Infinity;

  /** The senders that pause, in the order they did. */
  get pausedBy(): string[] {
    return [...this.limits].filter(([, l]) => l.paused).map(([source]) => source);
  }

  // paused and maxFps are read for every frame: plain loops, nothing allocated
  get paused(): boolean {
    for (const l of this.limits.values()) if (l.paused) return true;
    return false;
  }

  /** The lowest rate any sender sets; 0 when none does. */
  get maxFps(): number {
    let min = 0;
    for (const { maxFps } of this.limits.values()) if (maxFps > 0 && (min === 0 || maxFps < min)) min = maxFps;
    return min;
  }

  /** Applies a control payload checked by parseControl: what it leaves out stays as its sender last set it. */
  apply(control: ControlPayload): void {
    const source = control.source ?? FLOW_SOURCE;
    const was = this.limits.get(source);
    const next = { maxFps: control.maxFps === undefined ? was?.maxFps ?? 0 : control.maxFps ?? 0, paused: control.pause ?? was?.paused ?? false };
    if (next.maxFps === 0 && !next.paused) {
      this.limits.delete(source);
      return;
    }
    if (!was && this.limits.size >= MAX_SOURCES) {
      throw new YoloEdgeError(`more than ${MAX_SOURCES} sources limit this node; lift a limit (maxFps 0, pause false) before another source sets one`, 'BAD_PAYLOAD');
    }
    this.limits.set(source, next);
  }

  /** Why a frame arriving at `now` (ms) is turned away (and counted), or undefined when it may go on. */
  turnAway(now: number): 'paused' | 'rate' | undefined {
    if (this.paused) {
      this.droppedByPause++;
      return 'paused';
    }
    const maxFps = this.maxFps;
    if (maxFps > 0 && now - this.lastAdmitted < 1000 / maxFps) {
      this.droppedByRate++;
      return 'rate';
    }
    this.lastAdmitted = now;
    return undefined;
  }
}
