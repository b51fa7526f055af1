import { CpuClass, cpuClass, CpuFeatures, cpuFeatures } from '../runtime/cpu-features';

/** CPU classes a quantized model is made for; `auto` is resolved to the CPU quantize runs on. */
export const TARGETS = ['portable', 'arm64', 'x86-vnni', 'x86-avx2'] as const;
export type QuantTarget = (typeof TARGETS)[number];

/** Weight bits per target: 7-bit weights (|q| <= 64) cannot saturate x86's 16-bit pair sums. */
export const WEIGHT_BITS: Record<QuantTarget, 7 | 8> = {
  // runs unsaturated on every CPU class; the default, since a model is often made on one machine and run on another
  portable: 7,
  // SDOT/UDOT accumulate in int32
  arm64: 8,
  // VPDPBUSD accumulates in int32
  'x86-vnni': 8,
  'x86-avx2': 7,
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
