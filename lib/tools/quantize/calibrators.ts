/**
 * Range collectors fed one tensor at a time, so memory stays bounded whatever the number of samples:
 * running min/max, and a fixed-size signed histogram whose range doubles (merging bin pairs) when a
 * sample goes past it.
 */

export type CalibratorKind = 'minmax' | 'percentile' | 'entropy';

export interface Range {
  min: number;
  max: number;
}

export interface Collector {
  add(data: Float32Array): void;
  range(): Range;
}

/** The range [lo, hi] widened to hold every value of data. */
function extend(lo: number, hi: number, data: Float32Array): [number, number] {
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return [lo, hi];
}

export class MinMaxCollector implements Collector {
  private min = Infinity;
  private max = -Infinity;

  add(data: Float32Array): void {
    [this.min, this.max] = extend(this.min, this.max, data);
  }

  range(): Range {
    return Number.isFinite(this.min) ? { min: this.min, max: this.max } : { min: 0, max: 0 };
  }
}

/** Histogram over [-limit, limit) with a fixed even number of bins; bin i covers limit*(2i/n - 1) upwards. */
export class Histogram {
  readonly counts: Float64Array;
  limit = 0;
  min = Infinity;
  max = -Infinity;
  total = 0;

  constructor(readonly bins = 2048) {
    if (bins % 4 !== 0) throw new Error('histogram bins must be a multiple of 4');
    this.counts = new Float64Array(bins);
  }

  add(data: Float32Array): void {
    const [lo, hi] = extend(this.min, this.max, data);
    this.min = lo;
    this.max = hi;
    const absmax = Math.max(Math.abs(lo), Math.abs(hi));
    if (this.limit === 0) this.limit = absmax > 0 ? absmax : 1e-8;
    while (absmax >= this.limit) this.grow();
    const n = this.bins;
    const k = n / (2 * this.limit);
    const c = this.counts;
    for (let i = 0; i < data.length; i++) {
      let b = Math.floor((data[i] + this.limit) * k);
      if (b >= n) b = n - 1;
      else if (b < 0) b = 0;
      c[b]++;
    }
    this.total += data.length;
  }

  /** Doubles the range: old bins pair up into the middle half. */
  private grow(): void {
    const n = this.bins;
    const old = this.counts.slice();
    this.counts.fill(0);
    for (let i = 0; i < n; i++) this.counts[n / 4 + (i >> 1)] += old[i];
    this.limit *= 2;
  }

  binWidth(): number {
    return (2 * this.limit) / this.bins;
  }

  /** Lower edge of bin i. */
  edge(i: number): number {
    return -this.limit + i * this.binWidth();
  }

  /** Value below which a fraction q of the samples lie (linear inside the bin). */
  quantile(q: number): number {
    const target = q * this.total;
    let acc = 0;
    for (let i = 0; i < this.bins; i++) {
      const c = this.counts[i];
      if (acc + c >= target && c > 0) return this.edge(i) + ((target - acc) / c) * this.binWidth();
      acc += c;
    }
    return this.edge(this.bins);
  }

  /** |x| histogram: bins/2 bins over [0, limit). */
  folded(): Float64Array {
    const half = this.bins / 2;
    const out = new Float64Array(half);
    for (let i = 0; i < half; i++) out[i] = this.counts[half + i] + this.counts[half - 1 - i];
    return out;
  }
}

/** A collector that keeps a histogram of everything it sees and derives its range from it. */
abstract class HistogramCollector implements Collector {
  protected readonly hist: Histogram;

  constructor(bins: number) {
    this.hist = new Histogram(bins);
  }

  add(data: Float32Array): void {
    this.hist.add(data);
  }

  range(): Range {
    return this.hist.total === 0 ? { min: 0, max: 0 } : this.rangeOf(this.hist);
  }

  /** The range a histogram with samples in it gives. */
  protected abstract rangeOf(h: Histogram): Range;
}

/** Two-sided percentile: the lower and upper tails beyond (100 - p)% are clipped. */
export class PercentileCollector extends HistogramCollector {
  constructor(private readonly percentile = 99.999, bins = 2048) {
    super(bins);
  }

  protected rangeOf(h: Histogram): Range {
    const tail = (100 - this.percentile) / 100;
    return { min: Math.max(h.min, Math.min(0, h.quantile(tail))), max: Math.min(h.max, Math.max(0, h.quantile(1 - tail))) };
  }
}

/**
 * Entropy (KL divergence) calibration on the |x| histogram: the threshold whose clipped and
 * requantized distribution (to `levels` levels) is closest to the observed one. Bounded to the seen min/max.
 */
export class EntropyCollector extends HistogramCollector {
  constructor(private readonly levels = 128, bins = 2048) {
    super(bins);
  }

  protected rangeOf(h: Histogram): Range {
    const folded = h.folded();
    const t = entropyThreshold(folded, this.levels) * h.binWidth();
    return { min: Math.max(h.min, -t), max: Math.min(h.max, t) };
  }
}

/** Number of |x| bins to keep (threshold in bins) with the least KL divergence. */
export function entropyThreshold(hist: Float64Array, levels: number): number {
  const n = hist.length;
  let last = n;
  while (last > 0 && hist[last - 1] === 0) last--;
  if (last <= levels) return Math.max(last, 1);
  const step = Math.max(1, Math.floor((last - levels) / 256));
  let best = last;
  let bestKl = Infinity;
  for (let i = levels; i <= last; i += step) {
    const kl = klForThreshold(hist, i, levels);
    if (kl < bestKl) {
      bestKl = kl;
      best = i;
    }
  }
  return best;
}

function klForThreshold(hist: Float64Array, i: number, levels: number): number {
  const p = hist.slice(0, i);
  let outliers = 0;
  for (let k = i; k < hist.length; k++) outliers += hist[k];
  p[i - 1] += outliers;
  const q = new Float64Array(i);
  const per = i / levels;
  for (let j = 0; j < levels; j++) {
    const start = Math.floor(j * per);
    const end = j === levels - 1 ? i : Math.floor((j + 1) * per);
    let sum = 0;
    let nonzero = 0;
    for (let k = start; k < end; k++) {
      sum += hist[k];
      if (hist[k] > 0) nonzero++;
    }
    // Q is built from the clipped histogram alone: P carries the outliers in its last bin, so clipping costs
    for (let k = start; k < end; k++) if (p[k] > 0 && nonzero > 0) q[k] = sum / nonzero;
  }
  let ps = 0;
  let qs = 0;
  for (let k = 0; k < i; k++) {
    ps += p[k];
    qs += q[k];
  }
  if (ps === 0 || qs === 0) return Infinity;
  let kl = 0;
  for (let k = 0; k < i; k++) {
    if (p[k] === 0) continue;
    const pk = p[k] / ps;
    const qk = q[k] / qs;
    kl += qk > 0 ? pk * Math.log(pk / qk) : pk * 30;
  }
  return kl;
}

export function makeCollector(kind: CalibratorKind, percentile?: number): Collector {
  if (kind === 'minmax') return new MinMaxCollector();
  if (kind === 'percentile') return new PercentileCollector(percentile);
  return new EntropyCollector();
}
