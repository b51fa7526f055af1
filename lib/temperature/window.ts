import { YoloEdgeError } from '../errors';
export interface WindowStats {
  samples: number;
  min: number;
  mean: number;
  max: number;
  /** Least-squares slope in C per minute; null with fewer than 3 samples or under 1 s of span. */
  trendPerMinute: number | null;
  /** Seconds until the fitted line reaches the throttle temperature; 0 when already there, null when not rising. */
  secondsToThrottle: number | null;
}

/**
 * Samples that came within one slice of the window, summed so that min, max, mean and the least-squares fit over
 * them stay exact: t relative to the bucket's first sample keeps the sums precise.
 */
interface Bucket {
  t0: number;
  tLast: number;
  cLast: number;
  n: number;
  min: number;
  max: number;
  sumC: number;
  sumT: number;
  sumTT: number;
  sumTC: number;
}

/**
 * Temperatures of the last `seconds`. Memory stays bounded whatever the interval: samples closer together than
 * seconds / maxSamples share a bucket, so at most about maxSamples buckets cover the whole window (a cap on the
 * sample count instead would shrink a long window to its last maxSamples readings).
 */
export class TemperatureWindow {
  private buckets: Bucket[] = [];
  private readonly sliceMs: number;

  constructor(readonly seconds: number, readonly maxSamples = 1000) {
    if (!(seconds > 0)) throw new YoloEdgeError(`window must be > 0 s, got ${seconds}`, 'BAD_CONFIG');
    this.sliceMs = (seconds * 1000) / maxSamples;
  }

  /** Buckets held now (each one or more samples). */
  get size(): number {
    return this.buckets.length;
  }

  add(timeMs: number, celsius: number): void {
    this.forget(timeMs);
    let b = this.buckets[this.buckets.length - 1];
    if (!b || timeMs - b.t0 >= this.sliceMs) {
      b = { t0: timeMs, tLast: timeMs, cLast: celsius, n: 0, min: Infinity, max: -Infinity, sumC: 0, sumT: 0, sumTT: 0, sumTC: 0 };
      this.buckets.push(b);
    }
    const dt = timeMs - b.t0;
    b.tLast = timeMs;
    b.cLast = celsius;
    b.n++;
    b.min = Math.min(b.min, celsius);
    b.max = Math.max(b.max, celsius);
    b.sumC += celsius;
    b.sumT += dt;
    b.sumTT += dt * dt;
    b.sumTC += dt * celsius;
  }

  /**
   * Figures over the samples of the window that ends at `now`; null when it holds none. Samples stop coming while a
   * sensor is down, so the window is trimmed here too, or an outage would keep reporting the last figures for ever.
   */
  stats(now: number, throttleAt: number): WindowStats | null {
    this.forget(now);
    const bs = this.buckets;
    if (bs.length === 0) return null;
    let min = Infinity;
    let max = -Infinity;
    let sum = 0;
    let n = 0;
    for (const b of bs) {
      min = Math.min(min, b.min);
      max = Math.max(max, b.max);
      sum += b.sumC;
      n += b.n;
    }
    const fit = this.fit(n);
    const last = bs[bs.length - 1];
    return { samples: n, min, mean: sum / n, max, trendPerMinute: fit ? fit.slope * 60000 : null, secondsToThrottle: fit ? timeTo(throttleAt, fit, last) : null };
  }

  /** Drops the buckets whose samples are all older than the window that ends at `now`. */
  private forget(now: number): void {
    const oldest = now - this.seconds * 1000;
    let drop = 0;
    while (drop < this.buckets.length && this.buckets[drop].tLast < oldest) drop++;
    if (drop > 0) this.buckets.splice(0, drop);
  }

  /** Least squares c = a + slope * t over every sample held, t in ms relative to the first one. */
  private fit(n: number): { a: number; slope: number; t0: number } | undefined {
    const bs = this.buckets;
    const t0 = bs[0].t0;
    if (n < 3 || bs[bs.length - 1].tLast - t0 < 1000) return undefined;
    let st = 0;
    let sc = 0;
    let stt = 0;
    let stc = 0;
    for (const b of bs) {
      // the bucket's sums moved from its own first sample to the window's
      const o = b.t0 - t0;
      st += b.sumT + b.n * o;
      sc += b.sumC;
      stt += b.sumTT + 2 * o * b.sumT + b.n * o * o;
      stc += b.sumTC + o * b.sumC;
    }
    const mt = st / n;
    const mc = sc / n;
    const den = stt - n * mt * mt;
    if (!(den > 0)) return undefined;
    const slope = (stc - n * mt * mc) / den;
    return { a: mc - slope * mt, slope, t0 };
  }
}

function timeTo(target: number, fit: { a: number; slope: number; t0: number }, last: Bucket): number | null {
  const now = fit.a + fit.slope * (last.tLast - fit.t0);
  if (now >= target || last.cLast >= target) return 0;
  if (fit.slope <= 0) return null;
  return (target - now) / fit.slope / 1000;
}
