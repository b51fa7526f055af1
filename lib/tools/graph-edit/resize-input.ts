import * as ort from 'onnxruntime-node';
import { onnx } from 'onnx-proto';
import { floatData, GraphIndex, int64Data, tensorDims } from '../quantize/graph';
import { dimsNeeded, gridAxes } from './grid-axes';
import { resizedSizes, sizeConstants } from './grid-sizes';
import { setMetadata } from '../quantize/quantize';
import { checkWritable, writeAtomic } from '../quantize/write';
import { YoloEdgeError } from '../../errors';
import { float16Of, fromFloat16 } from '../../model/float16';
import { withFloat32Edges } from '../../model/float32-edges';
import { describeModel, layoutText, MAX_INPUT_SIDE, ModelInfo } from '../../model/model-info';
import { decodeModel, encodeModel, graphOf, ModelProto, nameText, readModelBytes, requireEmbeddedWeights, shapeText, TensorType } from '../../model/onnx-file';

/** One detection level: its grid and stride, as the model's anchor constant encodes them. */
export interface Level {
  h: number;
  w: number;
  stride: number;
}

export interface ResizeReport {
  from: [number, number];
  to: [number, number];
  levels: { from: Level; to: Level }[];
  anchors: { from: number; to: number };
  /** Constants rewritten, by kind. */
  rewritten: { anchors: number; strides: number; shapes: number };
}

/**
 * Rewrites a static YOLOv8/YOLO11 detector (float, QDQ or dynamically quantized) for another static input size.
 * The levels come from the anchor-point constant itself (a 0.5-offset grid per level), so nothing depends on node
 * names; every constant that encodes the grid is recomputed: anchor points, strides, anchor counts and per-level
 * sizes in shape vectors, feature-map sizes in shape vectors (the quantizer's upsampling). Which int64 values are
 * grid sizes is told by the axis they size (grid-axes.ts), not by their value: at 256x256 the 16x16 level's 256
 * anchors are also a C2f channel count. A float constant that holds the anchor count but is neither anchor points
 * nor strides, or an int64 value the graph does not place, stops the rewrite with its name.
 */
export async function resizeModel(model: ModelProto, height: number, width: number, path = 'model'): Promise<ResizeReport> {
  const info = describeModel(model, path);
  if (info.layout !== 'yolov8' || info.layoutFromRun) throw new YoloEdgeError(`${path}: resize-input rewrites YOLOv8/YOLO11 detectors with output [1, 4+nc, N]; ${layoutText(info)}`, 'UNSUPPORTED_MODEL');
  const graph = graphOf(model);
  const input = graph.input.find((i) => i.name === info.inputName) as onnx.ValueInfoProto;
  const dims = input.type?.tensorType?.shape?.dim ?? [];
  // a symbolic batch (a file whose batch was made dynamic) still fixes the size: only height and width tell
  if (dims.length !== 4 || dims.slice(2).some((d) => d.dimParam || !(Number(d.dimValue) > 0))) {
    throw new YoloEdgeError(`${path}: the input shape is dynamic; a dynamic model takes any size as it is`, 'UNSUPPORTED_MODEL');
  }
  const n = info.outputDims[2];
  const g = new GraphIndex(graph);
  refuseQuantizedGrid(g, n, path);
  const floats = gridConstants(g, n);
  const anchors = floats.find((c) => c.levels);
  if (!anchors?.levels) throw new YoloEdgeError(`${path}: no anchor-point constant with ${n} anchors found; cannot tell the grid`, 'UNSUPPORTED_MODEL');
  const old = anchors.levels.map((l) => ({ ...l, stride: info.inputHeight / l.h }));
  for (const l of old) {
    if (!Number.isInteger(l.stride) || l.stride * l.w !== info.inputWidth) {
      throw new YoloEdgeError(`${path}: a ${l.h}x${l.w} level does not divide the ${info.inputHeight}x${info.inputWidth} input evenly`, 'UNSUPPORTED_MODEL');
    }
  }
  const maxStride = Math.max(...old.map((l) => l.stride));
  if (old.some((l) => l.h < 2 || l.w < 2)) {
    throw new YoloEdgeError(`${path}: a level of one row or column (${info.inputHeight}x${info.inputWidth} input) cannot be told from unit dimensions; resize a model of at least ${minSide(maxStride)} per side`, 'UNSUPPORTED_MODEL');
  }
  checkImgsz(height, width, maxStride);
  // which axes are grid axes, from one run of the model as it is (Reshapes need concrete dims)
  const axes = gridAxes(g, info.inputName, (await blankRun(encodeModel(model), info, dimsNeeded(g), path)).tensors);
  const next = old.map((l) => ({ h: height / l.stride, w: width / l.stride, stride: l.stride }));
  const n2 = next.reduce((a, l) => a + l.h * l.w, 0);
  const rewritten = { anchors: 0, strides: 0, shapes: 0 };

  for (const c of floats) {
    if (c.levels) {
      writeFloats(c.tensor, anchorValues(next, c.layout), resizedDims(c.tensor, n, n2));
      rewritten.anchors++;
    } else if (stridesMatch(c.values, old)) {
      writeFloats(c.tensor, strideValues(next), resizedDims(c.tensor, n, n2));
      rewritten.strides++;
    } else {
      throw new YoloEdgeError(`${path}: constant ${nameText(c.tensor.name)} of shape ${shapeText(tensorDims(c.tensor))} holds the ${n} anchors but is neither anchor points nor strides; cannot resize it`, 'UNSUPPORTED_MODEL');
    }
  }
  const change = { old, next, counts: new Map<number, number>([[n, n2], ...old.map((l, i): [number, number] => [l.h * l.w, next[i].h * next[i].w])]) };
  const shapes = sizeConstants(g, axes).map((c) => ({ c, from: int64Data(c.tensor), to: resizedSizes(c, change, path) }));
  for (const { c, from, to } of shapes) {
    if (to.some((x, i) => x !== from[i])) {
      writeInt64(c.tensor, to);
      rewritten.shapes++;
    }
  }

  // an export that lists its initializers as inputs too declares their old shapes there (onnxruntime refused them)
  for (const i of graph.input) {
    const t = g.initializers.get(i.name ?? '');
    if (t && i.type?.tensorType) i.type.tensorType.shape = { dim: tensorDims(t).map((d) => ({ dimValue: d })) };
  }
  dims[2] = onnx.TensorShapeProto.Dimension.create({ dimValue: height });
  dims[3] = onnx.TensorShapeProto.Dimension.create({ dimValue: width });
  // [1, 4+nc, N]: only the last dim is the anchor count (at 64x64 the 84 channels of 80 classes equal it)
  const anchorDim = graph.output[0].type?.tensorType?.shape?.dim?.[2];
  if (anchorDim && !anchorDim.dimParam) anchorDim.dimValue = n2;
  graph.valueInfo = []; // intermediate shapes of the old size; onnxruntime infers them again
  setMetadata(model, 'imgsz', `[${height}, ${width}]`);
  return { from: [info.inputHeight, info.inputWidth], to: [height, width], levels: old.map((l, i) => ({ from: l, to: next[i] })), anchors: { from: n, to: n2 }, rewritten };
}

/** The whole `yolo-edge resize-input`: rewrite, check the result runs with the expected output, write atomically. */
export async function resizeModelFile(modelPath: string, out: string, height: number, width: number): Promise<ResizeReport> {
  await checkWritable(out, modelPath);
  const model = decodeModel(await readModelBytes(modelPath), modelPath);
  requireEmbeddedWeights(model, modelPath);
  const report = await resizeModel(model, height, width, modelPath);
  const bytes = encodeModel(model);
  const info = describeModel(decodeModel(bytes, out), out);
  const dims = (await blankRun(bytes, info, [], 'the resized model')).output;
  const want = [1, info.numClasses + 4, report.anchors.to];
  if (dims.join() !== want.join()) throw new YoloEdgeError(`${modelPath}: the resized model gives output ${shapeText(dims)}, expected [${want}]`, 'RESIZE_FAILED');
  await writeAtomic(out, bytes);
  return report;
}

/**
 * The smallest side resize-input takes as input, and so writes: each level two cells or more. A level of one row or
 * column cannot be told from unit dimensions, so a model resized to one stride (32x640) was refused as input.
 */
const minSide = (maxStride: number): number => 2 * maxStride;

/** Both sides multiples of the model's largest stride, from minSide to MAX_INPUT_SIDE (the detector's limit). */
function checkImgsz(height: number, width: number, maxStride: number): void {
  const ok = (side: number): boolean => side >= minSide(maxStride) && side <= MAX_INPUT_SIDE && side % maxStride === 0;
  if (!ok(height) || !ok(width)) {
    throw new YoloEdgeError(`--imgsz ${height}x${width}: both sides must be multiples of the model's largest stride ${maxStride}, from ${minSide(maxStride)} to ${MAX_INPUT_SIDE} (a level of one cell across could not be resized again)`, 'BAD_SIZE');
  }
}

/** `384x640` is height 384, width 640 (Ultralytics' imgsz order); one number is a square. */
export function parseImgsz(text: string): [number, number] {
  const m = /^\s*(\d+)\s*(?:[x,]\s*(\d+))?\s*$/i.exec(text);
  if (!m) throw new YoloEdgeError(`--imgsz takes HxW (e.g. 384x640) or one size, got '${text}'`, 'BAD_SIZE');
  const h = Number(m[1]);
  return [h, m[2] === undefined ? h : Number(m[2])];
}

/** One run on a blank image: the dims of the first output and of `extra` intermediate tensors. */
async function blankRun(bytes: Uint8Array, info: ModelInfo, extra: string[], what: string): Promise<{ output: number[]; tensors: Map<string, number[]> }> {
  // float32 edges on a float16 model, as the detector's sessions have them (onnxruntime-node takes no float16 input)
  const model = decodeModel(bytes, info.path);
  withFloat32Edges(model);
  const graph = graphOf(model);
  const first = graph.output[0].name ?? '';
  // types left out: onnxruntime infers them
  for (const name of extra) if (name !== first) graph.output.push(onnx.ValueInfoProto.create({ name }));
  let session: ort.InferenceSession | undefined;
  try {
    session = await ort.InferenceSession.create(encodeModel(model), { logSeverityLevel: 3, intraOpNumThreads: 1 });
    const size = 3 * info.inputHeight * info.inputWidth;
    const shape = [1, 3, info.inputHeight, info.inputWidth];
    const blank = info.sessionInput === 'uint8' ? new ort.Tensor('uint8', new Uint8Array(size), shape)
      : new ort.Tensor('float32', new Float32Array(size), shape);
    const out = await session.run({ [info.inputName]: blank }, [first, ...extra.filter((x) => x !== first)]);
    return { output: out[first].dims.map(Number), tensors: new Map(extra.map((name) => [name, out[name].dims.map(Number)])) };
  } catch (err) {
    throw new YoloEdgeError(`${what} does not run: ${(err as Error).message}`, 'RESIZE_FAILED');
  } finally {
    await session?.release();
  }
}

/**
 * A quantizer that also quantizes the head (onnxruntime's, by default) stores its anchor points or strides as
 * integers read by a DequantizeLinear: their values cannot be rewritten exactly, and the float ones alone left a
 * model that failed in onnxruntime's words ("Incompatible dimensions") or said no anchor constant was found.
 */
function refuseQuantizedGrid(g: GraphIndex, n: number, path: string): void {
  for (const [name, t] of [...g.initializers, ...g.constants]) {
    if (t.dataType === TensorType.FLOAT || t.dataType === TensorType.FLOAT16 || t.dataType === TensorType.INT64 || !tensorDims(t).includes(n)) continue;
    const dq = (g.consumers.get(name) ?? []).find((c) => c.opType === 'DequantizeLinear' && c.input?.[0] === name);
    // a Conv's quantized weights may have as many channels as there are anchors
    const weights = (g.consumers.get(dq?.output?.[0] ?? '') ?? []).some((c) => c.opType === 'Conv' && c.input?.[1] === dq?.output?.[0]);
    if (dq && !weights) {
      throw new YoloEdgeError(`${path}: constant ${nameText(name)} of shape ${shapeText(tensorDims(t))} holds one value per anchor (${n}) as quantized integers, which cannot be rewritten exactly; resize the float model, then quantize it`, 'UNSUPPORTED_MODEL');
    }
  }
}

interface FloatConstant {
  tensor: onnx.ITensorProto;
  values: Float32Array;
  /** Set when the values are per-level 0.5-offset grids (anchor points). */
  levels?: Array<{ h: number; w: number }>;
  layout: 'rows' | 'pairs';
}

/** Float constants with a dimension of n: the anchor points and strides of the head. */
function gridConstants(g: GraphIndex, n: number): FloatConstant[] {
  const out: FloatConstant[] = [];
  for (const t of [...g.initializers.values(), ...g.constants.values()]) {
    if (t.dataType !== TensorType.FLOAT && t.dataType !== TensorType.FLOAT16) continue;
    const dims = tensorDims(t);
    if (!dims.includes(n)) continue;
    const values = readFloats(t);
    const lead = dims.slice(0, dims.lastIndexOf(n)).filter((d) => d !== 1);
    // [.., 2, N]: x row then y row; [.., N, 2]: x, y pairs
    const layout = dims[dims.length - 1] === n ? 'rows' : 'pairs';
    const levels = values.length === 2 * n && (layout === 'pairs' || lead[lead.length - 1] === 2) ? gridLevels(values, n, layout) : undefined;
    out.push({ tensor: t, values, levels, layout });
  }
  return out;
}

function gridLevels(v: Float32Array, n: number, layout: 'rows' | 'pairs'): Array<{ h: number; w: number }> | undefined {
  const x = (i: number): number => (layout === 'rows' ? v[i] : v[2 * i]);
  const y = (i: number): number => (layout === 'rows' ? v[n + i] : v[2 * i + 1]);
  const levels: Array<{ h: number; w: number }> = [];
  let i = 0;
  while (i < n) {
    let w = 0;
    while (i + w < n && x(i + w) === w + 0.5 && y(i + w) === 0.5) w++;
    if (w === 0) return undefined;
    let h = 1;
    while (i + h * w < n && x(i + h * w) === 0.5 && y(i + h * w) === h + 0.5) h++;
    for (let j = 0; j < h * w; j++) if (x(i + j) !== (j % w) + 0.5 || y(i + j) !== Math.floor(j / w) + 0.5) return undefined;
    levels.push({ h, w });
    i += h * w;
  }
  return levels;
}

function anchorValues(levels: Level[], layout: 'rows' | 'pairs'): Float32Array {
  const n = levels.reduce((a, l) => a + l.h * l.w, 0);
  const v = new Float32Array(2 * n);
  let i = 0;
  for (const l of levels) {
    for (let r = 0; r < l.h; r++) {
      for (let c = 0; c < l.w; c++, i++) {
        if (layout === 'rows') {
          v[i] = c + 0.5;
          v[n + i] = r + 0.5;
        } else {
          v[2 * i] = c + 0.5;
          v[2 * i + 1] = r + 0.5;
        }
      }
    }
  }
  return v;
}

function stridesMatch(v: Float32Array, levels: Level[]): boolean {
  let i = 0;
  for (const l of levels) for (let j = 0; j < l.h * l.w; j++, i++) if (v[i] !== l.stride) return false;
  return i === v.length;
}

function strideValues(levels: Level[]): Float32Array {
  return Float32Array.from(levels.flatMap((l) => new Array<number>(l.h * l.w).fill(l.stride)));
}

function resizedDims(t: onnx.ITensorProto, n: number, n2: number): number[] {
  return tensorDims(t).map((d) => (d === n ? n2 : d));
}

function readFloats(t: onnx.ITensorProto): Float32Array {
  if (t.dataType === TensorType.FLOAT) return floatData(t);
  const raw = new Uint8Array(t.rawData ?? []);
  const bits = raw.length ? new Uint16Array(raw.buffer, 0, raw.length / 2) : Uint16Array.from(t.int32Data ?? []);
  const out = new Float32Array(bits.length);
  fromFloat16(bits, out);
  return out;
}

function writeFloats(t: onnx.ITensorProto, values: Float32Array, dims: number[]): void {
  const bytes = t.dataType === TensorType.FLOAT16 ? float16Of(values) : values;
  t.rawData = new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  t.floatData = [];
  t.int32Data = [];
  t.dims = dims;
}

const INT64_MAX = 2n ** 63n - 1n;

function writeInt64(t: onnx.ITensorProto, values: number[]): void {
  // int64Data gives INT64_MAX (Slice's "to the end") as 2^63 once it is a number
  t.rawData = new Uint8Array(BigInt64Array.from(values.map((v) => (BigInt(v) > INT64_MAX ? INT64_MAX : BigInt(v)))).buffer);
  t.int64Data = [];
}
