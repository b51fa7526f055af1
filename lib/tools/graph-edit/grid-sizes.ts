import { onnx } from 'onnx-proto';
import { YoloEdgeError } from '../../errors';
import { statusText } from '../../config/fields';
import { nameText, SHOWN_MAX, TensorType } from '../../model/onnx-file';
import { GraphIndex, int64Data, tensorDims } from '../quantize/graph';
import { AxisKinds, constantInts } from './grid-axes';

/** What one element of an int64 constant is to its readers: a grid size, something else, unknown, or both. */
export type Role = 'grid' | 'other' | 'unknown' | 'conflict';

export interface SizeConstant {
  tensor: onnx.ITensorProto;
  roles: Role[];
  /** Nodes that read it as a size, for messages. */
  readers: string[];
}

/** The grid before and after, and the anchor counts (total and per level) that map. */
export interface GridChange {
  old: Array<{ h: number; w: number }>;
  next: Array<{ h: number; w: number }>;
  counts: Map<number, number>;
}

type RoleAt = (i: number) => Role;

// ops a shape vector may pass through on its way to a size input, its elements keeping their positions
const SHAPE_PASS = new Set(['Cast', 'Identity', 'Unsqueeze', 'Squeeze']);

const roleOf = (kind: boolean | undefined): Role => (kind === true ? 'grid' : kind === false ? 'other' : 'unknown');
const unknown: RoleAt = () => 'unknown';

/** int64 constants that reach a size input (directly or through Concat and friends), with each element's role. */
export function sizeConstants(g: GraphIndex, axes: Map<string, AxisKinds>): SizeConstant[] {
  const found = new Map<onnx.ITensorProto, SizeConstant>();
  const visit = (name: string, roleAt: RoleAt, reader: string, depth: number): void => {
    const t = g.constantTensor(name);
    if (t) {
      if (t.dataType === TensorType.INT64) record(found, t, roleAt, reader);
      return;
    }
    const p = g.producer.get(name);
    if (!p || depth >= 8) return;
    if (p.opType === 'Concat') {
      let offset: number | undefined = 0;
      for (const i of p.input ?? []) {
        const at: number | undefined = offset;
        visit(i, at === undefined ? unknown : (k) => roleAt(at + k), reader, depth + 1);
        const piece = g.constantTensor(i);
        offset = piece && at !== undefined ? at + tensorDims(piece).reduce((a, d) => a * d, 1) : undefined;
      }
    } else if (SHAPE_PASS.has(p.opType ?? '') && p.input?.[0]) {
      visit(p.input[0], roleAt, reader, depth + 1);
    }
  };
  for (const node of g.nodes) {
    for (const [k, roleAt] of sizeInputs(g, node, axes)) {
      const name = node.input?.[k];
      if (name) visit(name, roleAt, node.name || node.opType || '?', 0);
    }
  }
  return [...found.values()];
}

/** The int64 inputs of a node that hold sizes, and what each element sizes: an axis of its output or data. */
function sizeInputs(g: GraphIndex, n: onnx.INodeProto, axes: Map<string, AxisKinds>): Array<[number, RoleAt]> {
  const out = axes.get(n.output?.[0] ?? '');
  const data = axes.get(n.input?.[0] ?? '');
  const onAxis = (axis: number | undefined): Role => (data && axis !== undefined ? roleOf(data[axis < 0 ? axis + data.length : axis]) : 'unknown');
  switch (n.opType) {
    case 'Reshape':
    case 'Resize':
      return [[n.opType === 'Reshape' ? 1 : 3, (i) => (out ? roleOf(out[i]) : 'unknown')]];
    case 'Expand': {
      // the shape is right-aligned with the output
      const length = constantInts(g, n.input?.[1])?.length;
      return [[1, (i) => (out && length !== undefined ? roleOf(out[out.length - length + i]) : 'unknown')]];
    }
    case 'Slice': {
      const given = n.input?.[3];
      const list = given ? constantInts(g, given) : undefined;
      const axisOf = (i: number): number | undefined => (given ? list?.[i] : i);
      return [[1, (i) => onAxis(axisOf(i))], [2, (i) => onAxis(axisOf(i))]];
    }
    case 'Split': {
      const axis = Number(n.attribute?.find((a) => a.name === 'axis')?.i ?? 0);
      return [[1, () => onAxis(axis)]];
    }
    case 'Tile':
      return [[1, unknown]];
    case 'ConstantOfShape':
      return [[0, unknown]];
    default:
      return [];
  }
}

function record(found: Map<onnx.ITensorProto, SizeConstant>, t: onnx.ITensorProto, roleAt: RoleAt, reader: string): void {
  const c = found.get(t) ?? { tensor: t, roles: [], readers: [] };
  const n = int64Data(t).length;
  for (let i = 0; i < n; i++) c.roles[i] = merge(c.roles[i], roleAt(i));
  if (!c.readers.includes(reader)) c.readers.push(reader);
  found.set(t, c);
}

function merge(a: Role | undefined, b: Role): Role {
  if (a === undefined || a === b) return b;
  return [a, b].some((r) => r === 'grid' || r === 'conflict') ? 'conflict' : 'unknown';
}

// -1 (infer), 0 (copy, or a start), 1 (keep, repeat once) and Slice's "to the end" are no grid sizes
const isCount = (v: number): boolean => v > 1 && v < 2 ** 62;

/**
 * The constant's values for the new grid: a level's (h, w) pair or an anchor count on grid axes, nothing else
 * changed. A value that may be a grid size where the graph does not tell, or a grid-axis value that is no level
 * size, stops the rewrite (UNSUPPORTED_MODEL) with the constant's name.
 */
export function resizedSizes(c: SizeConstant, change: GridChange, path: string): number[] {
  const v = int64Data(c.tensor);
  const out = v.slice();
  for (let i = 0; i < v.length; i++) {
    const role = c.roles[i];
    if (role === 'other' || !isCount(v[i])) continue;
    const pair = role === 'grid' && c.roles[i + 1] === 'grid' ? change.old.findIndex((l) => l.h === v[i] && l.w === v[i + 1]) : -1;
    if (pair >= 0) {
      [out[i], out[i + 1]] = [change.next[pair].h, change.next[pair].w];
      i++;
    } else if (role === 'grid' && change.counts.has(v[i])) {
      out[i] = change.counts.get(v[i]) as number;
    } else if (role !== 'unknown' || gridLike(v[i], change)) {
      throw refusal(c, i, v[i], role, path);
    }
  }
  return out;
}

function gridLike(v: number, change: GridChange): boolean {
  return change.counts.has(v) || change.old.some((l) => l.h === v || l.w === v);
}

function refusal(c: SizeConstant, i: number, v: number, role: Role, path: string): YoloEdgeError {
  const why = {
    grid: 'on a grid axis, but it is no level size or anchor count',
    conflict: 'that one reader takes as a grid size, another as a channel count',
    unknown: 'that may be a grid size or a channel count: the graph does not tell which',
    other: '',
  }[role];
  return new YoloEdgeError(`${path}: constant ${nameText(c.tensor.name)} holds ${v} (element ${i}) ${why} (read by ${statusText(c.readers.join(', '), SHOWN_MAX)}); cannot resize it`, 'UNSUPPORTED_MODEL');
}
