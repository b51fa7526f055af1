import { readFileSync } from 'fs';

/** What decides how onnxruntime's int8 kernels add up products on this CPU. */
export type CpuClass = 'arm64' | 'x86-vnni' | 'x86-avx2' | 'x86' | 'other';

export interface CpuFeatures {
  arch: string;
  /** CPU model as /proc/cpuinfo names it (or the architecture when it does not). */
  model: string;
  flags: ReadonlySet<string>;
}

/** Parses /proc/cpuinfo text: the first processor's flags (x86) or Features (ARM) and its model name. */
export function parseCpuInfo(text: string, arch: string): CpuFeatures {
  const field = (name: string): string | undefined => {
    const m = new RegExp(`^${name}\\s*:\\s*(.*)$`, 'm').exec(text);
    return m ? m[1].trim() : undefined;
  };
  const flags = new Set((field('flags') ?? field('Features') ?? '').split(/\s+/).filter(Boolean));
  return { arch, model: field('model name') ?? field('Model') ?? arch, flags };
}

let cached: CpuFeatures | undefined;

/** This machine's CPU; on Linux from /proc/cpuinfo (no shelling out), elsewhere the architecture alone. */
export function cpuFeatures(): CpuFeatures {
  if (!cached) {
    let text = '';
    try {
      if (process.platform === 'linux') text = readFileSync('/proc/cpuinfo', 'utf8');
    } catch {
      // unreadable: classified by architecture alone
    }
    cached = parseCpuInfo(text, process.arch);
  }
  return cached;
}

export function cpuClass(cpu: CpuFeatures): CpuClass {
  if (cpu.arch === 'arm64') return 'arm64';
  if (cpu.arch !== 'x64' && cpu.arch !== 'ia32') return 'other';
  if (cpu.flags.has('avx512_vnni') || cpu.flags.has('avx_vnni') || cpu.flags.has('avx_vnni_int8')) return 'x86-vnni';
  if (cpu.flags.has('avx2')) return 'x86-avx2';
  return 'x86';
}

/**
 * x86 without VNNI multiplies u8 activations by s8 weights with VPMADDUBSW (or its SSE form), which adds each
 * pair of products into int16 with saturation: 255 x 127 x 2 = 64,770 overflows, 255 x 64 x 2 = 32,640 does not.
 */
export function saturatesFullRangeInt8(c: CpuClass): boolean {
  return c === 'x86-avx2' || c === 'x86';
}

/** A short description for messages: "AMD EPYC 7B13 (x86-avx2)". */
export function describeCpu(cpu: CpuFeatures): string {
  return `${cpu.model} (${cpuClass(cpu)})`;
}
