import { YoloEdgeError } from '../errors';
import { decodeModel, MODEL_GRAPH, ModelProto, withModelFile } from './onnx-file';
import { Cursor, WIRE } from './protobuf-cursor';

// A model file without its weights, for listings: the protobuf is walked with positional reads and the
// initializers' data fields are skipped, never read. A 1.5 GB model costs a few hundred KB of memory.

const GRAPH_INITIALIZER = 5;
/** TensorProto fields kept: dims, data_type, name. */
const TENSOR_KEEP = new Set([1, 2, 8]);
/**
 * Everything but the weights must fit in this (nodes, shapes, metadata, small constants): yolov8n's is 60 KB, its
 * QDQ INT8 copy's 250 KB. Decoding costs up to about 60 bytes of heap per byte kept (each packed int64 a Long
 * object): 64 MB, the limit before, took 3.8 GB and 20 s.
 */
export const MAX_SKELETON_BYTES = 2 << 20;
/**
 * Fields walked, the weights' included (yolov8n has 1,415; its QDQ INT8 copy a few times that): each costs memory, so a file of
 * millions of 2-byte fields (10 MB of them took 840 MB and 6 s) is refused instead.
 */
const MAX_FIELDS = 50_000;

function varintBytes(v: number): Buffer {
  const out: number[] = [];
  while (v >= 0x80) {
    out.push((v % 128) | 0x80);
    v = Math.floor(v / 128);
  }
  out.push(v);
  return Buffer.from(out);
}

const lenField = (field: number, body: Buffer) => Buffer.concat([varintBytes((field << 3) | WIRE.LEN), varintBytes(body.length), body]);

interface Field {
  field: number;
  wire: number;
  /** Offset of the field's payload (after the tag, and after the length for LEN fields). */
  start: number;
  /** Length of the payload for LEN fields; the whole field's raw bytes otherwise. */
  length: number;
  raw: Buffer;
}

/** The next field at the cursor: its tag, and for LEN fields the payload's extent without reading it. */
async function nextField(c: Cursor): Promise<Field> {
  if (++c.fields > MAX_FIELDS) throw new YoloEdgeError(`the model has over ${MAX_FIELDS} protobuf fields; too many to describe without its weights`, 'MODEL_TOO_LARGE');
  const tagAt = c.pos;
  const tag = await c.varint();
  const field = Math.floor(tag / 8);
  const wire = tag & 7;
  if (wire === WIRE.LEN) {
    const length = await c.varint();
    const start = c.pos;
    if (start + length > c.size) throw new Error('truncated protobuf');
    return { field, wire, start, length, raw: Buffer.alloc(0) };
  }
  if (wire === WIRE.VARINT) await c.varint();
  else if (wire === WIRE.I64) await c.bytes(8);
  else if (wire === WIRE.I32) await c.bytes(4);
  else throw new Error(`unsupported protobuf wire type ${wire}`);
  const end = c.pos;
  c.pos = tagAt;
  const raw = Buffer.from(await c.bytes(end - tagAt));
  return { field, wire, start: tagAt, length: raw.length, raw };
}

/** Copies a field as it is (reading its payload). */
async function copyField(c: Cursor, f: Field, budget: { left: number }): Promise<Buffer> {
  // every byte kept counts, small fields' too
  budget.left -= f.length;
  if (budget.left < 0) throw new YoloEdgeError('the model is too large to describe without its weights', 'MODEL_TOO_LARGE');
  if (f.wire !== WIRE.LEN) return f.raw;
  c.pos = f.start;
  const body = Buffer.from(await c.bytes(f.length));
  return lenField(f.field, body);
}

/** A TensorProto with only dims, data type and name. */
async function strippedTensor(c: Cursor, start: number, length: number, budget: { left: number }): Promise<Buffer> {
  const parts: Buffer[] = [];
  c.pos = start;
  while (c.pos < start + length) {
    const f = await nextField(c);
    // the kept fields share the budget: a tensor name can be as long as the file
    if (TENSOR_KEEP.has(f.field)) parts.push(await copyField(c, f, budget));
    if (f.wire === WIRE.LEN) c.pos = f.start + f.length;
  }
  return Buffer.concat(parts);
}

async function strippedGraph(c: Cursor, start: number, length: number, budget: { left: number }): Promise<Buffer> {
  const parts: Buffer[] = [];
  c.pos = start;
  while (c.pos < start + length) {
    const f = await nextField(c);
    if (f.field === GRAPH_INITIALIZER && f.wire === WIRE.LEN) parts.push(lenField(f.field, await strippedTensor(c, f.start, f.length, budget)));
    else parts.push(await copyField(c, f, budget));
    if (f.wire === WIRE.LEN) c.pos = f.start + f.length;
  }
  return Buffer.concat(parts);
}

/** The model at `path` with its initializers' data left out (names, types and shapes kept). */
export async function readModelSkeleton(path: string): Promise<ModelProto> {
  return withModelFile(path, async (fh, size) => {
    const c = new Cursor(fh, size);
    const budget = { left: MAX_SKELETON_BYTES };
    const parts: Buffer[] = [];
    // Repeated occurrences of the graph field merge (protobuf rules); protobufjs would keep only the last.
    const graph: Buffer[] = [];
    try {
      while (c.pos < size) {
        const f = await nextField(c);
        if (f.field === MODEL_GRAPH && f.wire === WIRE.LEN) graph.push(await strippedGraph(c, f.start, f.length, budget));
        else parts.push(await copyField(c, f, budget));
        if (f.wire === WIRE.LEN) c.pos = f.start + f.length;
      }
    } catch (err) {
      if (err instanceof YoloEdgeError) throw err;
      throw new YoloEdgeError(`${path} is not an ONNX model (${(err as Error).message})`, 'NOT_ONNX');
    }
    if (graph.length) parts.push(lenField(MODEL_GRAPH, Buffer.concat(graph)));
    return decodeModel(Buffer.concat(parts), path);
  });
}
