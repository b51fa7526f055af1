import { promises as fs } from 'fs';
import { onnx } from 'onnx-proto';
import { statusText } from '../config/fields';
import { YoloEdgeError } from '../errors';
import { NotRegularFile, readUpTo, withRegularFile } from '../regular-file';
import { Cursor, ProtobufError, Truncated, WIRE } from './protobuf-cursor';

export type ModelProto = onnx.ModelProto;

/** protobufjs gives int64 fields as Long objects or numbers; normalise to number. */
export function toNumber(v: number | { toNumber(): number } | string | null | undefined): number {
  if (v === null || v === undefined) return 0;
  if (typeof v === 'number') return v;
  if (typeof v === 'string') return Number(v);
  return v.toNumber();
}

/** The model file's bytes, read whole only once it looks like an ONNX model (requireModelProto). */
export async function readModelBytes(path: string): Promise<Buffer> {
  return withModelFile(path, (fh) => fh.readFile());
}

/**
 * Every read of a model goes through here: a regular file, whose top level is an ONNX ModelProto's, handed to
 * `use`; errors in the model's codes.
 */
export async function withModelFile<T>(path: string, use: (fh: fs.FileHandle, size: number) => Promise<T>): Promise<T> {
  return withModelCodes(path, 'model file', 'MODEL_NOT_FOUND', async (fh, size) => {
    await requireModelProto(fh, size, path);
    return use(fh, size);
  });
}

/** How a model's file that is not a regular file is named, here and in the CLI's early check. */
export function notRegularText(path: string, kind: NotRegularFile['kind'], what: string): string {
  return kind === 'folder' ? `${path} is a folder, not a ${what}` : `${path} is not a ${what} (not a regular file: a FIFO, device or socket)`;
}

/**
 * A file that goes with a model (a names file), its errors in the model's codes; one over maxBytes is refused
 * (MODEL_UNREADABLE, `tooLarge` saying why) without being read past it.
 */
export async function readModelFile(path: string, what: string, maxBytes: number, tooLarge: string): Promise<Buffer> {
  return withModelCodes(path, what, 'MODEL_UNREADABLE', async (fh) => {
    const bytes = await readUpTo(fh, maxBytes + 1);
    if (bytes.length > maxBytes) throw new YoloEdgeError(`${what} ${path} is over ${maxBytes / 2 ** 20} MB: ${tooLarge}`, 'MODEL_UNREADABLE');
    return bytes;
  });
}

async function withModelCodes<T>(path: string, what: string, missing: 'MODEL_NOT_FOUND' | 'MODEL_UNREADABLE', use: (fh: fs.FileHandle, size: number) => Promise<T>): Promise<T> {
  try {
    return await withRegularFile(path, use);
  } catch (err) {
    if (err instanceof YoloEdgeError) throw err;
    if (err instanceof NotRegularFile) {
      throw new YoloEdgeError(notRegularText(path, err.kind, what), 'MODEL_UNREADABLE');
    }
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new YoloEdgeError(`${what} not found: ${path}`, missing);
    throw new YoloEdgeError(`cannot read ${what} ${path}: ${(err as Error).message}`, 'MODEL_UNREADABLE');
  }
}

/** ModelProto's graph field. */
export const MODEL_GRAPH = 7;
/** A model's top level has a handful of fields (its metadata entries and opsets the most); a walk is bounded by it. */
const MAX_TOP_FIELDS = 10_000;

/**
 * Refuses (NOT_ONNX) a file whose top level is not a ModelProto's, from its tags and lengths alone (contents are
 * skipped, not read): junk of gigabytes was read whole before protobufjs refused it, taking seconds and as much memory.
 */
async function requireModelProto(fh: fs.FileHandle, size: number, path: string): Promise<void> {
  const notOnnx = (why: string) => new YoloEdgeError(`${path} is not an ONNX model${why}`, 'NOT_ONNX');
  if (size === 0) throw notOnnx(' (the file is empty)');
  let graph = false;
  try {
    graph = await topLevelHasGraph(new Cursor(fh, size), notOnnx);
  } catch (err) {
    if (!(err instanceof ProtobufError)) throw err;
    throw notOnnx(err instanceof Truncated ? cutShort(size) : ` (${err.message})`);
  }
  if (!graph) throw notOnnx(' (no graph found)');
}

async function topLevelHasGraph(c: Cursor, notOnnx: (why: string) => YoloEdgeError): Promise<boolean> {
  let graph = false;
  for (let n = 0; c.pos < c.size; n++) {
    if (n === MAX_TOP_FIELDS) throw notOnnx(` (too many top-level protobuf fields: over ${MAX_TOP_FIELDS}; a model has a handful)`);
    const at = c.pos;
    const tag = await c.varint();
    const field = Math.floor(tag / 8);
    const wire = tag & 7;
    if (field === 0) throw notOnnx(` (protobuf field number 0 at byte ${at})`);
    if (wire === WIRE.LEN) {
      const length = await c.varint();
      c.pos += length;
      graph ||= field === MODEL_GRAPH;
    } else if (wire === WIRE.VARINT) {
      await c.varint();
    } else if (wire === WIRE.I64 || wire === WIRE.I32) {
      c.pos += wire === WIRE.I64 ? 8 : 4;
    } else {
      throw notOnnx(` (invalid protobuf wire type ${wire} at byte ${at})`);
    }
    if (c.pos > c.size) throw new Truncated();
  }
  return graph;
}

/** What a field that runs past the end of the file says: a model whose copy or download was cut short, and the fix. */
function cutShort(size: number): string {
  return `, or one cut short: its data runs past the end of the file (${size} bytes; an interrupted copy or download?); copy it again`;
}

/** Decodes ONNX bytes; anything that is not a model with a graph is reported as not ONNX. */
export function decodeModel(bytes: Uint8Array, path: string): ModelProto {
  let model: ModelProto;
  try {
    model = onnx.ModelProto.decode(bytes);
  } catch (err) {
    throw new YoloEdgeError(`${path} is not an ONNX model${notOnnxReason(err as Error, bytes.length)}`, 'NOT_ONNX');
  }
  const graph = model.graph as onnx.GraphProto | null;
  if (bytes.length === 0) throw new YoloEdgeError(`${path} is not an ONNX model (the file is empty)`, 'NOT_ONNX');
  if (!graph || !graph.node || graph.node.length === 0 || !graph.input || graph.input.length === 0) {
    throw new YoloEdgeError(`${path} is not an ONNX model (no graph found)`, 'NOT_ONNX');
  }
  return model;
}

/**
 * protobufjs's 'index out of range: 6356823 + 147456 > 6385472' is a field running past the end of the bytes:
 * what a model whose copy or download was cut short gives, and said so, with the fix.
 */
function notOnnxReason(err: Error, size: number): string {
  if (err instanceof RangeError && /index out of range/.test(err.message)) {
    return cutShort(size);
  }
  return ` (${err.message})`;
}

/**
 * Graph edits (quantize, resize-input) read the weights from the model file itself: one whose tensors live in a
 * separate data file would be rewritten with empty weights, so it is refused.
 */
export function requireEmbeddedWeights(model: ModelProto, path: string): void {
  const external = graphOf(model).initializer.find((t) => t.dataLocation === onnx.TensorProto.DataLocation.EXTERNAL);
  if (external) {
    throw new YoloEdgeError(`${path} keeps its weights in a separate data file (external data, e.g. ${nameText(external.name)}); save it as one file (Python: onnx.save(onnx.load(path), out, save_as_external_data=False)) and try again`, 'UNSUPPORTED_MODEL');
  }
}

/** Quantized graphs use per-channel DequantizeLinear, which needs opset 13. */
export function requireOpset(model: ModelProto, min: number): void {
  const opset = model.opsetImport.find((o) => !o.domain || o.domain === 'ai.onnx');
  if (!opset || toNumber(opset.version) < min) throw new YoloEdgeError(`the model's opset ${opset?.version ?? '?'} is below ${min}; re-export it with opset >= ${min}`, 'OPSET');
}

/** A decoded graph: protobufjs fills every repeated field, so the arrays are never null. */
export function graphOf(model: ModelProto): onnx.GraphProto {
  return model.graph as onnx.GraphProto;
}

export function encodeModel(model: ModelProto): Uint8Array {
  return onnx.ModelProto.encode(model).finish();
}

export function metadataProps(model: ModelProto): Record<string, string> {
  const out: Record<string, string> = {};
  for (const p of model.metadataProps) if (p.key) out[p.key] = p.value ?? '';
  return out;
}

/** Dimensions of a graph input or output; a symbolic or missing dimension is -1. */
export function valueDims(value: onnx.IValueInfoProto): number[] {
  const dims = value.type?.tensorType?.shape?.dim ?? [];
  // a dimension with neither value nor name is unknown, as a named one is (it read 0 before: an explicit size 0)
  return dims.map((d) => (d.dimValue !== null && d.dimValue !== undefined && !d.dimParam ? toNumber(d.dimValue) : -1));
}

export function valueElemType(value: onnx.IValueInfoProto): number {
  return value.type?.tensorType?.elemType ?? 0;
}

export const TensorType = { FLOAT: 1, UINT8: 2, INT8: 3, INT32: 6, INT64: 7, FLOAT16: 10, DOUBLE: 11 } as const;

/** How much of a name or shape from a model an error shows: a name may be megabytes long, a shape thousands of dims. */
export const SHOWN_MAX = 80;

/** A tensor's or node's name as errors show it: quoted, cut. */
export function nameText(name: string | null | undefined): string {
  return `'${statusText(name ?? '', SHOWN_MAX)}'`;
}

/** A shape as errors show it: cut, with its rank when cut. */
export function shapeText(dims: readonly number[]): string {
  const text = dims.join();
  return text.length <= SHOWN_MAX ? `[${text}]` : `[${statusText(text, SHOWN_MAX)}] (${dims.length} dims)`;
}

/** ONNX element type names, for messages. */
export const ELEMENT_NAMES: Record<number, string> = {
  1: 'float32', 2: 'uint8', 3: 'int8', 4: 'uint16', 5: 'int16', 6: 'int32', 7: 'int64', 8: 'string', 9: 'bool', 10: 'float16', 11: 'float64', 16: 'bfloat16',
};
