import { onnx } from 'onnx-proto';
import { findPostprocess, GraphIndex, matchesPattern } from './graph';

/** Which inputs of each quantized op carry activations (the rest are shapes, indices or scales). */
const ACTIVATION_INPUTS: Record<string, 'all' | number[]> = {
  Conv: [0],
  Sigmoid: [0],
  Mul: [0, 1],
  Add: [0, 1],
  Concat: 'all',
  MaxPool: [0],
  Resize: [0],
  Split: [0],
  Slice: [0],
  Reshape: [0],
  Transpose: [0],
  Squeeze: [0],
  Unsqueeze: [0],
  Expand: [0],
  Softmax: [0],
};

/** Ops whose output takes its input's scale and zero point, so onnxruntime can drop their Q/DQ pairs. */
export const PASS_THROUGH = new Set(['MaxPool', 'Resize', 'Reshape', 'Transpose', 'Slice', 'Split', 'Squeeze', 'Unsqueeze', 'Expand']);

export interface ExcludedNode {
  name: string;
  opType: string;
  reason: 'postprocess' | 'feeds-postprocess' | 'stem' | 'pattern' | 'accuracy-budget' | 'unsupported' | 'constant-input';
}

export interface QuantPlan {
  /** Nodes that get Q/DQ on their activations (and quantized weights for Conv). */
  nodes: onnx.INodeProto[];
  /** Activation tensors to quantize; each maps to the tensor whose scale it shares (itself when calibrated). */
  tensors: Map<string, string>;
  /** Tensors whose range calibration must measure. */
  calibrate: string[];
  /** Tensors that share one scale over the union of their calibrated ranges, by the tensor named in `tensors`. */
  groups: Map<string, string[]>;
  excluded: ExcludedNode[];
  graphInput: string;
}

export interface PlanOptions {
  exclude: string[];
  /** Quantize the stem too (the Conv reading the image and its activation); float by default. */
  quantizeStem?: boolean;
  /** Node names kept float on top of the rest (accuracy budget). */
  keepFloat: ReadonlySet<string>;
}

export function activationInputs(n: onnx.INodeProto, g: GraphIndex): string[] {
  const spec = ACTIVATION_INPUTS[n.opType ?? ''];
  if (!spec) return [];
  const ins = n.input ?? [];
  const picked = spec === 'all' ? ins : spec.map((i) => ins[i]);
  return picked.filter((s): s is string => !!s && !g.isConstant(s));
}

/** Decides what to quantize: every supported op outside the head's post-processing and the exclusions. */
export function planQuantization(g: GraphIndex, options: PlanOptions): QuantPlan {
  const { postprocess } = findPostprocess(g);
  const stem = options.quantizeStem ? new Set<onnx.INodeProto>() : findStem(g);
  const excluded: ExcludedNode[] = [];
  const chosen = new Set<onnx.INodeProto>();
  const exclude = (n: onnx.INodeProto, reason: ExcludedNode['reason']): void => {
    excluded.push({ name: n.name ?? '', opType: n.opType ?? '', reason });
  };
  for (const n of g.nodes) {
    const name = n.name ?? '';
    if (n.opType === 'Constant') continue;
    if (postprocess.has(n)) exclude(n, 'postprocess');
    else if (stem.has(n)) exclude(n, 'stem');
    else if (!ACTIVATION_INPUTS[n.opType ?? '']) exclude(n, 'unsupported');
    else if (options.exclude.some((p) => matchesPattern(name, p))) exclude(n, 'pattern');
    else if (options.keepFloat.has(name)) exclude(n, 'accuracy-budget');
    else if (activationInputs(n, g).length === 0) exclude(n, 'constant-input');
    else if (n.opType === 'Conv' && !g.initializers.has(n.input?.[1] ?? '')) exclude(n, 'constant-input');
    else chosen.add(n);
  }
  keepHeadJoinsFloat(g, chosen, excluded);
  return buildPlan(g, [...chosen], excluded);
}

const ACTIVATIONS = new Set(['Sigmoid', 'Mul', 'Relu', 'LeakyRelu', 'Clip', 'HardSigmoid', 'HardSwish']);

/**
 * The stem: Convs that read the image itself and the activation ops fed only by them (SiLU's Sigmoid and Mul).
 * From a float input they stay float: quantizing the float image costs a full pass and rounds it, and a
 * 3-channel int8 convolution falls back to a slow im2col. With --uint8-input the bytes are exact and the
 * channels are padded to 4 (pad-channels.ts), so the stem is quantized then.
 */
export function findStem(g: GraphIndex): Set<onnx.INodeProto> {
  const stem = new Set<onnx.INodeProto>();
  const made = new Set<string>();
  for (const n of g.nodes) {
    const ins = (n.input ?? []).filter((t) => t && !g.isConstant(t));
    const fromImage = n.opType === 'Conv' && ins.length === 1 && g.graphInputs.has(ins[0]);
    const fromStem = ACTIVATIONS.has(n.opType ?? '') && ins.length > 0 && ins.every((t) => made.has(t));
    if (fromImage || fromStem) {
      stem.add(n);
      for (const o of n.output ?? []) made.add(o);
    }
  }
  return stem;
}

/**
 * Non-Conv ops whose outputs go only to float nodes (the head's per-scale Concats joining box and class
 * logits) stay float: one shared scale over both would blur the class scores, and nothing fuses there.
 */
function keepHeadJoinsFloat(g: GraphIndex, chosen: Set<onnx.INodeProto>, excluded: ExcludedNode[]): void {
  let changed = true;
  while (changed) {
    changed = false;
    for (const n of [...chosen]) {
      if (n.opType === 'Conv') continue;
      const readers = (n.output ?? []).flatMap((o) => g.consumers.get(o) ?? []);
      if (readers.length > 0 && readers.every((r) => !chosen.has(r))) {
        chosen.delete(n);
        excluded.push({ name: n.name ?? '', opType: n.opType ?? '', reason: 'feeds-postprocess' });
        changed = true;
      }
    }
  }
}

function buildPlan(g: GraphIndex, nodes: onnx.INodeProto[], excluded: ExcludedNode[]): QuantPlan {
  const order = new Map(g.nodes.map((n, i) => [n, i]));
  nodes.sort((a, b) => (order.get(a) ?? 0) - (order.get(b) ?? 0));
  const tensors = new Map<string, string>();
  const graphInput = [...g.graphInputs][0] ?? '';
  const own = (t: string): void => {
    if (!tensors.has(t) && !g.graphOutputs.has(t)) tensors.set(t, t);
  };
  for (const n of nodes) {
    const ins = activationInputs(n, g);
    for (const t of ins) own(t);
    const outs = (n.output ?? []).filter((o) => o && !g.graphOutputs.has(o));
    if (PASS_THROUGH.has(n.opType ?? '') && ins.length === 1) {
      const src = tensors.get(ins[0]) ?? ins[0];
      for (const o of outs) tensors.set(o, src);
    } else {
      for (const o of outs) own(o);
    }
  }
  const calibrate = [...tensors.entries()].filter(([t, src]) => t === src && t !== graphInput).map(([t]) => t);
  const groups = shareConcatScales(g, nodes, tensors, graphInput);
  return { nodes, tensors, calibrate, excluded, graphInput, groups };
}

/**
 * A Concat whose inputs carry its output's scale and zero point runs as a plain copy in onnxruntime instead
 * of requantizing every input through a lookup table, so each quantized Concat joins its inputs and output
 * into one group with the union of their ranges (groups chain through shared tensors).
 */
function shareConcatScales(g: GraphIndex, nodes: onnx.INodeProto[], tensors: Map<string, string>, graphInput: string): Map<string, string[]> {
  const parent = new Map<string, string>();
  const find = (t: string): string => {
    let r = t;
    while (parent.has(r) && parent.get(r) !== r) r = parent.get(r) as string;
    parent.set(t, r);
    return r;
  };
  for (const n of nodes) {
    if (n.opType !== 'Concat') continue;
    const members = [...activationInputs(n, g), ...(n.output ?? [])].map((t) => tensors.get(t)).filter((t): t is string => !!t);
    if (members.length < 2 || members.includes(graphInput)) continue;
    const root = find(members[0]);
    for (const m of members.slice(1)) {
      const r = find(m);
      if (r !== root) parent.set(r, root);
    }
  }
  const groups = new Map<string, string[]>();
  for (const t of parent.keys()) {
    const root = find(t);
    groups.set(root, [...(groups.get(root) ?? []), t]);
  }
  for (const [t, src] of tensors) if (parent.has(src)) tensors.set(t, find(src));
  return groups;
}

