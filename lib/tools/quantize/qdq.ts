import { onnx } from 'onnx-proto';
import { nameText, requireOpset, TensorType } from '../../model/onnx-file';
import { YoloEdgeError } from '../../errors';
import { floatData, GraphIndex, pruneInitializers, tensorDims, vectorTensor } from './graph';
import { Range } from './calibrators';
import { biasFitScales, computeParams, QuantParams, QuantType, quantizeBias, quantizeWeights, WeightBits } from './params';
import { padImageChannels } from './pad-channels';
import { activationInputs, QuantPlan } from './plan';

export interface QdqSettings {
  activationType: QuantType;
  activationSymmetric: boolean;
  perChannel: boolean;
  /** Activations always keep 8 bits; only weights narrow (onnxruntime's reduce_range remedy, see targets.ts). */
  weightBits: WeightBits;
  /** Weight bits of the Convs that read the image input. */
  imageWeightBits: WeightBits;
  /** The model takes letterboxed RGB bytes; /255 is folded into a DequantizeLinear. */
  uint8Input: boolean;
}

/** Range of the image input: the preprocessing maps bytes to [0, 1]. */
export const INPUT_RANGE: Range = { min: 0, max: 1 };

const AttrType = onnx.AttributeProto.AttributeType;

function scalarTensor(name: string, type: number, value: number): onnx.TensorProto {
  return vectorTensor(name, type, [value], []);
}

function qType(t: QuantType): number {
  return t === 'uint8' ? TensorType.UINT8 : TensorType.INT8;
}

function qdqNode(op: 'QuantizeLinear' | 'DequantizeLinear', name: string, inputs: string[], output: string, axis?: number): onnx.NodeProto {
  const attribute = axis === undefined ? [] : [onnx.AttributeProto.create({ name: 'axis', type: AttrType.INT, i: axis })];
  return onnx.NodeProto.create({ name, opType: op, input: inputs, output: [output], attribute });
}

export interface RewriteResult {
  /** Activation params by tensor, for reports and tests. */
  params: Map<string, QuantParams>;
  quantizedConvs: number;
}

/** Per-channel DequantizeLinear (its axis attribute) needs this opset. */
export const QDQ_OPSET = 13;

/** Rewrites the graph in place into QDQ form following the plan and the calibrated ranges. */
export function rewriteQdq(model: onnx.ModelProto, plan: QuantPlan, ranges: Map<string, Range>, s: QdqSettings): RewriteResult {
  requireOpset(model, QDQ_OPSET);
  const graph = model.graph as onnx.GraphProto;
  const g = new GraphIndex(graph);
  const inits: onnx.TensorProto[] = [];
  const prelude: onnx.NodeProto[] = [];
  const readAs = new Map<string, string>();
  const params = new Map<string, QuantParams>();
  const paramNames = new Map<string, { scale: string; zp: string }>();

  const paramsOf = (t: string): QuantParams => {
    const src = plan.tensors.get(t) ?? t;
    let p = params.get(src);
    if (!p) {
      const r = src === plan.graphInput ? INPUT_RANGE : groupRange(plan.groups.get(src) ?? [src], ranges);
      p = computeParams(r.min, r.max, s.activationType, s.activationSymmetric && src !== plan.graphInput);
      params.set(src, p);
      const names = { scale: `${src}_scale`, zp: `${src}_zero_point` };
      paramNames.set(src, names);
      inits.push(scalarTensor(names.scale, TensorType.FLOAT, p.scale), scalarTensor(names.zp, qType(p.type), p.zeroPoint));
    }
    params.set(t, p);
    return p;
  };
  const namesOf = (t: string): { scale: string; zp: string } => {
    paramsOf(t);
    return paramNames.get(plan.tensors.get(t) ?? t) as { scale: string; zp: string };
  };
  const qdqFor = (t: string, source: string): onnx.NodeProto[] => {
    const { scale, zp } = namesOf(t);
    const q = `${t}_QuantizeLinear_Output`;
    const dq = `${t}_DequantizeLinear_Output`;
    readAs.set(t, dq);
    return [qdqNode('QuantizeLinear', `${t}_QuantizeLinear`, [source, scale, zp], q), qdqNode('DequantizeLinear', `${t}_DequantizeLinear`, [q, scale, zp], dq)];
  };

  if (s.uint8Input) prelude.push(...foldUint8Input(graph, plan, inits, readAs, qdqFor, paramsOf));
  else if (plan.tensors.has(plan.graphInput)) prelude.push(...qdqFor(plan.graphInput, plan.graphInput));

  const quantized = new Set(plan.nodes);
  const weightInputs = new Map<onnx.INodeProto, string[]>();
  // Convs that share a weight or bias initializer (tied weights) each get their own quantized copy, under its own
  // names: the bias scale depends on each Conv's input scale, and names must be unique in the graph.
  const emitted = new Map<string, number>();
  const unique = (base: string): string => {
    const k = emitted.get(base) ?? 0;
    emitted.set(base, k + 1);
    return k === 0 ? base : `${base}_${k}`;
  };
  const rewritten = new Set<onnx.INodeProto>();
  for (const n of plan.nodes) {
    if (n.opType !== 'Conv') continue;
    const input = activationInputs(n, g)[0];
    const bits = input === plan.graphInput ? s.imageWeightBits : s.weightBits;
    rewritten.add(n);
    weightInputs.set(n, quantizeConvConstants(n, g, { perChannel: s.perChannel, bits, inputScale: paramsOf(input).scale, unique, rewritten }, inits, prelude));
  }

  const body: onnx.NodeProto[] = [];
  for (const n of graph.node as onnx.NodeProto[]) {
    const wi = weightInputs.get(n);
    n.input = n.input.map((inp, i) => (wi && i > 0 && wi[i - 1] ? wi[i - 1] : readAs.get(inp) ?? inp));
    body.push(n);
    for (const o of n.output) {
      if (plan.tensors.has(o) && (quantized.has(n) || consumersQuantized(g, o, quantized))) body.push(...qdqFor(o, o));
    }
  }
  // a tensor is read through its DQ everywhere, so rename in nodes that came before its Q/DQ was known too
  for (const n of body) if (n.opType !== 'QuantizeLinear') n.input = n.input.map((inp) => readAs.get(inp) ?? inp);
  graph.node = [...prelude, ...body];
  graph.initializer.push(...inits);
  if (s.uint8Input) padImageChannels(graph);
  pruneInitializers(graph);
  return { params, quantizedConvs: weightInputs.size };
}

/** The union of the calibrated ranges of tensors that share one scale. */
function groupRange(members: string[], ranges: Map<string, Range>): Range {
  let min = Infinity;
  let max = -Infinity;
  for (const m of members) {
    const r = ranges.get(m);
    if (!r) throw new Error(`no calibrated range for tensor ${nameText(m)}`);
    min = Math.min(min, r.min);
    max = Math.max(max, r.max);
  }
  return { min, max };
}

function consumersQuantized(g: GraphIndex, t: string, quantized: Set<onnx.INodeProto>): boolean {
  return (g.consumers.get(t) ?? []).some((c) => quantized.has(c));
}

interface ConvConstants {
  perChannel: boolean;
  bits: WeightBits;
  inputScale: number;
  /** A name not used yet for the constants derived from an initializer. */
  unique: (base: string) => string;
  /** Convs whose constants are quantized (this one too): a float initializer only they read is dropped. */
  rewritten: ReadonlySet<onnx.INodeProto>;
}

/** Int8 weights with a DequantizeLinear each, and the bias as int32; returns the new weight/bias input names. */
function quantizeConvConstants(n: onnx.INodeProto, g: GraphIndex, c: ConvConstants, inits: onnx.TensorProto[], prelude: onnx.NodeProto[]): string[] {
  const wName = n.input?.[1] as string;
  const w = g.initializers.get(wName) as onnx.ITensorProto;
  const dims = tensorDims(w);
  const bName = n.input?.[2];
  const b = bName ? g.initializers.get(bName) : undefined;
  const bias = b ? floatData(b) : undefined;
  const groups = c.perChannel ? dims[0] : 1;
  const wq = quantizeWeights(floatData(w), dims[0], c.perChannel, c.bits, bias && biasFitScales(bias, c.inputScale, groups));
  const axis = c.perChannel ? 0 : undefined;
  const scaleDims = c.perChannel ? [dims[0]] : [];
  const wKey = c.unique(wName);
  const out = [`${wKey}_DequantizeLinear_Output`];
  inits.push(
    vectorTensor(`${wKey}_quantized`, TensorType.INT8, wq.values, dims),
    vectorTensor(`${wKey}_scale`, TensorType.FLOAT, wq.scales, scaleDims),
    vectorTensor(`${wKey}_zero_point`, TensorType.INT8, new Int8Array(wq.scales.length), scaleDims),
  );
  prelude.push(qdqNode('DequantizeLinear', `${wKey}_DequantizeLinear`, [`${wKey}_quantized`, `${wKey}_scale`, `${wKey}_zero_point`], out[0], axis));
  if (bName && bias) {
    const bq = quantizeBias(bias, c.inputScale, wq.scales);
    const bDims = [bq.values.length];
    const bKey = c.unique(bName);
    inits.push(
      vectorTensor(`${bKey}_quantized`, TensorType.INT32, bq.values, bDims),
      vectorTensor(`${bKey}_scale`, TensorType.FLOAT, bq.scales, scaleDims),
      vectorTensor(`${bKey}_zero_point`, TensorType.INT32, new Int32Array(bq.scales.length), scaleDims),
    );
    out.push(`${bKey}_DequantizeLinear_Output`);
    prelude.push(qdqNode('DequantizeLinear', `${bKey}_DequantizeLinear`, [`${bKey}_quantized`, `${bKey}_scale`, `${bKey}_zero_point`], out[1], axis));
  }
  removeUnused(g, [wName, ...(bName && b ? [bName] : [])], c.rewritten);
  return out;
}

/** Drops a float initializer once only rewritten Convs read it. */
function removeUnused(g: GraphIndex, names: string[], rewritten: ReadonlySet<onnx.INodeProto>): void {
  const graph = g.graph as onnx.GraphProto;
  for (const name of names) {
    if ((g.consumers.get(name) ?? []).every((c) => rewritten.has(c))) {
      graph.initializer = graph.initializer.filter((t) => t.name !== name);
      graph.input = graph.input.filter((i) => i.name !== name);
    }
  }
}

/**
 * The input becomes uint8 (letterboxed RGB bytes): DequantizeLinear(x, 1/255, 0) gives the float image.
 * When activations are uint8 that DQ is exactly the input's own Q/DQ, so consumers read it directly.
 */
function foldUint8Input(
  graph: onnx.GraphProto,
  plan: QuantPlan,
  inits: onnx.TensorProto[],
  readAs: Map<string, string>,
  qdqFor: (t: string, source: string) => onnx.NodeProto[],
  paramsOf: (t: string) => QuantParams,
): onnx.NodeProto[] {
  const name = plan.graphInput;
  const input = graph.input.find((i) => i.name === name);
  if (!input?.type?.tensorType) throw new YoloEdgeError(`graph input ${nameText(name)} not found`, 'NOT_DETECTOR');
  input.type.tensorType.elemType = TensorType.UINT8;
  const scale = `${name}_u8_scale`;
  const zp = `${name}_u8_zero_point`;
  inits.push(scalarTensor(scale, TensorType.FLOAT, 1 / 255), scalarTensor(zp, TensorType.UINT8, 0));
  const floatName = `${name}_float`;
  const nodes = [qdqNode('DequantizeLinear', `${name}_u8_DequantizeLinear`, [name, scale, zp], floatName)];
  readAs.set(name, floatName);
  if (plan.tensors.has(name)) {
    const p = paramsOf(name);
    const same = p.type === 'uint8' && p.zeroPoint === 0 && p.scale === Math.fround(1 / 255);
    if (!same) {
      nodes.push(...qdqFor(name, floatName));
      return nodes;
    }
  }
  return nodes;
}

/** Adds the uint8 input folding to a float model (no other change). */
export function foldUint8InputFloat(model: onnx.ModelProto): void {
  const graph = model.graph as onnx.GraphProto;
  const g = new GraphIndex(graph);
  const name = [...g.graphInputs][0];
  const plan: QuantPlan = { nodes: [], tensors: new Map(), calibrate: [], excluded: [], graphInput: name, groups: new Map() };
  const inits: onnx.TensorProto[] = [];
  const readAs = new Map<string, string>();
  const never = (): never => {
    throw new Error('unreachable');
  };
  const prelude = foldUint8Input(graph, plan, inits, readAs, never, never);
  for (const n of graph.node as onnx.NodeProto[]) n.input = n.input.map((i) => readAs.get(i) ?? i);
  graph.node = [...prelude, ...graph.node];
  graph.initializer.push(...inits);
}
