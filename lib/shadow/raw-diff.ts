/** Element-wise difference of two raw model outputs (the seed's divergence metric). */
export interface RawDiff {
  /** Over the elements finite in both outputs; null when there is none. */
  meanAbs: number | null;
  maxAbs: number | null;
  elements: number;
  /** Elements NaN or infinite in either output (a model that overflows, a broken quantization). */
  nonFinite: number;
}

/** Mean and max absolute difference; undefined when the outputs differ in size and cannot be compared. */
export function rawDifference(a: Float32Array, b: Float32Array): RawDiff | undefined {
  if (a.length !== b.length || a.length === 0) return undefined;
  // Plain arithmetic on two running values only: with a call (Number.isFinite) or a third value in this loop, V8's
  // mid tier (Maglev, where a busy Node-RED runs it between optimizations) boxed a number per element, about 10 MB
  // of garbage per YOLOv8 output pair compared.
  let sum = 0;
  let max = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    sum += d;
    if (d > max) max = d;
  }
  // A NaN or infinite element makes the sum so; only then are the elements looked at one by one.
  if (Number.isFinite(sum)) return { meanAbs: sum / a.length, maxAbs: max, elements: a.length, nonFinite: 0 };
  return finiteDifference(a, b);
}

/** The difference over the elements finite in both outputs: without this, an all-NaN candidate read as maxAbs 0. */
function finiteDifference(a: Float32Array, b: Float32Array): RawDiff {
  let sum = 0;
  let max = 0;
  let nonFinite = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    // d - d is 0 for a finite d and NaN otherwise; d is finite only when both elements are
    if (d - d !== 0) {
      nonFinite++;
      continue;
    }
    sum += d;
    if (d > max) max = d;
  }
  const finite = a.length - nonFinite;
  return { meanAbs: finite ? sum / finite : null, maxAbs: finite ? max : null, elements: a.length, nonFinite };
}
