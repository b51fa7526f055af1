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
  let sum = 0;
  let max = 0;
  let nonFinite = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    // NaN compares false with everything: without this, an all-NaN candidate read as maxAbs 0
    if (!Number.isFinite(a[i]) || !Number.isFinite(b[i])) {
      nonFinite++;
      continue;
    }
    sum += d;
    if (d > max) max = d;
  }
  const finite = a.length - nonFinite;
  return { meanAbs: finite ? sum / finite : null, maxAbs: finite ? max : null, elements: a.length, nonFinite };
}
