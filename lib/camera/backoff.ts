/** Capped exponential backoff: min, 2*min, 4*min ... max. */
export class Backoff {
  private attempt = 0;

  constructor(
    readonly minMs: number,
    readonly maxMs: number,
  ) {}

  next(): number {
    const delay = Math.min(this.maxMs, this.minMs * 2 ** Math.min(this.attempt, 30));
    this.attempt++;
    return delay;
  }

  reset(): void {
    this.attempt = 0;
  }
}
