import * as ort from 'onnxruntime-node';
import { onnx } from 'onnx-proto';
import { decodeModel, TensorType } from '../../model/onnx-file';
import { calibrationModel } from './calibrate';
import { floatData, GraphIndex, pruneInitializers, vectorTensor } from './graph';

/**
 * A nearest-neighbour Resize by a whole factor (the neck's 2x upsampling), as onnxruntime's uint8 kernel runs it in
 * the channels-last layout of the quantized graph, takes the generic per-element path (1.5 ms of a 30 ms YOLOv8n
 * run on this CPU). Written as Transpose(NHWC) -> Unsqueeze -> Expand -> Reshape -> Transpose(NCHW) it gives the
 * same bytes: onnxruntime cancels both Transposes against its own layout changes and Expand copies whole pixels
 * (0.06 ms). Float Resizes are left alone: onnxruntime's float upsampling is already fast.
 */
export function nearestUpsampleFactor(g: GraphIndex, n: onnx.INodeProto): number | undefined {
  if (n.opType !== 'Resize') return undefined;
  const attr = (name: string): string => {
    const a = n.attribute?.find((x) => x.name === name);
    return a?.s ? Buffer.from(a.s).toString() : '';
  };
  if (attr('mode') !== 'nearest' || attr('coordinate_transformation_mode') !== 'asymmetric' || (attr('nearest_mode') || 'round_prefer_floor') !== 'floor') return undefined;
  const scalesName = n.input?.[2];
  const scales = scalesName ? g.constantTensor(scalesName) : undefined;
  if (!scales || scales.dataType !== TensorType.FLOAT) return undefined;
  const [b, c, h, w] = Array.from(floatData(scales));
  return b === 1 && c === 1 && h === w && Number.isInteger(h) && h >= 2 ? h : undefined;
}

/** Shapes of some tensors of a float model, from one run on a blank image. */
export async function tensorShapes(modelBytes: Uint8Array, input: { name: string; width: number; height: number }, names: string[]): Promise<Map<string, number[]>> {
  const session = await ort.InferenceSession.create(calibrationModel(decodeModel(modelBytes, 'model'), names), { graphOptimizationLevel: 'disabled', logSeverityLevel: 3 });
  try {
    const blank = new ort.Tensor('float32', new Float32Array(3 * input.width * input.height), [1, 3, input.height, input.width]);
    const out = await session.run({ [input.name]: blank }, names);
    return new Map(names.map((t) => [t, out[t].dims.map(Number)]));
  } finally {
    await session.release();
  }
}

/**
 * Replaces quantized Resize nodes of a QDQ graph (after rewriteQdq) by the chain above, each step between a
 * QuantizeLinear/DequantizeLinear pair with the Resize input's scale so that onnxruntime runs it on bytes.
 * `shapes` holds each Resize's NCHW input shape.
 */
export function rewriteUpsamples(graph: onnx.GraphProto, shapes: Map<onnx.INodeProto, number[]>): number {
  const g = new GraphIndex(graph);
  let done = 0;
  for (const [r, dims] of shapes) {
    const k = nearestUpsampleFactor(g, r);
    const dq = g.producer.get(r.input?.[0] ?? '');
    if (!k || dims.length !== 4 || dims[0] !== 1 || dq?.opType !== 'DequantizeLinear') continue;
    const [, c, h, w] = dims;
    const params = (dq.input ?? []).slice(1);
    const p = r.name || `${r.input?.[0]}_upsample`;
    const qdq = (t: string): onnx.NodeProto[] => [
      onnx.NodeProto.create({ name: `${t}_QuantizeLinear`, opType: 'QuantizeLinear', input: [t, ...params], output: [`${t}_q`] }),
      onnx.NodeProto.create({ name: `${t}_DequantizeLinear`, opType: 'DequantizeLinear', input: [`${t}_q`, ...params], output: [`${t}_dq`] }),
    ];
    const perm = (v: number[]): onnx.AttributeProto => onnx.AttributeProto.create({ name: 'perm', type: onnx.AttributeProto.AttributeType.INTS, ints: v });
    graph.initializer.push(vectorTensor(`${p}_axes`, TensorType.INT64, [2, 4]), vectorTensor(`${p}_repeat`, TensorType.INT64, [1, 1, k, 1, k, 1]), vectorTensor(`${p}_shape`, TensorType.INT64, [1, h * k, w * k, c]));
    const chain = [
      onnx.NodeProto.create({ name: `${p}_nhwc`, opType: 'Transpose', input: [r.input?.[0] ?? ''], output: [`${p}_nhwc`], attribute: [perm([0, 2, 3, 1])] }),
      ...qdq(`${p}_nhwc`),
      onnx.NodeProto.create({ name: `${p}_unsqueeze`, opType: 'Unsqueeze', input: [`${p}_nhwc_dq`, `${p}_axes`], output: [`${p}_unsqueezed`] }),
      ...qdq(`${p}_unsqueezed`),
      onnx.NodeProto.create({ name: `${p}_expand`, opType: 'Expand', input: [`${p}_unsqueezed_dq`, `${p}_repeat`], output: [`${p}_expanded`] }),
      ...qdq(`${p}_expanded`),
      onnx.NodeProto.create({ name: `${p}_reshape`, opType: 'Reshape', input: [`${p}_expanded_dq`, `${p}_shape`], output: [`${p}_upsampled`] }),
      ...qdq(`${p}_upsampled`),
      onnx.NodeProto.create({ name: `${p}_nchw`, opType: 'Transpose', input: [`${p}_upsampled_dq`], output: [...(r.output ?? [])], attribute: [perm([0, 3, 1, 2])] }),
    ];
    graph.node.splice(graph.node.indexOf(r as onnx.NodeProto), 1, ...chain);
    done++;
  }
  if (done) pruneInitializers(graph); // the Resizes' scales
  return done;
}
