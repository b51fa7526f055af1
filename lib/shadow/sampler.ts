export type SampleMode = 'percent' | 'every';

/**
 * Picks which frames the candidate also sees: every Nth, or an exact share spread evenly
 * (error diffusion, so 10% is frames 1, 11, 21...). The first frame is always picked.
 */
export class Sampler {
  private acc: number;
  private seen = 0;

  constructor(readonly mode: SampleMode, readonly value: number) {
    if (mode === 'percent' && !(value >= 0 && value <= 100)) throw new RangeError(`sample percentage must be 0..100, got ${value}`);
    if (mode === 'every' && !(Number.isInteger(value) && value >= 1)) throw new RangeError(`sample every N needs an integer N >= 1, got ${value}`);
    this.acc = this.initial();
  }

  next(): boolean {
    if (this.mode === 'every') return this.seen++ % this.value === 0;
    this.acc += this.value;
    if (this.acc < 100) return false;
    this.acc -= 100;
    return true;
  }

  reset(): void {
    this.seen = 0;
    this.acc = this.initial();
  }

  private initial(): number {
    return this.value > 0 ? 100 - this.value : 0;
  }
}
