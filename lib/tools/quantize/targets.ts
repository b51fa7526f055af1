import { CpuClass, cpuClass, CpuFeatures, cpuFeatures } from '../../runtime/cpu-features';

/** CPU classes a quantized model is made for; `auto` is resolved to the CPU quantize runs on. */
export const TARGETS = ['portable', 'arm64', 'x86-vnni', 'x86-avx2'] as const;
export type QuantTarget = (typeof TARGETS)[number];

export interface TargetWeights {
  /** Convs that read the image itself: its bytes spread over 0..255, so pairs of large products are common. */
  image: 7 | 8;
  /** Every other Conv: its activations sit mostly near their zero point. */
  rest: 7 | 8;
}

/**
 * Weight bits per target. 7-bit weights (|q| <= 64) cannot saturate x86's 16-bit pair sums, but cost accuracy
 * (2.5 mAP50 points when every Conv has them, docs/BENCHMARKS.md); measured on an AVX2 CPU, only the Convs
 * reading the image lose accuracy to saturation, so the x86-avx2 and portable targets narrow those alone.
 */
export const WEIGHT_BITS: Record<QuantTarget, TargetWeights> = {
  // accurate on every CPU class; the default, since a model is often made on one machine and run on another
  portable: { image: 7, rest: 8 },
  // SDOT/UDOT accumulate in int32
  arm64: { image: 8, rest: 8 },
  // VPDPBUSD accumulates in int32
  'x86-vnni': { image: 8, rest: 8 },
  'x86-avx2': { image: 7, rest: 8 },
};

export const DEFAULT_TARGET: QuantTarget = 'portable';

/** The target for a CPU class; an x86 CPU without AVX2 is treated as x86-avx2 (same saturation). */
export function targetFor(c: CpuClass): QuantTarget {
  if (c === 'arm64' || c === 'x86-vnni') return c;
  if (c === 'x86-avx2' || c === 'x86') return 'x86-avx2';
  return 'portable';
}

export function resolveTarget(t: QuantTarget | 'auto', cpu: CpuFeatures = cpuFeatures()): QuantTarget {
  return t === 'auto' ? targetFor(cpuClass(cpu)) : t;
}
