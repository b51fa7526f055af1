/** Element-wise difference of two raw model outputs (the seed's divergence metric). */
export interface RawDiff {
  meanAbs: number;
  maxAbs: number;
  elements: number;
}

/** Mean and max absolute difference; undefined when the outputs differ in size and cannot be compared. */
export function rawDifference(a: Float32Array, b: Float32Array): RawDiff | undefined {
  if (a.length !== b.length || a.length === 0) return undefined;
  let sum = 0;
  let max = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    sum += d;
    if (d > max) max = d;
  }
  return { meanAbs: sum / a.length, maxAbs: max, elements: a.length };
}
