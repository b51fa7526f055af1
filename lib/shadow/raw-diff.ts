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
  // The running sum, max and finite count live in a Float64Array: as three loop variables V8 (Node 24) boxed a
  // heap number per element, about 10 MB of garbage per YOLOv8 output pair compared.
  const acc = new Float64Array(3); // sum, max, finite
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    // NaN or infinite in either output (d is finite only when both are): without this, an all-NaN candidate read as maxAbs 0
    if (!Number.isFinite(d)) continue;
    acc[0] += d;
    if (d > acc[1]) acc[1] = d;
    acc[2]++;
  }
  const [sum, max, finite] = acc;
  const nonFinite = a.length - finite;
  return { meanAbs: finite ? sum / finite : null, maxAbs: finite ? max : null, elements: a.length, nonFinite };
}
