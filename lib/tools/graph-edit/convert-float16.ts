import { onnx } from 'onnx-proto';
import { floatData } from '../quantize/graph';
import { YoloEdgeError } from '../../errors';
import { graphOf, ModelProto, TensorType } from '../../model/onnx-file';
import { float16Of } from '../../model/float16';

/** Inputs ONNX defines as float32 whatever the graph computes in (Resize scales). */
const FLOAT32_INPUTS: Record<string, number[]> = { Resize: [2], Upsample: [1] };

/**
 * Turns a float32 model into a float16 one as a half-precision export writes it: weights, constants (and
 * ConstantOfShape values), Casts, graph input, output and value_info in float16; Resize scales stay float32 as
 * ONNX requires.
 */
export function convertToFloat16(model: ModelProto): void {
  const graph = graphOf(model);
  if (graph.node.some((n) => n.opType === 'QuantizeLinear' || n.opType === 'DequantizeLinear' || n.opType === 'ConvInteger' || n.opType === 'QLinearConv')) {
    throw new YoloEdgeError('a quantized model cannot be converted to float16; convert its float32 original', 'ALREADY_QUANTIZED');
  }
  const keep32 = new Set<string>();
  for (const n of graph.node) for (const i of FLOAT32_INPUTS[n.opType ?? ''] ?? []) if (n.input?.[i]) keep32.add(n.input[i]);
  for (const t of graph.initializer) if (!keep32.has(t.name ?? '')) toHalf(t);
  for (const n of graph.node) {
    // ConstantOfShape's value sets its output type (torch.full in a dynamic export's strides): float32 left there
    // met float16 in the next Add, and the model did not load
    if ((n.opType === 'Constant' || n.opType === 'ConstantOfShape') && !keep32.has(n.output?.[0] ?? '')) {
      const t = n.attribute?.find((a) => a.name === 'value')?.t;
      if (t) toHalf(t);
    }
    if (n.opType === 'Cast') {
      const to = n.attribute?.find((a) => a.name === 'to');
      if (to && Number(to.i) === TensorType.FLOAT) to.i = TensorType.FLOAT16;
    }
  }
  for (const v of [...graph.input, ...graph.output, ...graph.valueInfo]) {
    const tt = v.type?.tensorType;
    if (tt && tt.elemType === TensorType.FLOAT && !keep32.has(v.name ?? '')) tt.elemType = TensorType.FLOAT16;
  }
  rangesInFloat32(graph);
}

/**
 * onnxruntime has no float16 Range, which a dynamic-shape graph uses for its anchor grid: each Range runs in
 * float32 between two Casts, as Ultralytics' half-precision dynamic export computes its aranges.
 */
function rangesInFloat32(graph: onnx.IGraphProto): void {
  const nodes: onnx.INodeProto[] = [];
  for (const n of graph.node ?? []) {
    if (n.opType !== 'Range' || !n.input || !n.output?.[0]) {
      nodes.push(n);
      continue;
    }
    const out = n.output[0];
    n.input = n.input.map((name, i) => {
      const cast = `${n.name ?? out}_in${i}_fp32`;
      nodes.push(castNode(name, cast, TensorType.FLOAT));
      return cast;
    });
    n.output = [`${out}_fp32`];
    nodes.push(n, castNode(`${out}_fp32`, out, TensorType.FLOAT16));
  }
  graph.node = nodes;
}

function castNode(input: string, output: string, to: number): onnx.INodeProto {
  return { opType: 'Cast', name: `${output}_cast`, input: [input], output: [output], attribute: [{ name: 'to', type: onnx.AttributeProto.AttributeType.INT, i: to }] };
}

function toHalf(t: onnx.ITensorProto): void {
  if (t.dataType !== TensorType.FLOAT) return;
  const half = float16Of(floatData(t));
  t.dataType = TensorType.FLOAT16;
  t.rawData = new Uint8Array(half.buffer);
  t.floatData = [];
}
