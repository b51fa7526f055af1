import * as os from 'os';

/** The model input's element type: float32 (pixels / 255) or uint8 (the bytes as they are). */
export type TensorElement = 'float32' | 'uint8';

export type InputTensor = Float32Array | Uint8Array;

/** Where a frame's HWC RGB rows go in an NCHW tensor of dstWidth x dstHeight (the rest is padding). */
export interface Placement {
  width: number;
  height: number;
  dstWidth: number;
  dstHeight: number;
  left: number;
  top: number;
}

const K = 1 / 255;

/** Bytes of a 3 x height x width input tensor of `element`. */
export function tensorByteLength(element: TensorElement, width: number, height: number): number {
  return 3 * width * height * (element === 'uint8' ? 1 : Float32Array.BYTES_PER_ELEMENT);
}

/** A typed view of `n` tensor values of `element` at the start of `buffer`. */
export function tensorView(buffer: ArrayBufferLike, element: TensorElement, n: number): InputTensor {
  return element === 'uint8' ? new Uint8Array(buffer, 0, n) : new Float32Array(buffer, 0, n);
}

/**
 * The letterbox's padding: every value of the tensor outside the frame's place set to `byte` (as the model sees
 * it: x / 255 for a float input). Full-width frames leave two bands per plane to fill; other frames fill all.
 */
export function padNchw(dst: InputTensor, p: Placement, byte: number): void {
  const plane = p.dstWidth * p.dstHeight;
  if (p.width !== p.dstWidth) return fillRange(dst, 0, 3 * plane, byte);
  for (let c = 0; c < 3; c++) {
    fillRange(dst, c * plane, c * plane + p.top * p.dstWidth, byte);
    fillRange(dst, c * plane + (p.top + p.height) * p.dstWidth, (c + 1) * plane, byte);
  }
}

// A Uint8Array on a SharedArrayBuffer fills value by value (0.32 ms for 640x640x3 on Node 24, against 0.01 ms on
// an ArrayBuffer): filled as words, a quarter of the values.
function fillRange(dst: InputTensor, start: number, end: number, byte: number): void {
  if (!(dst instanceof Uint8Array)) return void dst.fill(byte * K, start, end);
  let i = start;
  while (i < end && (dst.byteOffset + i) % 4 !== 0) dst[i++] = byte;
  const words = (end - i) >> 2;
  if (words > 0) new Uint32Array(dst.buffer, dst.byteOffset + i, words).fill(byte * 0x01010101);
  dst.fill(byte, i + 4 * words, end);
}

/**
 * A frame's HWC RGB bytes into its place in the model's NCHW tensor: bytes as they are for a uint8 input, times
 * 1/255 for a float one (x * (1/255) rounds to the same float32 as x / 255 for every byte, and is faster). The
 * letterbox's padding is not touched (padNchw). Runs in the image worker, so that the event loop never loops over
 * a frame's pixels; writing straight into the tensor spares an HWC letterbox and converting its padding per frame.
 */
export function placeNchw(src: Uint8Array, dst: InputTensor, p: Placement): void {
  const { width, height, dstWidth, dstHeight, left, top } = p;
  const plane = dstWidth * dstHeight;
  if (left < 0 || top < 0 || left + width > dstWidth || top + height > dstHeight || src.length < 3 * width * height || dst.length < 3 * plane) {
    throw new RangeError(`a ${width}x${height} frame (${src.length} bytes) at ${left},${top} in a ${dstWidth}x${dstHeight} tensor of ${dst.length} values`);
  }
  // rows as wide as the tensor are one run in each plane
  if (width === dstWidth) return transpose(src, 0, dst, top * dstWidth, plane, width * height);
  for (let y = 0; y < height; y++) transpose(src, 3 * y * width, dst, (top + y) * dstWidth + left, plane, width);
}

const LITTLE_ENDIAN = os.endianness() === 'LE';

/** n pixels from src[s] (HWC) to dst[d] of each plane. */
function transpose(src: Uint8Array, s: number, dst: InputTensor, d: number, plane: number, n: number): void {
  if (!(dst instanceof Uint8Array)) return transposeScaled(src, s, dst, d, plane, n);
  const words = LITTLE_ENDIAN && n % 4 === 0 && plane % 4 === 0 && (src.byteOffset + s) % 4 === 0 && (dst.byteOffset + d) % 4 === 0;
  if (words) transposeBytesByWord(src, s, dst, d, plane, n);
  else transposeBytes(src, s, dst, d, plane, n);
}

// one typed view per plane: measured 2.1 ms against 3.8 ms with offsets into one view, for 640x640 bytes
function transposeBytes(src: Uint8Array, s: number, dst: Uint8Array, d: number, plane: number, n: number): void {
  const r = dst.subarray(d, d + n), g = dst.subarray(plane + d, plane + d + n), b = dst.subarray(2 * plane + d, 2 * plane + d + n);
  for (let i = 0, j = s; i < n; i++, j += 3) {
    r[i] = src[j];
    g[i] = src[j + 1];
    b[i] = src[j + 2];
  }
}

// Four pixels are three little-endian words in (r0 g0 b0 r1 | g1 b1 r2 g2 | b2 r3 g3 b3) and one word per plane
// out: 0.67 ms against 1.82 ms byte by byte for 640x640 on Node 24 (x86, AVX2).
function transposeBytesByWord(src: Uint8Array, s: number, dst: Uint8Array, d: number, plane: number, n: number): void {
  const q = n >> 2;
  const s32 = new Uint32Array(src.buffer, src.byteOffset + s, 3 * q);
  const r = new Uint32Array(dst.buffer, dst.byteOffset + d, q);
  const g = new Uint32Array(dst.buffer, dst.byteOffset + plane + d, q);
  const b = new Uint32Array(dst.buffer, dst.byteOffset + 2 * plane + d, q);
  for (let i = 0, j = 0; i < q; i++, j += 3) {
    const w0 = s32[j], w1 = s32[j + 1], w2 = s32[j + 2];
    r[i] = (w0 & 0xff) | ((w0 >>> 24) << 8) | (((w1 >>> 16) & 0xff) << 16) | (((w2 >>> 8) & 0xff) << 24);
    g[i] = ((w0 >>> 8) & 0xff) | ((w1 & 0xff) << 8) | ((w1 >>> 24) << 16) | (((w2 >>> 16) & 0xff) << 24);
    b[i] = ((w0 >>> 16) & 0xff) | (((w1 >>> 8) & 0xff) << 8) | ((w2 & 0xff) << 16) | ((w2 >>> 24) << 24);
  }
}

function transposeScaled(src: Uint8Array, s: number, dst: Float32Array, d: number, plane: number, n: number): void {
  for (let i = d, j = s, end = d + n; i < end; i++, j += 3) {
    dst[i] = src[j] * K;
    dst[i + plane] = src[j + 1] * K;
    dst[i + 2 * plane] = src[j + 2] * K;
  }
}
