/** Rounds halves to the even neighbour, as Python's round() and numpy do (Ultralytics and onnxruntime's tools). */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 ? 2 * Math.round(x / 2) : r;
}
