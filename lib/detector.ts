import { ImageLimits, DEFAULT_LIMITS } from './image/decode';
import { LetterboxGeometry, toSourceBox } from './image/letterbox';
import { KeepPixels, Preprocessor } from './image/preprocess';
import { loadModelInfo, ModelInfo } from './model/model-info';
import { Candidates } from './postprocess/candidates';
import { DecodeScratch, decodeOutput } from './postprocess/decode-output';
import { nms } from './postprocess/nms';
import { CpuFeatures } from './runtime/cpu-features';
import { saturationWarning } from './runtime/saturation-check';
import { HostState } from './runtime/inference-host';
import { acquireSession, SessionLease, SessionSettings, Warn } from './runtime/session-cache';
import { Detection, ImageInput, RawImage, Timings } from './types';
import { YoloEdgeError } from './errors';

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
  /** Decoded pixels to return for annotation or a preview (see KeepPixels). */
  keepPixels: KeepPixels;
}

export const DEFAULT_DETECT: DetectOptions = {
  confidence: 0.25,
  iou: 0.7,
  classes: null,
  maxDetections: 300,
  agnostic: false,
  multiLabel: false,
  keepRaw: false,
  keepPixels: 'none',
};

export interface DetectionResult {
  detections: Detection[];
  imageWidth: number;
  imageHeight: number;
  timings: Timings;
  raw?: Float32Array;
  /** The frame's RGB pixels when keepPixels asked for them. */
  pixels?: RawImage;
}

const MAX_NMS = 30000;
/** Largest stride of a YOLOv8/YOLO11 head, when the metadata does not say. */
const DEFAULT_STRIDE = 32;
/** Frames in progress at once: one in the session while the next one is decoded and letterboxed. */
const SLOTS = 2;
/** Node-RED gives a node 15 s to close. */
const CLOSE_WAIT_MS = 5_000;

/** An input tensor and its output buffer; both travel to the inference worker and back for each run. */
interface Slot {
  pre: Preprocessor;
  output?: Float32Array;
}

/**
 * Image in, detections out: one model, its shared session (in a worker thread) and this caller's buffers.
 * Two frames may be in progress: while one runs in the session the next is decoded and letterboxed.
 * Results come back in call order.
 */
export class Detector {
  private readonly free: Slot[] = [];
  private readonly slotWaiters: Array<(s: Slot) => void> = [];
  private readonly candidates = new Candidates();
  private readonly scratch = new DecodeScratch();
  /** Resolves when the previous call has handed its frame to the session: frames enter it in call order. */
  private submitted: Promise<void> = Promise.resolve();
  private readonly running = new Set<Promise<unknown>>();
  private closed = false;
  /** Problems found at load time that do not stop the model (e.g. int8 saturation on this CPU). */
  readonly warnings: string[] = [];

  private constructor(readonly info: ModelInfo, private readonly lease: SessionLease, limits: ImageLimits) {
    const fixed = info.outputDims.every((d) => d > 0) ? info.outputDims.reduce((a, b) => a * b, 1) : 0;
    for (let i = 0; i < SLOTS; i++) {
      const stride = info.dynamicInput ? info.metadata.stride ?? DEFAULT_STRIDE : 0;
      this.free.push({ pre: new Preprocessor(info.inputWidth, info.inputHeight, info.inputType, limits, stride), output: fixed ? new Float32Array(fixed) : undefined });
    }
  }

  static async create(modelPath: string, options: DetectorOptions = {}): Promise<Detector> {
    const { info } = await loadModelInfo(modelPath, { names: options.names });
    const lease = await acquireSession(modelPath, options, options.warn);
    let d: Detector;
    try {
      d = new Detector(info, lease, options.limits ?? DEFAULT_LIMITS);
      await d.runSession(); // warm-up: the first run allocates and plans
    } catch (err) {
      await lease.release();
      throw err instanceof YoloEdgeError ? err : new YoloEdgeError(`${modelPath}: ${(err as Error).message}`, 'MODEL_LOAD_FAILED');
    }
    const saturation = saturationWarning(info, options.cpu);
    if (saturation) {
      d.warnings.push(saturation);
      options.warn?.(saturation);
    }
    return d;
  }

  get providers(): string[] {
    return this.lease.providers;
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
  async runSession(): Promise<{ output: Float32Array; ms: number }> {
    if (this.closed) throw new YoloEdgeError('detector is closed', 'CLOSED');
    const slot = await this.takeSlot();
    try {
      const r = await this.run(slot);
      return { output: r.data, ms: r.ms };
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
      await slot.pre.run(image);
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
    await this.lease.release();
  }

  private track<T>(p: Promise<T>): Promise<T> {
    this.running.add(p);
    const forget = (): void => { this.running.delete(p); };
    p.then(forget, forget);
    return p;
  }

  private async detectNow(image: ImageInput, o: DetectOptions, before: Promise<void>, handedOver: () => void): Promise<DetectionResult> {
    const slot = await this.takeSlot();
    try {
      const t0 = performance.now();
      const pre = await slot.pre.run(image, o.keepPixels);
      const t1 = performance.now();
      await before;
      const pending = this.run(slot);
      handedOver();
      const out = await pending;
      const t2 = performance.now();
      const detections = this.postprocess(out.data, out.dims, o, pre.geometry);
      const t3 = performance.now();
      return {
        detections,
        imageWidth: pre.geometry.srcWidth,
        imageHeight: pre.geometry.srcHeight,
        timings: { decode: pre.decodeMs, preprocess: pre.preprocessMs, inference: out.ms, postprocess: t3 - t2, total: t3 - t0, queued: t2 - t1 - out.ms },
        raw: o.keepRaw ? out.data.slice() : undefined,
        pixels: pre.pixels,
      };
    } finally {
      handedOver(); // also when decoding failed: the next frame must not wait for this one
      this.giveSlot(slot);
    }
  }

  /** Sends the slot's tensor to the session; its buffers come back with the answer (or are replaced if lost). */
  private async run(slot: Slot): Promise<{ data: Float32Array; dims: number[]; ms: number }> {
    // A float16 model's session has float32 edges (runtime/session-factory): its tensors are float32 here too.
    const { inputName, inputType, outputName, outputDims } = this.info;
    const input = { name: inputName, type: inputType, dims: [1, 3, slot.pre.height, slot.pre.width], data: slot.pre.data.buffer as ArrayBuffer };
    const output = slot.output ? { name: outputName, type: 'float32' as const, dims: outputDims, data: slot.output.buffer as ArrayBuffer } : undefined;
    try {
      const r = await this.lease.host.run(input, output);
      slot.pre.adopt(r.input);
      const data = new Float32Array(r.output.data);
      if (slot.output) slot.output = data;
      if (r.output.dims.length !== 3) throw new YoloEdgeError(`model output has shape [${r.output.dims}]`, 'BAD_OUTPUT');
      return { data, dims: r.output.dims, ms: r.ms };
    } catch (err) {
      const back = err as { input?: ArrayBuffer; output?: ArrayBuffer };
      if (back.input) slot.pre.adopt(back.input);
      else if (slot.pre.data.byteLength === 0) slot.pre.reallocate();
      if (slot.output && slot.output.byteLength === 0) slot.output = back.output ? new Float32Array(back.output) : new Float32Array(slot.output.length || this.info.outputDims.reduce((a, b) => a * b, 1));
      throw err;
    }
  }

  private postprocess(raw: Float32Array, dims: number[], o: DetectOptions, g: LetterboxGeometry): Detection[] {
    decodeOutput(raw, dims, this.info.layout, this.info.numClasses, {
      confidence: o.confidence,
      classes: this.classSet(o.classes),
      multiLabel: o.multiLabel,
    }, this.candidates, this.scratch);
    const kept = this.info.layout === 'end2end'
      ? topK(this.candidates, o.maxDetections)
      : nms(this.candidates, { iou: o.iou, agnostic: o.agnostic, maxDetections: o.maxDetections, maxCandidates: MAX_NMS });
    return kept.map((i) => this.toDetection(i, g));
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

  private toDetection(i: number, g: LetterboxGeometry): Detection {
    const b = this.candidates.boxes;
    const classId = this.candidates.classIds[i];
    return {
      class: this.info.names[classId] ?? `class${classId}`,
      classId,
      score: this.candidates.scores[i],
      box: toSourceBox(b[4 * i], b[4 * i + 1], b[4 * i + 2], b[4 * i + 3], g),
    };
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
    if (id < 0) throw new YoloEdgeError(`unknown class '${c}' (the model knows ${this.info.names.slice(0, 5).join(', ')}...)`, 'BAD_CLASS');
    return id;
  }
}

function topK(c: Candidates, k: number): number[] {
  const idx = Array.from({ length: c.count }, (_, i) => i);
  idx.sort((a, b) => c.scores[b] - c.scores[a]);
  return idx.slice(0, k);
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
