import { promises as fs } from 'fs';
import { checkPath, fieldError, shownStart } from '../config/fields';
import { YoloEdgeError } from '../errors';
import type { TensorElement } from '../image/tensor-layout';
import { decodeModel, ELEMENT_NAMES, graphOf, metadataProps, ModelProto, nameText, readModelBytes, readModelFile, shapeText, TensorType, valueDims, valueElemType } from './onnx-file';
import { DATA_YAML, firstOddName, lineNames, NAMES_FILE, NAMES_FILE_RULE, namesOf, systemFolderOf, yamlNames } from './names-file';
import { parsePythonRepr } from './python-repr';
import { sha256Bytes } from './sha256';
import { Int8WeightPeaks, int8WeightPeaks } from './weight-range';

/** How the detector output is laid out. */
export type OutputLayout =
  | 'yolov8' // [1, 4+nc, N]: cx, cy, w, h, class scores (YOLOv8, YOLO11)
  | 'yolov5' // [1, N, 5+nc]: cx, cy, w, h, objectness, class scores
  | 'end2end'; // [1, K, 6]: x1, y1, x2, y2, score, class (NMS-free exports)

export interface ModelMetadata {
  task?: string;
  version?: string;
  date?: string;
  license?: string;
  description?: string;
  author?: string;
  stride?: number;
  imgsz?: [number, number];
  /** Every metadata_props entry as stored in the file. */
  props: Record<string, string>;
}

export interface ModelInfo {
  path: string;
  sha256: string;
  fileSize: number;
  inputName: string;
  /** The tensor the preprocessor fills: float32 also for a float16 model (its session has float32 edges). */
  inputType: TensorElement;
  /** Element types the model file declares for its input and output. */
  sessionInput: SessionElement;
  sessionOutput: 'float32' | 'float16';
  inputWidth: number;
  inputHeight: number;
  /** Symbolic input height or width (a dynamic export): inputWidth x inputHeight is then the largest size fed. */
  dynamicInput: boolean;
  outputName: string;
  outputDims: number[];
  layout: OutputLayout;
  numClasses: number;
  names: string[];
  /**
   * The declared output shape leaves the layout or the class count open (a symbolic dim where they are read, and no
   * names or anchor count to tell): layout is then YOLOv8 and numClasses the names' count (0 without) until a run's
   * output settles them (settleLayout; a detector does at its warm-up).
   */
  layoutFromRun: boolean;
  metadata: ModelMetadata;
  /** 'int8' when QDQ, QOperator or dynamic-quantization nodes are present, 'fp16' for float16 input or Conv weights, else 'fp32'. */
  precision: 'fp32' | 'fp16' | 'int8';
  /** Largest |int8 weight| the convolutions read (127: full 8-bit range, 64: 7-bit); absent without int8 weights. */
  int8Weights?: Int8WeightPeaks;
}

export type SessionElement = 'float32' | 'float16' | 'uint8';

const INPUT_TYPES: Record<number, SessionElement> = { [TensorType.FLOAT]: 'float32', [TensorType.FLOAT16]: 'float16', [TensorType.UINT8]: 'uint8' };

export interface ModelInfoOptions {
  /** Class names that replace (or supply) the model's own. */
  names?: string[];
}

/**
 * A model a session may run: its input no larger than MAX_INPUT_SIDE on a side. The graph tools do not ask
 * this (resize-input is how such a model is made smaller).
 */
export function checkInputSize(info: ModelInfo): void {
  const { inputHeight: h, inputWidth: w } = info;
  const from = info.dynamicInput ? 'metadata imgsz (the largest size its dynamic input is fed)' : `input ${nameText(info.inputName)}`;
  if (h > MAX_INPUT_SIDE || w > MAX_INPUT_SIDE) {
    throw new YoloEdgeError(`${info.path}: ${from} is ${h}x${w}, over ${MAX_INPUT_SIDE} on a side; export it at a smaller imgsz, or make it smaller with yolo-edge resize-input`, 'BAD_SIZE');
  }
  // a dynamic input is fed sizes that differ from imgsz by multiples of the stride: all of them multiples only if imgsz is
  const stride = info.metadata.stride ?? DEFAULT_STRIDE;
  if (info.dynamicInput && (h % stride !== 0 || w % stride !== 0)) {
    throw new YoloEdgeError(`${info.path}: ${from} is ${h}x${w}, not a multiple of its stride ${stride} on each side: every frame would fail in the model; export it again (Ultralytics writes imgsz in multiples of the stride)`, 'BAD_SIZE');
  }
}

/** Largest stride of a YOLOv8/YOLO11 head, when the metadata does not say. */
export const DEFAULT_STRIDE = 32;

/** Reads a model file and tells how to feed it and how to read its output. */
export async function loadModelInfo(path: string, options: ModelInfoOptions = {}): Promise<{ info: ModelInfo; bytes: Buffer }> {
  const bytes = await readModelBytes(path);
  const model = decodeModel(bytes, path);
  const info = describeModel(model, path, options);
  checkInputSize(info);
  info.sha256 = await sha256Bytes(bytes);
  info.fileSize = (await fs.stat(path)).size;
  return { info, bytes };
}

export function describeModel(model: ModelProto, path: string, options: ModelInfoOptions = {}): ModelInfo {
  const graph = graphOf(model);
  const initNames = new Set(graph.initializer.map((t) => t.name));
  const inputs = graph.input.filter((i) => !initNames.has(i.name));
  const metadata = readMetadata(metadataProps(model));
  if (metadata.task && metadata.task !== 'detect') {
    throw new YoloEdgeError(`${path} is a ${shownStart(metadata.task)} model, not an object detector`, 'NOT_DETECTOR');
  }
  if (inputs.length !== 1) throw new YoloEdgeError(`${path} has ${inputs.length} inputs; a YOLO detector has one image input`, 'NOT_DETECTOR');
  const input = inputs[0];
  const inDims = valueDims(input);
  const inType = valueElemType(input);
  if (inDims.length !== 4 || (inDims[1] !== 3 && inDims[1] !== -1)) {
    throw new YoloEdgeError(`${path}: input ${nameText(input.name)} has shape ${shapeText(inDims)}, expected [1, 3, H, W]`, 'NOT_DETECTOR');
  }
  checkDeclaredInput(inDims, `${path}: input ${nameText(input.name)}`);
  const sessionInput = INPUT_TYPES[inType];
  if (!sessionInput) {
    throw new YoloEdgeError(`${path}: input ${nameText(input.name)} is ${elementName(inType)}; supported input types are float32, float16 and uint8 (export with half=False, or half=True for float16)`, 'UNSUPPORTED_TYPE');
  }
  const [inputHeight, inputWidth] = inputSize(inDims, metadata);
  if (graph.output.length !== 1) {
    throw new YoloEdgeError(`${path} has ${graph.output.length} outputs; a YOLO detector has one (is it a segmentation model?)`, 'NOT_DETECTOR');
  }
  const output = graph.output[0];
  const outputDims = valueDims(output);
  const outType = valueElemType(output);
  // an undeclared element type (0) is read as float32, as before types were checked
  if (outType !== 0 && outType !== TensorType.FLOAT && outType !== TensorType.FLOAT16) {
    throw new YoloEdgeError(`${path}: output ${nameText(output.name)} is ${elementName(outType)}; supported output types are float32 and float16`, 'UNSUPPORTED_TYPE');
  }
  const given = options.names ?? parseNames(metadata.props.names);
  const reading = readLayout(outputDims, given, metadata, path, inputHeight, inputWidth);
  const { layout, numClasses, names } = reading ?? { layout: 'yolov8', numClasses: given?.length ?? 0, names: given ?? [] };
  return {
    path,
    sha256: '',
    fileSize: 0,
    inputName: input.name ?? 'images',
    inputType: sessionInput === 'uint8' ? 'uint8' : 'float32',
    sessionInput,
    sessionOutput: outType === TensorType.FLOAT16 ? 'float16' : 'float32',
    inputWidth,
    inputHeight,
    // Any input size only when the output follows it too: a symbolic input with a fixed anchor count (an edited
    // export) runs at its metadata size alone.
    dynamicInput: !(inDims[2] > 0 && inDims[3] > 0) && outputDims.some((d) => d <= 0),
    outputName: output.name ?? 'output0',
    outputDims,
    layout,
    numClasses,
    names,
    layoutFromRun: !reading,
    metadata,
    precision: isQuantized(graph) ? 'int8' : sessionInput === 'float16' || hasFloat16Weights(graph) ? 'fp16' : 'fp32',
    int8Weights: int8WeightPeaks(graph),
  };
}

// static (QDQ, QOperator) and dynamic (onnxruntime quantize_dynamic) quantization
const QUANTIZED_OPS = new Set(['QuantizeLinear', 'QLinearConv', 'ConvInteger', 'MatMulInteger', 'DynamicQuantizeLinear']);

// ONNX uint8, int8, uint16, int16, uint4, int4: the element types of quantized weights
const QUANTIZED_WEIGHT_TYPES = new Set([2, 3, 4, 5, 21, 22]);

/**
 * Quantized weights or activations; a lone DequantizeLinear of a uint8 input (/255 folded in) is not. Weights of
 * any quantized type count: uint8 weights alone (no QuantizeLinear) were read as fp32, and quantize then failed
 * with "'fetches' cannot be an empty array".
 */
function isQuantized(graph: ReturnType<typeof graphOf>): boolean {
  const weights = new Set(graph.initializer.filter((t) => QUANTIZED_WEIGHT_TYPES.has(t.dataType ?? 0)).map((t) => t.name));
  return graph.node.some((n) => QUANTIZED_OPS.has(n.opType ?? '') || (n.opType === 'DequantizeLinear' && weights.has(n.input?.[0] ?? '')));
}

/**
 * Float16 Conv weights behind float32 edges (a conversion that keeps the input and output types): the graph
 * computes in float16 all the same, which the quantizer cannot calibrate (it failed in onnxruntime's words).
 */
function hasFloat16Weights(graph: ReturnType<typeof graphOf>): boolean {
  const half = new Set(graph.initializer.filter((t) => t.dataType === TensorType.FLOAT16).map((t) => t.name));
  return graph.node.some((n) => n.opType === 'Conv' && half.has(n.input?.[1] ?? ''));
}

function elementName(type: number): string {
  return `${ELEMENT_NAMES[type] ?? 'an unknown element type'} (ONNX type ${type})`;
}

/**
 * The largest input side a model may have: a session's activations grow with the input's area (a dynamic model
 * given metadata imgsz 8192 took 3.9 GB and 19 s for its first run), which an edge device's memory cannot hold.
 */
export const MAX_INPUT_SIDE = 4096;

/**
 * A batch of one (or a symbolic one) and sides of at least 1: each frame is fed alone, and onnxruntime refused a
 * declared batch of 8 or a side of 0 only at the first run, in its own words. -1 is a symbolic side.
 */
function checkDeclaredInput(dims: number[], what: string): void {
  if (dims[0] !== 1 && dims[0] !== -1) throw new YoloEdgeError(`${what} has batch size ${dims[0]} (shape [${dims}]); a detector here takes one image at a time: export it with batch=1`, 'NOT_DETECTOR');
  if (dims.slice(2).some((d) => d === 0 || d < -1)) {
    throw new YoloEdgeError(`${what} is declared ${dims[2]}x${dims[3]}: each side must be from 1 to ${MAX_INPUT_SIDE}, or symbolic (a dynamic export)`, 'BAD_SIZE');
  }
}

function inputSize(dims: number[], metadata: ModelMetadata): [number, number] {
  const h = dims[2] > 0 ? dims[2] : metadata.imgsz?.[0] ?? 640;
  const w = dims[3] > 0 ? dims[3] : metadata.imgsz?.[1] ?? 640;
  return [h, w];
}

/**
 * The layout, class count and names as the output shape `dims` of a height x width input tells them; undefined when
 * a symbolic dim leaves them open. Names that do not fit the class count are filled (class7) or cut to it.
 */
function readLayout(dims: number[], given: string[] | undefined, metadata: ModelMetadata, path: string, height: number, width: number): Pick<ModelInfo, 'layout' | 'numClasses' | 'names'> | undefined {
  const reading = detectLayout(dims, given?.length, metadata.props.end2end === 'True', path, headAnchors(height, width, metadata.stride));
  if (!reading) return undefined;
  return { ...reading, names: given?.length === reading.numClasses ? given : defaultNames(reading.numClasses, given) };
}

/**
 * The layout and class count as a run's output shape shows them, the run at the input size described (a detector's
 * warm-up): the declared shape may leave them open, as a symbolic class axis does (`[1, -1, 8400]` was read as
 * YOLOv5 with 8395 classes). One with every dim declared reads the same.
 */
export function settleLayout(info: ModelInfo, dims: number[], options: ModelInfoOptions = {}): ModelInfo {
  const reading = readLayout(dims, options.names ?? parseNames(info.metadata.props.names), info.metadata, info.path, info.inputHeight, info.inputWidth);
  if (!reading) throw new YoloEdgeError(`${info.path}: its run gave output shape ${shapeText(dims)}, which is not a YOLO detection output`, 'BAD_OUTPUT');
  return { ...info, ...reading, layoutFromRun: false };
}

/** A model's layout as the graph tools name it when they refuse it. */
export function layoutText(info: ModelInfo): string {
  return info.layoutFromRun ? `its output shape ${shapeText(info.outputDims)} leaves the layout or the class count to the first run` : `this one is '${info.layout}'`;
}

/** Anchors a head gives at an input size, one row each in its output. */
export interface HeadAnchors {
  /** A cell of each level, strides 8 to the largest (YOLOv8, YOLO11). */
  yolov8: number;
  /** Three per cell (YOLOv5). */
  yolov5: number;
}

/** A head's anchor counts at a height x width input: a level's grid is ceil(side / stride) cells a side. */
export function headAnchors(height: number, width: number, maxStride = DEFAULT_STRIDE): HeadAnchors {
  let cells = 0;
  for (let s = 8; s <= maxStride; s *= 2) cells += Math.ceil(height / s) * Math.ceil(width / s);
  return { yolov8: cells, yolov5: 3 * cells };
}

/**
 * Tells the layout apart by shape, helped by the class count when the names are known and by the anchor count the
 * input size gives (`anchors`): which axis is the larger is no sign at a small input, where a head of many classes
 * has fewer anchors than channels (600 classes at 160x160: [1, 604, 525] was read as YOLOv5 with 520 classes).
 */
export function detectLayout(dims: number[], knownClasses: number | undefined, end2end: boolean, path = 'model', anchors?: HeadAnchors): { layout: OutputLayout; numClasses: number } | undefined {
  const bad = (): YoloEdgeError =>
    new YoloEdgeError(`${path}: output shape ${shapeText(dims)} is not a YOLO detection output ([1, 4+nc, N], [1, N, 5+nc] or [1, K, 6])`, 'NOT_DETECTOR');
  // a dim declared 0 is unknown, as a symbolic one (some tools write 0): the inference worker takes any size for it
  const [batch, a, b] = dims.map((d) => (d > 0 ? d : -1));
  if (dims.length !== 3 || (batch !== 1 && batch !== -1)) throw bad();
  const v8 = anchors !== undefined && b === anchors.yolov8;
  const v5 = anchors !== undefined && a === anchors.yolov5;
  // A head's output transposed: anchors on the axis the layout has channels on. One row a cell with 5+nc columns is
  // YOLOX's and YOLOv6's layout, read as YOLOv5's: only names counting 4+nc columns tell a transposed YOLOv8 from it.
  const transposedV8 = anchors !== undefined && a === anchors.yolov8 && knownClasses !== undefined && b === 4 + knownClasses;
  const transposed = anchors !== undefined && !v8 && !v5 && (transposedV8 || b === anchors.yolov5);
  // [1, K, 6] is end-to-end unless it is a one-class YOLOv5 output, whose rows are anchors: 1008 at 128x128 already.
  // A one-class model is told by its rows too: one without the end2end key (a YOLOv10 export) was read as YOLOv5,
  // and gave no detections.
  const fewRows = a > 0 && a <= 1000;
  if (b === 6 && (end2end || (!v5 && !transposed && ((knownClasses !== undefined && knownClasses !== 1) || fewRows)))) {
    return { layout: 'end2end', numClasses: knownClasses ?? 80 };
  }
  if (knownClasses !== undefined) {
    if (a === 4 + knownClasses) return { layout: 'yolov8', numClasses: knownClasses };
    if (b === 5 + knownClasses) return { layout: 'yolov5', numClasses: knownClasses };
  }
  if (transposed) {
    const which = transposedV8 ? 'a YOLOv8 output transposed ([1, N, 4+nc])' : 'a YOLOv5 output transposed ([1, 5+nc, N])';
    throw new YoloEdgeError(`${path}: output shape ${shapeText(dims)} is ${which}, which is not read here: export it without the transpose`, 'NOT_DETECTOR');
  }
  if (v8 && v5) {
    throw new YoloEdgeError(`${path}: output shape ${shapeText(dims)} reads as YOLOv8 with ${a - 4} classes or as YOLOv5 with ${b - 5} at its input size: name its classes (the Class names setting) to tell which`, 'NOT_DETECTOR');
  }
  // a symbolic class axis: the names' count, else open until a run shows it
  const classes = (channels: number, boxColumns: number): number | undefined =>
    channels === -1 ? knownClasses : channels > boxColumns ? classCount(channels - boxColumns, dims, path) : undefined;
  const read = (layout: OutputLayout, numClasses: number | undefined) => (numClasses === undefined ? undefined : { layout, numClasses });
  if (v8 && (a > 4 || a === -1)) return read('yolov8', classes(a, 4));
  if (v5 && (b > 5 || b === -1)) return read('yolov5', classes(b, 5));
  // no anchor count of the input size (other strides): the anchors' axis is the longer one, or the symbolic one
  if (a > 4 && (b > a || b === -1)) return { layout: 'yolov8', numClasses: classCount(a - 4, dims, path) };
  if (b > 5 && (a > b || a === -1)) return { layout: 'yolov5', numClasses: classCount(b - 5, dims, path) };
  if (a === -1 && b === -1) return undefined;
  throw bad();
}

/**
 * A class count read from the output's shape, at most MAX_CLASSES: each class gets a name (class0...), and a shape
 * of [1, 100000000, N] made an array of 100 million of them, which ran the heap out and ended Node-RED.
 */
function classCount(n: number, dims: number[], path: string): number {
  if (n <= MAX_CLASSES) return n;
  throw new YoloEdgeError(`${path}: output shape [${dims}] would mean ${n} classes, over the ${MAX_CLASSES} a detector is taken to have; it is not a YOLO detection output`, 'NOT_DETECTOR');
}

function readMetadata(props: Record<string, string>): ModelMetadata {
  const md: ModelMetadata = { props };
  for (const key of ['task', 'version', 'date', 'license', 'description', 'author'] as const) {
    if (props[key]) md[key] = props[key];
  }
  if (props.stride && isStride(Number(props.stride))) md.stride = Number(props.stride);
  if (props.imgsz) {
    try {
      const v = parsePythonRepr(props.imgsz);
      if (Array.isArray(v) && v.length === 2 && v.every(isSide)) md.imgsz = [v[0] as number, v[1] as number];
      else if (isSide(v)) md.imgsz = [v, v];
    } catch {
      // a malformed imgsz leaves the input shape to decide
    }
  }
  return md;
}

/** A size: a whole number of pixels, at least 1 (anything else in metadata is malformed, and not read). */
function isSide(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= 1;
}

/**
 * A head's largest stride, as YOLO heads have them: a power of two from 8 to 128 (32 for P3-P5, 64 with P6).
 * Anything else is malformed and not read: a dynamic model letterboxes each frame to multiples of it, and a stride
 * of 7 fed the model sizes its upsampling cannot take.
 */
function isStride(v: number): boolean {
  return Number.isInteger(v) && v >= 8 && v <= 128 && (v & (v - 1)) === 0;
}

/** More classes than any detection dataset has (LVIS: 1203); a larger index in a names dict is not a class. */
export const MAX_CLASSES = 10_000;

/**
 * Names from Ultralytics' metadata: a dict {index: name} (indices as numbers, or as strings when written as JSON)
 * or a list. A dict with an index that is not a whole number from 0 to MAX_CLASSES - 1 is not read: one such key
 * would otherwise make an array of that length (the model picker reads every model in the folder).
 */
export function parseNames(text: string | undefined): string[] | undefined {
  if (!text) return undefined;
  let v: unknown;
  try {
    v = parsePythonRepr(text);
  } catch {
    return undefined;
  }
  if (Array.isArray(v)) return v.length <= MAX_CLASSES && v.every(isName) ? v.map(String) : undefined;
  if (!(v instanceof Map)) return undefined;
  const entries: Array<[number, string]> = [];
  for (const [k, name] of v) {
    const i = typeof k === 'number' ? k : typeof k === 'string' && /^\d+$/.test(k) ? Number(k) : NaN;
    if (!Number.isInteger(i) || i < 0 || i >= MAX_CLASSES || !isName(name)) return undefined;
    entries.push([i, String(name)]);
  }
  const out = defaultNames(entries.reduce((n, [i]) => Math.max(n, i + 1), 0));
  for (const [i, name] of entries) out[i] = name;
  return out;
}

/** A class name as metadata may hold it: text, or a number (a names file's JSON takes numbers too). */
function isName(v: unknown): v is string | number {
  return typeof v === 'string' || (typeof v === 'number' && Number.isFinite(v));
}

function defaultNames(n: number, partial?: string[]): string[] {
  return Array.from({ length: n }, (_, i) => partial?.[i] ?? `class${i}`);
}

/** What the *Class names* setting holds: names, or a names file to read. */
export type NamesSetting = { list: string[] } | { file: string };

/**
 * The *Class names* setting: a comma-separated list, a list or dict as Ultralytics writes names (`['a', 'b']`,
 * `{0: 'a', 1: 'b'}`, or their JSON), a names file (a name ending in .txt, .names, .json, .yaml or .yml) or,
 * anything else without a slash, one class name (a one-class model's "defect" is not a file). A path of another
 * ending is BAD_CONFIG: any readable file's text (a log, /proc/self/environ) became class names.
 */
export function parseNamesSetting(text: string | undefined): NamesSetting | undefined {
  const t = (text ?? '').trim();
  if (!t) return undefined;
  // split at its commas, ["a","b"] named class 0 '["a"' and class 1 '"b"]'
  if (/^[[{]/.test(t)) {
    const list = parseNames(t);
    if (!list) throw new YoloEdgeError(`class names must be a comma-separated list, a names file, or a list or dict of names as Ultralytics writes them (['a', 'b'] or {0: 'a', 1: 'b'}), got ${shownStart(t)}`, 'BAD_CONFIG');
    return { list };
  }
  if (t.includes(',')) return { list: t.split(',').map((s) => s.trim()) };
  if (NAMES_FILE.test(t)) return { file: checkPath('class names', t) };
  if (/[\\/]/.test(t)) throw fieldError('class names', `names or ${NAMES_FILE_RULE}`, t);
  return { list: [t] };
}

/**
 * The largest names file: MAX_CLASSES names of 400 bytes. A model file or a log picked as the names file was read
 * whole (300 MB took Node-RED to 1.2 GB) and its bytes became tens of thousands of class names, with a warning only.
 */
export const MAX_NAMES_FILE_BYTES = 4 * 2 ** 20;

/**
 * A names file (see NAMES_FILE): at most MAX_CLASSES names, each a name a person wrote, from a file outside /proc,
 * /sys and /dev. MODEL_UNREADABLE naming the file, never its text, for anything else.
 */
export async function readNamesFile(path: string): Promise<string[]> {
  const bad = (why: string) => new YoloEdgeError(`names file ${path} ${why}`, 'MODEL_UNREADABLE');
  const system = await systemFolderOf(path);
  if (system) throw bad(`is in ${system}: a names file is a text file of class names, not a file of the system's`);
  const text = (await readModelFile(path, 'names file', MAX_NAMES_FILE_BYTES, `more than names for ${MAX_CLASSES} classes take; is it a names file?`)).toString('utf8');
  let names: (string | undefined)[];
  try {
    // JSON text in a .txt too: it would otherwise be read as one class name
    names = DATA_YAML.test(path) ? yamlNames(text) : /^\s*[[{]/.test(text) ? namesOf(JSON.parse(text)) : lineNames(text);
  } catch (err) {
    throw bad(`must be one name a line, a JSON list or id mapping of names, or a data.yaml with names: (${(err as Error).message.split('\n')[0].slice(0, 200)})`);
  }
  if (names.length > MAX_CLASSES) throw bad(`has ${names.length} names, more than any model has classes (${MAX_CLASSES}); is it a names file?`);
  const odd = firstOddName(names);
  if (odd >= 0) throw bad(`has a control character or bytes that are not UTF-8 text in name ${odd}; is it a names file?`);
  return defaultNames(names.length, names as string[]);
}
