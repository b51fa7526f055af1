import { percentile } from '../stats';
/** What one compared frame adds to the rolling window. */
export interface WindowSample {
  f1: number;
  /** Inference milliseconds of each model on the frame. */
  productionMs: number;
  candidateMs: number;
  rawDiff?: number;
}

export interface WindowSummary {
  count: number;
  capacity: number;
  meanF1: number | null;
  minF1: number | null;
  p95ProductionMs: number | null;
  p95CandidateMs: number | null;
  /** p95 candidate latency over p95 production latency (a ratio of percentiles: one slow frame does not swing it). */
  p95LatencyRatio: number | null;
  meanRawDiff: number | null;
}

/** Percentile of unsorted values (numpy's default interpolation); null when empty. */
export function percentileOrNull(values: readonly number[], p: number): number | null {
  return values.length === 0 ? null : percentile(values, p);
}

function mean(values: readonly number[]): number | null {
  return values.length ? values.reduce((a, b) => a + b, 0) / values.length : null;
}

/** The last `capacity` compared frames, in a fixed-size ring. */
export class RollingWindow {
  private readonly samples: WindowSample[] = [];
  private next = 0;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`window size must be an integer >= 1, got ${capacity}`);
  }

  get count(): number {
    return this.samples.length;
  }

  add(sample: WindowSample): void {
    if (this.samples.length < this.capacity) this.samples.push(sample);
    else this.samples[this.next] = sample;
    this.next = (this.next + 1) % this.capacity;
  }

  clear(): void {
    this.samples.length = 0;
    this.next = 0;
  }

  summary(): WindowSummary {
    const f1 = this.samples.map((s) => s.f1);
    const p95p = percentileOrNull(this.samples.map((s) => s.productionMs), 95);
    const p95c = percentileOrNull(this.samples.map((s) => s.candidateMs), 95);
    const diffs = this.samples.flatMap((s) => (s.rawDiff === undefined ? [] : [s.rawDiff]));
    return {
      count: this.samples.length,
      capacity: this.capacity,
      meanF1: mean(f1),
      minF1: f1.length ? Math.min(...f1) : null,
      p95ProductionMs: p95p,
      p95CandidateMs: p95c,
      p95LatencyRatio: p95p !== null && p95c !== null && p95p > 0 ? p95c / p95p : null,
      meanRawDiff: mean(diffs),
    };
  }
}
