import { onnx } from 'onnx-proto';
import { GraphIndex, int64Data, SAME_RANK, tensorDims } from '../quantize/graph';

/**
 * Per axis of a tensor: true when it follows the input's height or width (feature-map rows and columns, or the
 * anchors flattened from them), false when it does not (batch, channels, DFL bins), undefined when unknown.
 */
export type AxisKinds = Array<boolean | undefined>;

// each output axis is the same axis of the inputs, right-aligned as in broadcasting (quantized ops included)
const QUANTIZED = ['QuantizeLinear', 'DequantizeLinear', 'DynamicQuantizeLinear', 'ConvInteger', 'QLinearConv', 'QLinearAdd', 'QLinearMul', 'QLinearSigmoid', 'QLinearConcat'];
const SAME_AXES = new Set([...SAME_RANK, ...QUANTIZED].filter((op) => op !== 'Transpose' && op !== 'MatMul'));
// ops with a rule of their own, needing no concrete dims
const OWN_RULE = new Set(['Transpose', 'MatMul', 'Expand', 'Constant', 'Shape']);

/** Tensors whose concrete dims (from one run) map axes across a rank change: Reshape, Unsqueeze, Squeeze, Flatten. */
export function dimsNeeded(g: GraphIndex): string[] {
  const names = new Set<string>();
  for (const n of g.nodes) {
    const [input, output] = [n.input?.[0], n.output?.[0]];
    if (SAME_AXES.has(n.opType ?? '') || OWN_RULE.has(n.opType ?? '') || !input || !output || g.isConstant(input)) continue;
    if (!g.graphInputs.has(input)) names.add(input);
    names.add(output);
  }
  return [...names];
}

/** Which axes of each tensor are grid axes, followed from the NCHW image input through the graph. */
export function gridAxes(g: GraphIndex, input: string, dims: Map<string, number[]>): Map<string, AxisKinds> {
  const kinds = new Map<string, AxisKinds>([[input, [false, false, true, true]]]);
  const of = (name: string | null | undefined): AxisKinds | undefined => {
    if (!name) return undefined;
    const t = g.constantTensor(name);
    return t ? tensorDims(t).map(() => false) : kinds.get(name);
  };
  for (const n of g.nodes) {
    const out = outputAxes(n, n.input?.map(of) ?? [], { g, dims });
    if (!out) continue;
    // Split's outputs are all pieces of its input; other ops' second outputs (a quantizer's scale) are no tensors of the grid
    const outputs = n.opType === 'Split' ? n.output ?? [] : [n.output?.[0]];
    for (const o of outputs) if (o) kinds.set(o, out);
  }
  return kinds;
}

function outputAxes(n: onnx.INodeProto, ins: Array<AxisKinds | undefined>, { g, dims }: { g: GraphIndex; dims: Map<string, number[]> }): AxisKinds | undefined {
  const op = n.opType ?? '';
  const a = ins[0];
  if (op === 'Constant' || op === 'Shape' || !a) return undefined;
  if (SAME_AXES.has(op)) return broadcast(ins.filter((k): k is AxisKinds => k !== undefined));
  if (op === 'Transpose') {
    const perm = n.attribute?.find((x) => x.name === 'perm')?.ints?.map(Number) ?? a.map((_, i) => a.length - 1 - i);
    return perm.map((p) => a[p]);
  }
  if (op === 'MatMul') return matMulAxes(a, ins[1]);
  if (op === 'Expand') {
    // new and broadcast axes are repeats, not grid axes
    const shape = constantInts(g, n.input?.[1]);
    return shape ? broadcast([a, shape.map(() => false)]) : undefined;
  }
  const [inDims, outDims] = [dims.get(n.input?.[0] ?? ''), dims.get(n.output?.[0] ?? '')];
  return inDims && outDims ? regroup(inDims, a, outDims) : undefined;
}

/** Right-aligned: an axis is a grid axis when any input's is. */
function broadcast(list: AxisKinds[]): AxisKinds {
  const rank = Math.max(...list.map((k) => k.length));
  return Array.from({ length: rank }, (_, i) => anyGrid(list.filter((k) => i - rank + k.length >= 0).map((k) => k[i - rank + k.length])));
}

function anyGrid(kinds: AxisKinds): boolean | undefined {
  return kinds.some((k) => k === true) ? true : kinds.some((k) => k === undefined) ? undefined : false;
}

function matMulAxes(a: AxisKinds, b: AxisKinds | undefined): AxisKinds | undefined {
  if (!b || a.length < 2 || b.length < 2) return undefined;
  const out = broadcast([a, b]);
  out[out.length - 2] = a[a.length - 2];
  out[out.length - 1] = b[b.length - 1];
  return out;
}

/**
 * Across a reshape: input and output axes in groups of equal products; an output axis is a grid axis when its
 * group holds one. Axes of size 1 belong to no group (a level of one row or column is refused earlier).
 */
function regroup(inDims: number[], inKinds: AxisKinds, outDims: number[]): AxisKinds | undefined {
  const out: AxisKinds = outDims.map(() => false);
  const ins = inDims.flatMap((d, i) => (d === 1 ? [] : [i]));
  const outs = outDims.flatMap((d, i) => (d === 1 ? [] : [i]));
  let [i, j] = [0, 0];
  while (i < ins.length && j < outs.length) {
    const from = [ins[i]];
    const to = [outs[j]];
    let [p, q] = [inDims[ins[i]], outDims[outs[j]]];
    while (p !== q) {
      if (p < q && i + 1 < ins.length) {
        from.push(ins[++i]);
        p *= inDims[ins[i]];
      } else if (p > q && j + 1 < outs.length) {
        to.push(outs[++j]);
        q *= outDims[outs[j]];
      } else {
        return undefined;
      }
    }
    const kind = anyGrid(from.map((k) => inKinds[k]));
    for (const k of to) out[k] = kind;
    i++;
    j++;
  }
  return i === ins.length && j === outs.length ? out : undefined;
}

/** The values of an int64 constant, or undefined. */
export function constantInts(g: GraphIndex, name: string | null | undefined): number[] | undefined {
  const t = name ? g.constantTensor(name) : undefined;
  return t && t.dataType === onnx.TensorProto.DataType.INT64 ? int64Data(t) : undefined;
}
