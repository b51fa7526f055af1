import { onnx } from 'onnx-proto';
import { nameText, toNumber, TensorType, valueDims } from '../../model/onnx-file';

/** Lookups over one graph: who makes and who reads each tensor, and which tensors are constants. */
export class GraphIndex {
  readonly producer = new Map<string, onnx.INodeProto>();
  readonly consumers = new Map<string, onnx.INodeProto[]>();
  readonly initializers = new Map<string, onnx.ITensorProto>();
  /** Outputs of Constant nodes, with their tensors. */
  readonly constants = new Map<string, onnx.ITensorProto>();
  readonly graphInputs = new Set<string>();
  readonly graphOutputs = new Set<string>();

  constructor(readonly graph: onnx.IGraphProto) {
    for (const t of graph.initializer ?? []) if (t.name) this.initializers.set(t.name, t);
    for (const i of graph.input ?? []) if (i.name && !this.initializers.has(i.name)) this.graphInputs.add(i.name);
    for (const o of graph.output ?? []) if (o.name) this.graphOutputs.add(o.name);
    for (const n of graph.node ?? []) {
      for (const out of n.output ?? []) this.producer.set(out, n);
      for (const inp of n.input ?? []) {
        if (!inp) continue;
        const list = this.consumers.get(inp) ?? [];
        list.push(n);
        this.consumers.set(inp, list);
      }
      if (n.opType === 'Constant') {
        const t = n.attribute?.find((a) => a.name === 'value')?.t;
        if (t && n.output?.[0]) this.constants.set(n.output[0], t);
      }
    }
  }

  get nodes(): onnx.INodeProto[] {
    return this.graph.node ?? [];
  }

  isConstant(name: string): boolean {
    return this.initializers.has(name) || this.constants.has(name);
  }

  constantTensor(name: string): onnx.ITensorProto | undefined {
    return this.initializers.get(name) ?? this.constants.get(name);
  }
}

/** Float values of an initializer (raw_data is little-endian and may be unaligned, so it is copied). */
export function floatData(t: onnx.ITensorProto): Float32Array {
  if (t.dataType !== TensorType.FLOAT) throw new Error(`tensor ${nameText(t.name)} is not float (type ${t.dataType})`);
  if (t.rawData && t.rawData.length > 0) {
    const copy = new Uint8Array(t.rawData);
    return new Float32Array(copy.buffer, 0, copy.length / 4);
  }
  return Float32Array.from(t.floatData ?? []);
}

export function int64Data(t: onnx.ITensorProto): number[] {
  if (t.rawData && t.rawData.length > 0) {
    const view = new DataView(new Uint8Array(t.rawData).buffer);
    return Array.from({ length: t.rawData.length / 8 }, (_, i) => Number(view.getBigInt64(8 * i, true)));
  }
  return (t.int64Data ?? []).map((v) => toNumber(v as number));
}

/** An initializer of FLOAT, INT32, INT64, INT8 or UINT8 values (1-D unless dims say otherwise). */
export function vectorTensor(name: string, type: number, values: ArrayLike<number>, dims: number[] = [values.length]): onnx.TensorProto {
  let raw: Uint8Array;
  if (type === TensorType.FLOAT) raw = new Uint8Array(Float32Array.from(values).buffer);
  else if (type === TensorType.INT64) raw = new Uint8Array(BigInt64Array.from(Array.from(values, (v) => BigInt(v))).buffer);
  else if (type === TensorType.INT32) raw = new Uint8Array(Int32Array.from(values).buffer);
  else if (type === TensorType.INT8) raw = new Uint8Array(Int8Array.from(values).buffer);
  else raw = Uint8Array.from(values);
  return onnx.TensorProto.create({ name, dataType: type, dims, rawData: raw });
}

/**
 * Gives each node without a name a name of its own (its first output's, which is unique; onnxruntime refuses a
 * name used twice, so one a named node has is not taken): the plan, the report and the accuracy budget tell nodes by name, and with every name '' keeping one
 * layer float for the budget kept them all float, and each layer's measured harm was that of the whole model.
 */
export function nameNodes(graph: onnx.GraphProto): void {
  const taken = new Set(graph.node.map((n) => n.name).filter((x) => x));
  graph.node.forEach((n, i) => {
    if (n.name) return;
    let name = n.output?.[0] || `${n.opType}_${i}`;
    while (taken.has(name)) name = `${name}_${i}`;
    n.name = name;
    taken.add(name);
  });
}

/**
 * Constant nodes holding a tensor become initializers of their output's name: the quantizer finds a Conv's weights
 * among the initializers, and with them in Constant nodes no Conv was quantized and quantize failed with
 * "'fetches' cannot be an empty array".
 */
export function hoistConstants(graph: onnx.GraphProto): void {
  const outputs = new Set(graph.output.map((o) => o.name));
  graph.node = graph.node.filter((n) => {
    const t = n.opType === 'Constant' && n.attribute?.length === 1 ? n.attribute[0].t : undefined;
    const name = n.output?.[0];
    if (!t || n.attribute?.[0].name !== 'value' || !name || outputs.has(name)) return true;
    graph.initializer.push(onnx.TensorProto.create({ ...t, name }));
    return false;
  });
}

/** Drops initializers no node reads (after a rewrite replaced their readers). */
export function pruneInitializers(graph: onnx.GraphProto): void {
  const used = new Set(graph.node.flatMap((n) => n.input));
  const dropped = new Set(graph.initializer.filter((t) => !used.has(t.name)).map((t) => t.name));
  graph.initializer = graph.initializer.filter((t) => used.has(t.name));
  // an export that lists its initializers as inputs too: left there, one became an input the model needed fed
  graph.input = graph.input.filter((i) => !dropped.has(i.name));
}

export function tensorDims(t: onnx.ITensorProto): number[] {
  return (t.dims ?? []).map((d) => toNumber(d as number));
}

/** Ops whose output has the rank of their (broadcast) inputs. */
export const SAME_RANK = new Set([
  'Conv', 'Sigmoid', 'Mul', 'Add', 'Sub', 'Div', 'Relu', 'LeakyRelu', 'HardSigmoid', 'HardSwish', 'Clip', 'Pow', 'Sqrt',
  'Concat', 'MaxPool', 'AveragePool', 'Resize', 'Upsample', 'Split', 'Slice', 'Transpose', 'Softmax', 'BatchNormalization',
  'Identity', 'Tanh', 'Exp', 'ConvTranspose', 'Max', 'Min', 'Pad', 'Cast', 'MatMul',
]);

/**
 * Rank of every tensor as far as the structure tells (no shapes needed): ops that keep the rank of their
 * first input, Reshape to a constant shape, Flatten. Unknown ranks stay absent.
 */
export function inferRanks(g: GraphIndex): Map<string, number> {
  const rank = new Map<string, number>();
  for (const i of g.graph.input ?? []) if (i.name) rank.set(i.name, valueDims(i).length);
  for (const [name, t] of [...g.initializers, ...g.constants]) rank.set(name, tensorDims(t).length);
  for (const n of g.nodes) {
    const ins = (n.input ?? []).filter((s) => s);
    const r0 = ins.length ? rank.get(ins[0]) : undefined;
    let r: number | undefined;
    if (n.opType === 'Constant') continue;
    if (SAME_RANK.has(n.opType ?? '')) {
      const known = ins.map((s) => rank.get(s)).filter((x): x is number => x !== undefined);
      r = n.opType === 'Conv' || n.opType === 'Concat' || n.opType === 'Transpose' || n.opType === 'Slice' || n.opType === 'Split' ? r0 : known.length === ins.length ? Math.max(...known) : undefined;
    } else if (n.opType === 'Reshape') {
      const shape = ins[1] ? g.constantTensor(ins[1]) : undefined;
      r = shape ? int64Data(shape).length : undefined;
    } else if (n.opType === 'Flatten') {
      r = 2;
    }
    if (r !== undefined) for (const o of n.output ?? []) rank.set(o, r);
  }
  return rank;
}

export interface HeadAnalysis {
  /** Nodes of the detection head's box/score post-processing, kept in float. */
  postprocess: Set<onnx.INodeProto>;
  /** Nodes where the feature maps are left (rank changes or is unknown). */
  boundary: onnx.INodeProto[];
}

/**
 * Finds the head's post-processing from structure alone: the feature maps are rank-4 NCHW tensors; the first
 * node on a path to the output that leaves rank 4 (the head's Reshape to [1, C, N]) starts the post-processing,
 * and everything it feeds (DFL, anchor arithmetic, class sigmoid, final concats) stays float.
 */
export function findPostprocess(g: GraphIndex): HeadAnalysis {
  const rank = inferRanks(g);
  const toOutput = ancestorsOfOutputs(g);
  const boundary: onnx.INodeProto[] = [];
  for (const n of g.nodes) {
    if (n.opType === 'Constant' || !toOutput.has(n)) continue;
    const fromMap = (n.input ?? []).some((s) => s && !g.isConstant(s) && rank.get(s) === 4);
    const leaves = (n.output ?? []).some((o) => rank.get(o) !== 4);
    if (fromMap && leaves) boundary.push(n);
  }
  // A block that leaves rank 4 and comes back to add to or join the feature maps (attention over flattened
  // maps) is not the head: all it fed was kept float (the neck and head: 26 of 62 Convs quantized).
  let heads = boundary;
  for (;;) {
    const all = closure(g, heads);
    const rejoins = new Set([...all].filter((n) => !heads.includes(n) && (n.input ?? []).some((s) => s && !g.isConstant(s) && !g.graphInputs.has(s) && !all.has(g.producer.get(s) as onnx.INodeProto))));
    const kept = heads.filter((b) => ![...closure(g, [b])].some((n) => rejoins.has(n)));
    if (kept.length === heads.length) return { postprocess: all, boundary: heads };
    heads = kept;
  }
}

/** The nodes `from` and everything they feed. */
function closure(g: GraphIndex, from: readonly onnx.INodeProto[]): Set<onnx.INodeProto> {
  const out = new Set<onnx.INodeProto>();
  const stack = [...from];
  while (stack.length) {
    const n = stack.pop() as onnx.INodeProto;
    if (out.has(n)) continue;
    out.add(n);
    for (const o of n.output ?? []) for (const c of g.consumers.get(o) ?? []) stack.push(c);
  }
  return out;
}

function ancestorsOfOutputs(g: GraphIndex): Set<onnx.INodeProto> {
  const seen = new Set<onnx.INodeProto>();
  const stack = [...g.graphOutputs].map((o) => g.producer.get(o)).filter((n): n is onnx.INodeProto => !!n);
  while (stack.length) {
    const n = stack.pop() as onnx.INodeProto;
    if (seen.has(n)) continue;
    seen.add(n);
    for (const i of n.input ?? []) {
      const p = i ? g.producer.get(i) : undefined;
      if (p) stack.push(p);
    }
  }
  return seen;
}

/** Glob-like pattern (* and ?) against a node name, or a plain substring. */
export function matchesPattern(name: string, pattern: string): boolean {
  if (!/[*?]/.test(pattern)) return name.includes(pattern);
  const re = new RegExp('^' + pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.') + '$');
  return re.test(name);
}
