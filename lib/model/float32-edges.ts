import { onnx } from 'onnx-proto';
import { graphOf, ModelProto, TensorType } from './onnx-file';

// onnxruntime-node cannot take float16 tensors from JavaScript on Node.js >= 23: onnxruntime-common hands the
// binding a Float16Array, whose byte length the binding reads as 0 ("not enough space: expected N, got 0").
// A float16 model therefore gets float32 edges: a Cast after each float16 graph input and before each float16
// graph output, so callers feed and read float32 and onnxruntime converts natively inside the run.

const CAST_TO_FLOAT16 = 10;
const CAST_TO_FLOAT = 1;

function elemType(v: onnx.IValueInfoProto): number {
  return v.type?.tensorType?.elemType ?? 0;
}

function setElemType(v: onnx.IValueInfoProto, t: number): void {
  if (v.type?.tensorType) v.type.tensorType.elemType = t;
}

function cast(input: string, output: string, to: number): onnx.NodeProto {
  return onnx.NodeProto.create({
    opType: 'Cast',
    name: `${output}__cast`,
    input: [input],
    output: [output],
    attribute: [onnx.AttributeProto.create({ name: 'to', type: onnx.AttributeProto.AttributeType.INT, i: to })],
  });
}

function rename(nodes: onnx.INodeProto[], from: string, to: string, where: 'input' | 'output' | 'both'): void {
  for (const n of nodes) {
    if (where !== 'output' && n.input) n.input = n.input.map((x) => (x === from ? to : x));
    if (where !== 'input' && n.output) n.output = n.output.map((x) => (x === from ? to : x));
  }
}

/** Gives the model float32 inputs and outputs where it has float16 ones; false when there were none. */
export function withFloat32Edges(model: ModelProto): boolean {
  const g = graphOf(model);
  const inits = new Set(g.initializer.map((t) => t.name));
  let changed = false;
  const head: onnx.NodeProto[] = [];
  for (const input of g.input) {
    const name = input.name ?? '';
    if (inits.has(name) || elemType(input) !== TensorType.FLOAT16) continue;
    const inner = `${name}__float16`;
    rename(g.node, name, inner, 'input');
    head.push(cast(name, inner, CAST_TO_FLOAT16));
    setElemType(input, TensorType.FLOAT);
    changed = true;
  }
  const tail: onnx.NodeProto[] = [];
  for (const output of g.output) {
    const name = output.name ?? '';
    if (elemType(output) !== TensorType.FLOAT16) continue;
    const inner = `${name}__float16`;
    rename(g.node, name, inner, 'both');
    tail.push(cast(inner, name, CAST_TO_FLOAT));
    setElemType(output, TensorType.FLOAT);
    changed = true;
  }
  if (changed) g.node = [...head, ...g.node, ...tail];
  return changed;
}
