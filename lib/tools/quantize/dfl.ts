import { onnx } from 'onnx-proto';
import { TensorType } from '../../model/onnx-file';
import { floatData, GraphIndex, int64Data, tensorDims, vectorTensor } from './graph';

/**
 * The DFL of a YOLOv8/YOLO11 head as exported: Reshape [1,4,R,N] -> Transpose(0,2,1,3) -> Softmax(axis 1) ->
 * Conv 1x1 (R -> 1, fixed weights 0..R-1) -> Reshape [1,4,N]. onnxruntime runs a Softmax over a middle axis by
 * transposing around it, which costs about 4 ms of a YOLOv8n run on this CPU whatever the precision. Written as
 * Transpose(0,1,3,2) -> Softmax(last axis) -> MatMul [R,1] it computes the same numbers in about 1 ms. The head
 * stays float; both the FP32 and the INT8 models written by `yolo-edge quantize` get this rewrite, so that a
 * comparison between them is fair. Returns how many DFL blocks were rewritten.
 */
export function rewriteDflSoftmax(graph: onnx.GraphProto): number {
  const g = new GraphIndex(graph);
  let done = 0;
  for (const softmax of g.nodes.filter((n) => n.opType === 'Softmax')) {
    const transpose = g.producer.get(softmax.input?.[0] ?? '');
    const readers = g.consumers.get(softmax.output?.[0] ?? '') ?? [];
    const conv = readers.length === 1 ? readers[0] : undefined;
    if (!transpose || !conv || !isDfl(g, softmax, transpose, conv)) continue;
    const weights = g.initializers.get(conv.input?.[1] ?? '') as onnx.ITensorProto;
    const bins = tensorDims(weights)[1];
    const matrix = `${weights.name}_column`;
    graph.initializer.push(vectorTensor(matrix, TensorType.FLOAT, floatData(weights), [bins, 1]));
    setInts(transpose, 'perm', [0, 1, 3, 2]);
    setInt(softmax, 'axis', -1);
    const matmul = onnx.NodeProto.create({ name: `${conv.name}_matmul`, opType: 'MatMul', input: [softmax.output?.[0] ?? '', matrix], output: [...(conv.output ?? [])] });
    graph.node.splice(graph.node.indexOf(conv as onnx.NodeProto), 1, matmul);
    if ((g.consumers.get(weights.name ?? '') ?? []).every((n) => n === conv)) {
      graph.initializer = graph.initializer.filter((t) => t !== weights);
      // an export that lists its initializers as inputs too: left there, it became an input the model needed fed
      graph.input = graph.input.filter((i) => i.name !== weights.name);
    }
    // shapes recorded for the old layout would contradict the new one
    const changed = new Set([transpose.output?.[0], softmax.output?.[0], conv.output?.[0]]);
    graph.valueInfo = graph.valueInfo.filter((v) => !changed.has(v.name ?? undefined));
    done++;
  }
  return done;
}

function isDfl(g: GraphIndex, softmax: onnx.INodeProto, transpose: onnx.INodeProto, conv: onnx.INodeProto): boolean {
  const perm = transpose.attribute?.find((a) => a.name === 'perm')?.ints?.map(Number);
  const axis = Number(softmax.attribute?.find((a) => a.name === 'axis')?.i ?? -1);
  if (transpose.opType !== 'Transpose' || perm?.join() !== '0,2,1,3' || axis !== 1 || conv.opType !== 'Conv') return false;
  const reshape = g.producer.get(transpose.input?.[0] ?? '');
  const shape = reshape?.opType === 'Reshape' ? g.constantTensor(reshape.input?.[1] ?? '') : undefined;
  if (!shape || int64Data(shape).length !== 4) return false;
  const weights = g.initializers.get(conv.input?.[1] ?? '');
  const dims = weights ? tensorDims(weights) : [];
  const plain = (conv.attribute ?? []).every((a) => ['kernel_shape', 'strides', 'pads', 'dilations', 'group'].includes(a.name ?? '') && (a.ints ?? []).every((v) => [0, 1].includes(Number(v))) && [0, 1].includes(Number(a.i ?? 1)));
  const outputReaders = g.consumers.get(conv.output?.[0] ?? '') ?? [];
  return (
    weights?.dataType === TensorType.FLOAT &&
    dims.length === 4 && dims[0] === 1 && dims[2] === 1 && dims[3] === 1 &&
    !conv.input?.[2] && plain &&
    outputReaders.length > 0 && outputReaders.every((r) => r.opType === 'Reshape')
  );
}

function setInts(n: onnx.INodeProto, name: string, ints: number[]): void {
  n.attribute = [...(n.attribute ?? []).filter((a) => a.name !== name), onnx.AttributeProto.create({ name, type: onnx.AttributeProto.AttributeType.INTS, ints })];
}

function setInt(n: onnx.INodeProto, name: string, i: number): void {
  n.attribute = [...(n.attribute ?? []).filter((a) => a.name !== name), onnx.AttributeProto.create({ name, type: onnx.AttributeProto.AttributeType.INT, i })];
}
