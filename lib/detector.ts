import * as path from 'path';
import { ImageLimits, DEFAULT_LIMITS } from './image/decode';
import { LetterboxGeometry, toSourceBox } from './image/letterbox';
import { KeepPixels } from './image/preprocess';
import { tensorByteLength } from './image/tensor-layout';
import { DEFAULT_STRIDE, loadModelInfo, ModelInfo, parseNames, settleLayout } from './model/model-info';
import { FoundBoxes } from './postprocess/find-boxes';
import { CpuFeatures } from './runtime/cpu-features';
import { saturationWarning } from './runtime/saturation-check';
import { DecodedFrame, frameDecoder } from './runtime/frame-decoder';
import { SlotSpec } from './runtime/frame-protocol';
import { HostState, RunReply } from './runtime/inference-host';
import { RunPostprocess } from './runtime/worker-protocol';
import { acquireSession, SessionLease, SessionSettings, Warn } from './runtime/session-cache';
import { checkSameFile, fileIdentity } from './runtime/file-identity';
import { Detection, ImageInput, Timings } from './types';
import { YoloEdgeError } from './errors';
import { shownStart } from './config/fields';

export interface DetectorOptions extends SessionSettings {
  /** Class names that replace the model's own. */
  names?: string[];
  limits?: ImageLimits;
  warn?: Warn;
  /** The CPU the model runs on (tests fake it); this machine's by default. */
  cpu?: CpuFeatures;
}

export interface DetectOptions {
  confidence: number;
  iou: number;
  /** Class names or ids to keep; empty or null keeps all. */
  classes: ReadonlyArray<string | number> | null;
  maxDetections: number;
  agnostic: boolean;
  /** Every class over the threshold per anchor (as Ultralytics validation does). */
  multiLabel: boolean;
  /** Return a copy of the raw model output too. */
  keepRaw: boolean;
  /** Return the frame with its boxes and labels drawn, JPEG (as `annotated`). */
  annotate: boolean;
  /** Return an annotated thumbnail this wide, JPEG (as `thumbnail`); 0 for none. */
  thumbnail: number;
}

export const DEFAULT_DETECT: DetectOptions = {
  confidence: 0.25,
  iou: 0.7,
  classes: null,
  maxDetections: 300,
  agnostic: false,
  multiLabel: false,
  keepRaw: false,
  annotate: false,
  thumbnail: 0,
};

export interface DetectionResult {
  detections: Detection[];
  imageWidth: number;
  imageHeight: number;
  timings: Timings;
  raw?: Float32Array;
  /** JPEGs drawn when asked (annotate, thumbnail), from the pixels decoded for the model. */
  annotated?: Buffer;
  thumbnail?: Buffer;
}

/** Says so when a names override does not name exactly the model's classes (a typo, or the wrong names file). */
function namesCountWarning(names: string[] | undefined, info: ModelInfo, given = 'given for'): string | undefined {
  if (!names || names.length === info.numClasses) return undefined;
  const rest = names.length < info.numClasses ? `classes ${names.length} to ${info.numClasses - 1} are named class${names.length}...` : `names after the ${info.numClasses}th are not used`;
  return `${names.length} class names ${given} ${path.basename(info.path)}, which has ${info.numClasses} classes: ${rest}`;
}

/**
 * Says so when the model's own names metadata is there but cannot serve (a hand-edited or foreign export): its
 * boxes would be named class0, class1... without a word. A model without names metadata is named so by design.
 */
function metadataNamesWarning(info: ModelInfo, override: string[] | undefined): string | undefined {
  const text = info.metadata.props.names;
  if (override || !text) return undefined;
  const fix = "; the yolo-model node's Class names setting can name them";
  const names = parseNames(text);
  if (!names) return `the class names in ${path.basename(info.path)}'s metadata cannot be read: its classes are named class0 to class${info.numClasses - 1}${fix}`;
  const mismatch = namesCountWarning(names, info, 'in the metadata of');
  return mismatch && mismatch + fix;
}

/** Frames in progress at once: one in the session while the next one is decoded and letterboxed. */
const SLOTS = 2;
/** Node-RED gives a node 15 s to close. */
const CLOSE_WAIT_MS = 5_000;

/** A frame's input tensor buffer, shared by the image worker (which writes it) and the inference worker. */
interface Slot {
  spec: SlotSpec;
  /** The tensor size of the frame in it. */
  width: number;
  height: number;
}

let nextSlotKey = 1;

/**
 * Image in, detections out: one model, its shared session (in a worker thread) and this caller's buffers.
 * Two frames may be in progress: while one runs in the session the next is decoded and letterboxed.
 * Results come back in call order.
 */
export class Detector {
  private readonly free: Slot[] = [];
  private readonly slotWaiters: Array<(s: Slot) => void> = [];
  /** Resolves when the previous call has handed its frame to the session: frames enter it in call order. */
  private submitted: Promise<void> = Promise.resolve();
  private readonly running = new Set<Promise<unknown>>();
  private closed = false;
  /** close() has stopped waiting and let go of the session and the image worker. */
  private released = false;
  private readonly slots: Slot[] = [];

  /** `saturation`: why this INT8 model loses accuracy on this CPU (its int8 products saturate), when it does. */
  private constructor(private described: ModelInfo, private readonly lease: SessionLease, limits: ImageLimits, readonly saturation?: string) {
    const stride = described.dynamicInput ? described.metadata.stride ?? DEFAULT_STRIDE : 0;
    const { inputWidth: width, inputHeight: height, inputType: tensor } = described;
    const bytes = tensorByteLength(tensor, width, height);
    for (let i = 0; i < SLOTS; i++) {
      const spec: SlotSpec = { key: nextSlotKey++, buffer: new SharedArrayBuffer(bytes), tensor, width, height, stride, limits };
      this.slots.push({ spec, width, height });
    }
    this.free.push(...this.slots);
  }

  static async create(modelPath: string, options: DetectorOptions = {}): Promise<Detector> {
    // The file as described below: one replaced while it is read, or before its session starts, is refused
    // (MODEL_CHANGED) rather than run under another file's description and sha256.
    const identity = await fileIdentity(modelPath);
    const { info } = await loadModelInfo(modelPath, { names: options.names });
    await checkSameFile(modelPath, identity, info.sha256, 'load');
    const saturation = saturationWarning(info, options.cpu);
    const lease = await acquireSession(modelPath, options, options.warn, identity, info.sha256);
    frameDecoder.acquire();
    let d: Detector;
    try {
      d = new Detector(info, lease, options.limits ?? DEFAULT_LIMITS, saturation);
      // warm-up: the first run allocates and plans, and its output shape settles what the declared one left open
      d.described = settleLayout(info, (await d.runBare()).dims, { names: options.names });
    } catch (err) {
      await Promise.all([lease.release(), frameDecoder.release()]);
      throw err instanceof YoloEdgeError ? err : new YoloEdgeError(`${modelPath}: ${(err as Error).message}`, 'MODEL_LOAD_FAILED');
    }
    const mismatch = namesCountWarning(options.names, d.info) ?? metadataNamesWarning(d.info, options.names);
    if (mismatch) options.warn?.(mismatch);
    if (saturation) options.warn?.(saturation);
    return d;
  }

  /** The model as described, its layout and classes as its first run showed them. */
  get info(): ModelInfo {
    return this.described;
  }

  get providers(): string[] {
    return this.lease.providers;
  }

  /** Intra-op threads the session runs with. */
  get threads(): number {
    return this.lease.threads;
  }

  /** Throws MODEL_CHANGED (MODEL_NOT_FOUND when gone) unless the model file is still the one loaded, as a worker restart would. */
  checkFile(): Promise<void> {
    const { modelPath, identity, sha256 } = this.lease.host.config;
    return checkSameFile(modelPath, identity, sha256);
  }

  /** Worker restarts and recoveries of the session this detector uses. */
  onState(listener: (s: HostState) => void): () => void {
    return this.lease.host.onState(listener);
  }

  /** Runs one image; up to two calls overlap (decode of one, inference of the other), answered in call order. */
  detect(image: ImageInput, options: Partial<DetectOptions> = {}): Promise<DetectionResult> {
    if (this.closed) return Promise.reject(new YoloEdgeError('detector is closed', 'CLOSED'));
    const before = this.submitted;
    let handedOver!: () => void;
    this.submitted = new Promise<void>((resolve) => { handedOver = resolve; });
    return this.track(this.detectNow(image, { ...DEFAULT_DETECT, ...options }, before, handedOver));
  }

  /** The bare session.run on a slot's current input tensor (benchmarks); ms as the worker measured it. */
  async runSession(): Promise<{ ms: number }> {
    return { ms: (await this.runBare()).ms };
  }

  private async runBare(): Promise<RunReply> {
    if (this.closed) throw new YoloEdgeError('detector is closed', 'CLOSED');
    const slot = await this.takeSlot();
    try {
      return await this.run(slot);
    } finally {
      this.giveSlot(slot);
    }
  }

  /** Throws the error detect() would give for these options (e.g. a class this model does not know). */
  checkOptions(options: Partial<DetectOptions>): void {
    this.classSet(options.classes ?? null);
  }

  /** Letterboxes an image into the input tensor the next runSession() runs (benchmarks). */
  async preprocess(image: ImageInput): Promise<void> {
    const slot = await this.takeSlot();
    try {
      await this.prepare(slot, image, 'none');
    } finally {
      this.giveSlot(slot);
    }
  }

  /** Waits for the frames in progress (at most CLOSE_WAIT_MS: one may wait for a worker's restart backoff). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<void>((resolve) => { timer = setTimeout(resolve, CLOSE_WAIT_MS); });
    await Promise.race([Promise.allSettled([...this.running]), late]);
    clearTimeout(timer);
    this.released = true;
    frameDecoder.forget(this.slots.map((s) => s.spec.key));
    await Promise.all([this.lease.release(), frameDecoder.release()]);
  }

  private track<T>(p: Promise<T>): Promise<T> {
    this.running.add(p);
    const forget = (): void => { this.running.delete(p); };
    p.then(forget, forget);
    return p;
  }

  private async detectNow(image: ImageInput, o: DetectOptions, before: Promise<void>, handedOver: () => void): Promise<DetectionResult> {
    // the pixels decoded for the model are kept in the image worker for drawing: no second decode
    const keep: KeepPixels = o.annotate ? 'full' : o.thumbnail > 0 ? 'model' : 'none';
    const { result, frame } = await this.inSlot(image, o, keep, before, handedOver);
    if (keep === 'none') return result;
    const { detections, imageWidth: width, imageHeight: height } = result;
    return { ...result, ...(await frameDecoder.draw(frame, { detections, width, height, annotate: o.annotate, thumbnail: o.thumbnail })) };
  }

  /** A frame through a slot: decoded into it, run in the session, boxes back; the slot is free again after. */
  private async inSlot(image: ImageInput, o: DetectOptions, keep: KeepPixels, before: Promise<void>, handedOver: () => void): Promise<{ result: DetectionResult; frame: number }> {
    const slot = await this.takeSlot();
    let kept: number | undefined;
    try {
      // a call that got its slot only after close() stopped waiting would decode in a worker nobody ends
      if (this.released) throw new YoloEdgeError('detector is closed', 'CLOSED');
      const t0 = performance.now();
      const pre = await this.prepare(slot, image, keep);
      if (keep !== 'none') kept = pre.frame;
      const t1 = performance.now();
      const post = this.postOptions(o); // before waiting: a bad class fails this frame at once
      await before;
      const pending = this.run(slot, post);
      handedOver();
      const out = await pending;
      const t2 = performance.now();
      if (!out.found) throw new YoloEdgeError('the inference worker sent no boxes for this frame', 'INFERENCE_FAILED');
      const detections = this.toDetections(out.found, pre.geometry);
      const t3 = performance.now();
      const result: DetectionResult = {
        detections,
        imageWidth: pre.geometry.srcWidth,
        imageHeight: pre.geometry.srcHeight,
        timings: {
          decode: pre.decodeMs,
          preprocess: pre.preprocessMs,
          inference: out.ms,
          postprocess: out.postMs + t3 - t2,
          total: t3 - t0,
          queued: t2 - t1 - out.ms - out.postMs,
        },
        raw: out.raw ? new Float32Array(out.raw.data) : undefined,
      };
      kept = undefined;
      return { result, frame: pre.frame };
    } finally {
      if (kept !== undefined) frameDecoder.drop(kept);
      handedOver(); // also when decoding failed: the next frame must not wait for this one
      this.giveSlot(slot);
    }
  }

  private postOptions(o: DetectOptions): RunPostprocess {
    const classes = this.classSet(o.classes);
    return {
      layout: this.info.layout,
      numClasses: this.info.numClasses,
      confidence: o.confidence,
      classes: classes ? [...classes] : null,
      multiLabel: o.multiLabel,
      iou: o.iou,
      agnostic: o.agnostic,
      maxDetections: o.maxDetections,
      keepRaw: o.keepRaw,
    };
  }

  /** Decodes and letterboxes a frame into the slot, in the image worker. */
  private async prepare(slot: Slot, image: ImageInput, keep: KeepPixels): Promise<DecodedFrame> {
    const pre = await frameDecoder.prepare(slot.spec, image, keep);
    slot.width = pre.width;
    slot.height = pre.height;
    return pre;
  }

  /** Runs the slot's frame in the session. */
  private run(slot: Slot, post?: RunPostprocess): Promise<RunReply> {
    // A float16 model's session has float32 edges (runtime/session-factory): its tensors are float32 here too.
    const { inputName, inputType, outputName, outputDims } = this.info;
    const input = { name: inputName, type: inputType, width: slot.width, height: slot.height, data: slot.spec.buffer };
    return this.lease.host.run(input, { name: outputName, dims: outputDims }, post);
  }

  private toDetections(f: FoundBoxes, g: LetterboxGeometry): Detection[] {
    const b = f.boxes;
    return Array.from(f.scores, (score, i) => {
      const classId = f.classIds[i];
      return { class: this.info.names[classId] ?? `class${classId}`, classId, score, box: toSourceBox(b[4 * i], b[4 * i + 1], b[4 * i + 2], b[4 * i + 3], g) };
    });
  }

  private takeSlot(): Promise<Slot> {
    const s = this.free.pop();
    return s ? Promise.resolve(s) : new Promise((resolve) => this.slotWaiters.push(resolve));
  }

  private giveSlot(s: Slot): void {
    const next = this.slotWaiters.shift();
    if (next) next(s);
    else this.free.push(s);
  }

  private classSet(classes: ReadonlyArray<string | number> | null): Set<number> | null {
    if (!classes || classes.length === 0) return null;
    return new Set(classes.map((c) => this.classId(c)));
  }

  private classId(c: string | number): number {
    if (typeof c === 'number' || /^\d+$/.test(c)) {
      const id = Number(c);
      if (id < 0 || id >= this.info.numClasses) throw new YoloEdgeError(`class id ${id} is out of range 0..${this.info.numClasses - 1}`, 'BAD_CLASS');
      return id;
    }
    const id = this.info.names.indexOf(c.trim());
    // shown cut: msg.classes may come from a request, and its error is logged and sent on with every frame
    if (id < 0) throw new YoloEdgeError(`unknown class ${shownStart(c)} (the model knows ${this.info.names.slice(0, 5).join(', ')}...)`, 'BAD_CLASS');
    return id;
  }
}

/** Names a model version in messages and reports: file, hash, metadata version and date, precision. */
export interface ModelIdentity {
  file: string;
  sha256: string;
  version?: string;
  date?: string;
  precision: string;
}

export function describeDetector(d: Detector): ModelIdentity {
  const i = d.info;
  return { file: i.path, sha256: i.sha256, version: i.metadata.version, date: i.metadata.date, precision: i.precision };
}
