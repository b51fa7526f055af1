// IEEE 754 half precision <-> float32 for whole arrays (Node 20 has no Float16Array; onnxruntime takes the
// bits as a Uint16Array).

let table: Float32Array | undefined;

/** All 65536 half values as float32: decoding is one lookup per element. */
function halfTable(): Float32Array {
  if (table) return table;
  table = new Float32Array(65536);
  for (let h = 0; h < 65536; h++) {
    const sign = h & 0x8000 ? -1 : 1;
    const exp = (h >> 10) & 0x1f;
    const mant = h & 0x3ff;
    if (exp === 0) table[h] = sign * mant * 2 ** -24;
    else if (exp === 31) table[h] = mant ? NaN : sign * Infinity;
    else table[h] = sign * (1 + mant / 1024) * 2 ** (exp - 15);
  }
  return table;
}

/** dst[i] = src[i] as float32, for i < src.length. */
export function fromFloat16(src: Uint16Array, dst: Float32Array): void {
  const t = halfTable();
  const n = src.length;
  for (let i = 0; i < n; i++) dst[i] = t[src[i]];
}

/** dst[i] = src[i] rounded to the nearest half (ties to even), for i < src.length. */
export function toFloat16(src: Float32Array, dst: Uint16Array): void {
  const bits = new Uint32Array(src.buffer, src.byteOffset, src.length);
  const n = src.length;
  for (let i = 0; i < n; i++) dst[i] = halfBits(bits[i]);
}

/** The half bits of one float32 given by its bits. */
export function halfBits(b: number): number {
  const sign = (b >>> 16) & 0x8000;
  const exp = (b >>> 23) & 0xff;
  let mant = b & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  const e = exp - 112; // rebias 127 -> 15
  if (e >= 31) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    let h = mant >>> shift;
    const rem = mant & ((1 << shift) - 1);
    const half = 1 << (shift - 1);
    if (rem > half || (rem === half && h & 1)) h++;
    return sign | h;
  }
  let h = (e << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  // a carry out of the mantissa rounds up into the exponent (or to infinity), as it should
  if (rem > 0x1000 || (rem === 0x1000 && h & 1)) h++;
  return sign | h;
}

/** Float32 values as half bits (a fresh array). */
export function float16Of(values: Float32Array): Uint16Array {
  const out = new Uint16Array(values.length);
  toFloat16(values, out);
  return out;
}
