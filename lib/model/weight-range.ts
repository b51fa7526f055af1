import { onnx } from 'onnx-proto';
import { TensorType } from './onnx-file';

/** Weight input index and its zero point's index, for the ops that multiply by stored int8 weights. */
const INTEGER_WEIGHTS: Record<string, [number, number]> = {
  QLinearConv: [3, 5],
  QLinearMatMul: [3, 5],
  ConvInteger: [1, 3],
  MatMulInteger: [1, 3],
};
const FLOAT_WEIGHTS = new Set(['Conv', 'ConvTranspose', 'MatMul', 'Gemm']);

function int8Values(t: onnx.ITensorProto): Int8Array {
  if (t.rawData && t.rawData.length > 0) return new Int8Array(Uint8Array.from(t.rawData).buffer);
  return Int8Array.from(t.int32Data ?? []);
}

function peakOf(w: onnx.ITensorProto, zp: onnx.ITensorProto | undefined): number {
  const v = int8Values(w);
  const z = zp ? int8Values(zp) : new Int8Array(1);
  // per-channel zero points run along axis 0 (output channels)
  const per = z.length > 1 ? v.length / z.length : v.length;
  let peak = 0;
  for (let i = 0; i < v.length; i++) {
    const d = Math.abs(v[i] - z[z.length > 1 ? Math.floor(i / per) : 0]);
    if (d > peak) peak = d;
  }
  return peak;
}

export interface Int8WeightPeaks {
  /** Over every Conv and matrix product. */
  all: number;
  /** Over the Convs that read the image input itself (through Q/DQ, Pad or Cast only); 0 when none is int8. */
  image: number;
}

/** Ops the image passes through unchanged in value before its first Conv. */
const TRANSPARENT = new Set(['QuantizeLinear', 'DequantizeLinear', 'Pad', 'Cast', 'Identity']);

/**
 * Largest |q - zero point| of the int8 weights that convolutions and matrix products read, in QDQ form (an int8
 * initializer through DequantizeLinear into a weight input) and QOperator form; undefined when the model has no
 * int8 weights. 127 is the full 8-bit range, 64 onnxruntime's reduce_range (7-bit) weights.
 */
export function int8WeightPeaks(graph: onnx.IGraphProto): Int8WeightPeaks | undefined {
  const inits = new Map((graph.initializer ?? []).map((t) => [t.name ?? '', t]));
  const int8 = (name: string | undefined): onnx.ITensorProto | undefined => {
    const t = name ? inits.get(name) : undefined;
    return t?.dataType === TensorType.INT8 ? t : undefined;
  };
  const producer = new Map<string, onnx.INodeProto>();
  for (const n of graph.node ?? []) for (const o of n.output ?? []) producer.set(o, n);
  const inputs = new Set((graph.input ?? []).map((i) => i.name ?? '').filter((n) => !inits.has(n)));
  const readsImage = (t: string | undefined): boolean => {
    for (let k = 0; t && k < 8; k++) {
      if (inputs.has(t)) return true;
      const p = producer.get(t);
      if (!p || !TRANSPARENT.has(p.opType ?? '')) return false;
      t = p.input?.[0];
    }
    return false;
  };
  let peaks: Int8WeightPeaks | undefined;
  const add = (n: onnx.INodeProto, w: onnx.ITensorProto, zp: onnx.ITensorProto | undefined): void => {
    const p = peakOf(w, zp);
    peaks = peaks ?? { all: 0, image: 0 };
    peaks.all = Math.max(peaks.all, p);
    if (readsImage(n.input?.[0])) peaks.image = Math.max(peaks.image, p);
  };
  for (const n of graph.node ?? []) {
    const ins = n.input ?? [];
    const integer = INTEGER_WEIGHTS[n.opType ?? ''];
    if (integer) {
      const w = int8(ins[integer[0]]);
      if (w) add(n, w, int8(ins[integer[1]]));
    } else if (FLOAT_WEIGHTS.has(n.opType ?? '')) {
      const dq = producer.get(ins[1] ?? '');
      const w = dq?.opType === 'DequantizeLinear' ? int8(dq.input?.[0]) : undefined;
      if (dq && w) add(n, w, int8(dq.input?.[2]));
    }
  }
  return peaks;
}
