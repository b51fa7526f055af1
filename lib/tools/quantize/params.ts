/** Quantization arithmetic: ranges to scale/zero point, float to integer, as ONNX defines it. */
import { roundHalfEven } from '../../round';

export type QuantType = 'uint8' | 'int8';

export interface QuantParams {
  /** float32 value as stored in the model. */
  scale: number;
  zeroPoint: number;
  type: QuantType;
}


/** Integer range of a type; reduceRange drops one bit (onnxruntime's reduce_range: int8 [-64, 64], uint8 [0, 127]). */
export function qRange(type: QuantType, symmetric: boolean, reduceRange: boolean): [number, number] {
  if (type === 'uint8') return reduceRange ? [0, 127] : [0, 255];
  if (reduceRange) return [-64, 64];
  return symmetric ? [-127, 127] : [-128, 127];
}

const FLOAT32_TINY = 1.1754943508222875e-38;

/**
 * Scale and zero point for a float range. The range always includes 0 so that zero (padding) is exact.
 * Computed in float64; the scale is stored as float32.
 */
export function computeParams(rmin: number, rmax: number, type: QuantType, symmetric: boolean, reduceRange = false): QuantParams {
  const [qmin, qmax] = qRange(type, symmetric, reduceRange);
  let lo = Math.min(rmin, 0);
  let hi = Math.max(rmax, 0);
  let scale: number;
  let zeroPoint: number;
  if (symmetric) {
    const absmax = Math.max(Math.abs(lo), Math.abs(hi));
    lo = -absmax;
    hi = absmax;
    const half = type === 'uint8' ? Math.floor((qmax - qmin) / 2) : qmax;
    scale = absmax / half;
    zeroPoint = type === 'uint8' ? Math.ceil((qmax + qmin) / 2) : 0;
  } else {
    scale = (hi - lo) / (qmax - qmin);
    zeroPoint = scale > 0 ? clamp(roundHalfEven(qmin - lo / scale), qmin, qmax) : 0;
  }
  if (!(scale >= FLOAT32_TINY) || !Number.isFinite(scale)) return { scale: 1, zeroPoint: type === 'uint8' && symmetric ? zeroPoint : 0, type };
  return { scale: Math.fround(scale), zeroPoint, type };
}

export function clamp(v: number, lo: number, hi: number): number {
  return v < lo ? lo : v > hi ? hi : v;
}

/** clip(round_half_to_even(x / scale) + zp) */
export function quantizeValue(x: number, scale: number, zeroPoint: number, qmin: number, qmax: number): number {
  return clamp(roundHalfEven(x / scale) + zeroPoint, qmin, qmax);
}

export interface ChannelQuant {
  values: Int8Array;
  scales: Float32Array;
}

export type WeightBits = 7 | 8;

const INT32_MAX = 2147483647;
/** Above the exact fit, so that float32 rounding of the scales never puts the bias a step over int32. */
const BIAS_FIT_MARGIN = 1.001;

/**
 * The smallest weight scale per group (channel, or one for the tensor) at which the bias still fits int32: the bias
 * scale is input scale x weight scale, and a nearly dead channel (tiny weights, a real bias, as after BatchNorm
 * folding) would otherwise have its bias clamped (as onnxruntime's quantizer, it raises the weight scale instead).
 */
export function biasFitScales(b: Float32Array, inputScale: number, groups: number): Float32Array {
  const out = new Float32Array(groups);
  for (let i = 0; i < b.length; i++) {
    const g = groups === 1 ? 0 : i;
    out[g] = Math.max(out[g], Math.abs(b[i]) / (inputScale * INT32_MAX));
  }
  return out;
}

/**
 * Symmetric int8 weights, one scale per output channel (axis 0) or one for the tensor; 7 bits keeps them in
 * [-64, 64] (see targets.ts). Channel c spans values [c*per, (c+1)*per). `minScales` raises a group's scale
 * (biasFitScales).
 */
export function quantizeWeights(w: Float32Array, channels: number, perChannel: boolean, bits: WeightBits, minScales?: Float32Array): ChannelQuant {
  const reduceRange = bits === 7;
  const [qmin, qmax] = qRange('int8', true, reduceRange);
  const groups = perChannel ? channels : 1;
  const per = w.length / groups;
  const values = new Int8Array(w.length);
  const scales = new Float32Array(groups);
  for (let c = 0; c < groups; c++) {
    let absmax = 0;
    for (let i = c * per; i < (c + 1) * per; i++) absmax = Math.max(absmax, Math.abs(w[i]));
    const fit = computeParams(-absmax, absmax, 'int8', true, reduceRange).scale;
    // the values are rounded at the scale stored: rounded at the unraised one, a dead channel's weights came back 89x
    const scale = Math.max(fit, Math.fround((minScales?.[c] ?? 0) * BIAS_FIT_MARGIN));
    scales[c] = scale;
    for (let i = c * per; i < (c + 1) * per; i++) values[i] = quantizeValue(w[i], scale, 0, qmin, qmax);
  }
  return { values, scales };
}

/** Bias to int32 with scale input_scale * weight_scale (per channel when the weights are), zero point 0. */
export function quantizeBias(b: Float32Array, inputScale: number, weightScales: Float32Array): { values: Int32Array; scales: Float32Array } {
  const scales = new Float32Array(weightScales.length);
  for (let i = 0; i < scales.length; i++) scales[i] = inputScale * weightScales[i];
  const values = new Int32Array(b.length);
  for (let i = 0; i < b.length; i++) {
    const s = scales.length === 1 ? scales[0] : scales[i];
    values[i] = clamp(roundHalfEven(b[i] / s), -2147483648, 2147483647);
  }
  return { values, scales };
}
