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

interface Sample {
  t: number;
  c: number;
}

/** Temperatures of the last `seconds`, capped at `maxSamples` so memory stays bounded whatever the interval. */
export class TemperatureWindow {
  private samples: Sample[] = [];

  constructor(readonly seconds: number, readonly maxSamples = 1000) {
    if (!(seconds > 0)) throw new YoloEdgeError(`window must be > 0 s, got ${seconds}`, 'BAD_CONFIG');
  }

  add(timeMs: number, celsius: number): void {
    this.samples.push({ t: timeMs, c: celsius });
    this.forget(timeMs);
    const over = this.samples.length - this.maxSamples;
    if (over > 0) this.samples.splice(0, over);
  }

  /**
   * Figures over the samples of the window that ends at `now`; null when it holds none. Samples stop coming while a
   * sensor is down, so the window is trimmed here too, or an outage would keep reporting the last figures for ever.
   */
  stats(now: number, throttleAt: number): WindowStats | null {
    this.forget(now);
    const s = this.samples;
    if (s.length === 0) return null;
    let min = Infinity;
    let max = -Infinity;
    let sum = 0;
    for (const { c } of s) {
      min = Math.min(min, c);
      max = Math.max(max, c);
      sum += c;
    }
    const fit = this.fit();
    const last = s[s.length - 1];
    return { samples: s.length, min, mean: sum / s.length, max, trendPerMinute: fit ? fit.slope * 60000 : null, secondsToThrottle: fit ? timeTo(throttleAt, fit, last) : null };
  }

  /** Drops the samples older than the window that ends at `now`. */
  private forget(now: number): void {
    const oldest = now - this.seconds * 1000;
    let drop = 0;
    while (drop < this.samples.length && this.samples[drop].t < oldest) drop++;
    if (drop > 0) this.samples.splice(0, drop);
  }

  /** Least squares c = a + slope * t, t in ms relative to the first sample to keep precision. */
  private fit(): { a: number; slope: number; t0: number } | undefined {
    const s = this.samples;
    if (s.length < 3 || s[s.length - 1].t - s[0].t < 1000) return undefined;
    const t0 = s[0].t;
    let st = 0;
    let sc = 0;
    for (const p of s) {
      st += p.t - t0;
      sc += p.c;
    }
    const mt = st / s.length;
    const mc = sc / s.length;
    let num = 0;
    let den = 0;
    for (const p of s) {
      const dt = p.t - t0 - mt;
      num += dt * (p.c - mc);
      den += dt * dt;
    }
    const slope = num / den;
    return { a: mc - slope * mt, slope, t0 };
  }
}

function timeTo(target: number, fit: { a: number; slope: number; t0: number }, last: Sample): number | null {
  const now = fit.a + fit.slope * (last.t - fit.t0);
  if (now >= target || last.c >= target) return 0;
  if (fit.slope <= 0) return null;
  return (target - now) / fit.slope / 1000;
}
