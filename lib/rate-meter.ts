/** No rate is shown from fewer frames than this: one or two frames after a start say nothing about the rate. */
export const MIN_RATE_FRAMES = 3;
/** Timestamps kept at most, so a fast source cannot grow the window. */
const MAX_SAMPLES = 256;

/**
 * Frames per second from the times of the recent frames themselves (first to last), never from a wall-clock
 * window: a window that spans a start-up, an idle pause or a reconnect would count the gap as a slow rate.
 */
export class RateMeter {
  private times: number[] = [];

  /** windowMs: how far back frames count; a source with no frame for that long has no rate. */
  constructor(private readonly windowMs: number) {}

  /** Forgets every frame: on start, resume and reconnect the rate before the gap means nothing. */
  reset(): void {
    this.times = [];
  }

  tick(now: number): void {
    this.times.push(now);
    if (this.times.length > MAX_SAMPLES) this.times.shift();
  }

  /** Frames per second, or undefined until MIN_RATE_FRAMES frames came within the window. */
  rate(now: number): number | undefined {
    const from = now - this.windowMs;
    while (this.times.length > 0 && this.times[0] < from) this.times.shift();
    const n = this.times.length;
    if (n < MIN_RATE_FRAMES) return undefined;
    const span = this.times[n - 1] - this.times[0];
    return span > 0 ? ((n - 1) * 1000) / span : undefined;
  }
}
