import { YoloEdgeError } from '../errors';

export interface CapturedFrame {
  jpeg: Buffer;
  /** When the frame was whole (ms since the epoch). */
  timestamp: number;
  origin?: string;
}

export interface FrameCounters {
  captured: number;
  emitted: number;
  dropped: number;
}

/** Trigger mode: the most capture requests that wait for a frame at once, on any source; more are answered BUSY. */
export const MAX_WAITING_REQUESTS = 16;

/** What a capture request gets beyond the max waiting requests. */
export function tooManyWaiting(max: number): YoloEdgeError {
  return new YoloEdgeError(`${max} capture requests are already waiting for a frame`, 'BUSY');
}

interface Waiter {
  resolve(frame: CapturedFrame): void;
  reject(err: Error): void;
  timer: NodeJS.Timeout;
}

/**
 * Back-pressure by "latest frame wins": at most one frame waits here. A frame that arrives while another is
 * still waiting replaces it and the older one is counted as dropped, so a source faster than its consumer
 * never builds a queue (on request, frames nobody asked for are replaced without being counted). Continuous mode sends at most one frame per period (the newest when the period is up;
 * period 0 for sources that already fetch at the target rate); 'on-request' sends only when asked (trigger mode).
 */
export class LatestFrameGate {
  readonly counters: FrameCounters = { captured: 0, emitted: 0, dropped: 0 };
  private slot?: CapturedFrame;
  private timer?: NodeJS.Timeout;
  private lastEmit = -Infinity;
  private paused = false;
  private readonly waiters = new Set<Waiter>();

  constructor(
    private readonly emit: (frame: CapturedFrame) => void,
    private readonly pace: number | 'on-request',
    private readonly maxWaiters = MAX_WAITING_REQUESTS,
  ) {}

  /** Frames waiting to be sent: 0 or 1. */
  get pending(): number {
    return this.slot ? 1 : 0;
  }

  put(frame: CapturedFrame): void {
    this.counters.captured++;
    if (this.paused) {
      this.lost();
      return;
    }
    if (this.waiters.size > 0) {
      // one frame answers every waiting request: each is a msg sent
      this.counters.emitted += this.waiters.size;
      for (const w of this.waiters) this.settle(w).resolve(frame);
      return;
    }
    if (this.slot) this.lost();
    this.slot = frame;
    if (this.pace !== 'on-request') this.schedule(this.pace);
  }

  /** On request: the newest frame not yet sent, or the next one within timeoutMs. */
  next(timeoutMs: number): Promise<CapturedFrame> {
    if (this.paused) return Promise.reject(new YoloEdgeError('the camera is paused', 'PAUSED'));
    const f = this.take();
    if (f) return Promise.resolve(f);
    if (this.waiters.size >= this.maxWaiters) return Promise.reject(tooManyWaiting(this.maxWaiters));
    return new Promise((resolve, reject) => {
      const w: Waiter = {
        resolve,
        reject,
        timer: setTimeout(() => this.settle(w).reject(new YoloEdgeError(`no frame within ${(timeoutMs / 1000).toFixed(1)} s`, 'NO_FRAME')), timeoutMs),
      };
      this.waiters.add(w);
    });
  }

  /** Counts a frame fetched on request (pullable sources), which never waits here. */
  passThrough(): void {
    this.counters.captured++;
    this.counters.emitted++;
  }

  setPaused(paused: boolean): void {
    this.paused = paused;
    if (paused) this.dropPending();
  }

  /** Drops the waiting frame and fails waiting requests (stop, close). */
  clear(reason: string): void {
    this.dropPending();
    for (const w of this.waiters) this.settle(w).reject(new YoloEdgeError(reason, 'STOPPED'));
  }

  private dropPending(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.slot) this.lost();
    this.slot = undefined;
  }

  /**
   * A frame that will never be sent. On request (trigger mode) nobody asked for it: a stream runs between
   * requests, and the frames nobody waits for are not lost work, so only paced sending counts them.
   */
  private lost(): void {
    if (this.pace !== 'on-request') this.counters.dropped++;
  }

  private schedule(periodMs: number): void {
    if (this.timer) return;
    // the monotonic clock: the wall clock set back an hour would hold the next frame for that hour
    const wait = this.lastEmit + periodMs - performance.now();
    if (wait <= 0) this.flush();
    else this.timer = setTimeout(() => this.flush(), wait);
  }

  private flush(): void {
    this.timer = undefined;
    const f = this.take();
    if (!f) return;
    this.lastEmit = performance.now();
    this.emit(f);
  }

  private take(): CapturedFrame | undefined {
    const f = this.slot;
    this.slot = undefined;
    if (f) this.counters.emitted++;
    return f;
  }

  private settle(w: Waiter): Waiter {
    clearTimeout(w.timer);
    this.waiters.delete(w);
    return w;
  }
}
