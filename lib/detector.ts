import * as ort from 'onnxruntime-node';
import { ImageLimits, DEFAULT_LIMITS } from './image/decode';
import { LetterboxGeometry } from './image/letterbox';
import { Preprocessor } from './image/preprocess';
import { loadModelInfo, ModelInfo } from './model/model-info';
import { Candidates } from './postprocess/candidates';
import { DecodeScratch, decodeOutput } from './postprocess/decode-output';
import { nms } from './postprocess/nms';
import { CpuFeatures } from './runtime/cpu-features';
import { saturationWarning } from './runtime/saturation-check';
import { acquireSession, SessionLease, SessionSettings, Warn } from './runtime/session-cache';
import { Detection, ImageInput, Timings, YoloEdgeError } from './types';

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
}

export const DEFAULT_DETECT: DetectOptions = {
  confidence: 0.25,
  iou: 0.7,
  classes: null,
  maxDetections: 300,
  agnostic: false,
  multiLabel: false,
  keepRaw: false,
};

export interface DetectionResult {
  detections: Detection[];
  imageWidth: number;
  imageHeight: number;
  timings: Timings;
  raw?: Float32Array;
}

const MAX_NMS = 30000;

/** Image in, detections out: one model, its shared session and the buffers of one caller. */
export class Detector {
  private readonly pre: Preprocessor;
  private readonly input: ort.Tensor;
  private output?: ort.Tensor;
  private readonly candidates = new Candidates();
  private readonly scratch = new DecodeScratch();
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;
  /** Problems found at load time that do not stop the model (e.g. int8 saturation on this CPU). */
  readonly warnings: string[] = [];

  private constructor(readonly info: ModelInfo, private readonly lease: SessionLease, limits: ImageLimits) {
    this.pre = new Preprocessor(info.inputWidth, info.inputHeight, info.inputType, limits);
    this.input = new ort.Tensor(info.inputType, this.pre.data, [1, 3, info.inputHeight, info.inputWidth]);
    if (info.outputDims.every((d) => d > 0)) {
      const size = info.outputDims.reduce((a, b) => a * b, 1);
      this.output = new ort.Tensor('float32', new Float32Array(size), info.outputDims);
    }
  }

  static async create(modelPath: string, options: DetectorOptions = {}): Promise<Detector> {
    const { info } = await loadModelInfo(modelPath, { names: options.names });
    const lease = await acquireSession(modelPath, options, options.warn);
    const d = new Detector(info, lease, options.limits ?? DEFAULT_LIMITS);
    try {
      await d.runSession(); // warm-up: the first run allocates and plans
    } catch (err) {
      await lease.release();
      throw err;
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

  /** Runs one image; calls on the same detector are taken one at a time. */
  detect(image: ImageInput, options: Partial<DetectOptions> = {}): Promise<DetectionResult> {
    const run = this.queue.then(() => this.detectNow(image, { ...DEFAULT_DETECT, ...options }));
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** The bare session.run on the current input tensor (for benchmarks). */
  async runSession(): Promise<Float32Array> {
    if (this.closed) throw new YoloEdgeError('detector is closed', 'CLOSED');
    const feeds = { [this.info.inputName]: this.input };
    const out = this.output
      ? await this.lease.session.run(feeds, { [this.info.outputName]: this.output })
      : await this.lease.session.run(feeds);
    const t = out[this.info.outputName];
    if (!this.output && t.dims.length !== 3) throw new YoloEdgeError(`model output has shape [${t.dims}]`, 'BAD_OUTPUT');
    return t.data as Float32Array;
  }

  /** Prepares the input tensor from an image (for benchmarks and calibration). */
  preprocess(image: ImageInput): ReturnType<Preprocessor['run']> {
    return this.pre.run(image);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.queue;
    await this.lease.release();
  }

  private async detectNow(image: ImageInput, o: DetectOptions): Promise<DetectionResult> {
    const t0 = performance.now();
    const pre = await this.pre.run(image);
    const t1 = performance.now();
    const raw = await this.runSession();
    const t2 = performance.now();
    const dims = this.output ? this.info.outputDims : [1, ...inferDims(raw.length, this.info)];
    decodeOutput(raw, dims, this.info.layout, this.info.numClasses, {
      confidence: o.confidence,
      classes: this.classSet(o.classes),
      multiLabel: o.multiLabel,
    }, this.candidates, this.scratch);
    const kept = this.info.layout === 'end2end'
      ? topK(this.candidates, o.maxDetections)
      : nms(this.candidates, { iou: o.iou, agnostic: o.agnostic, maxDetections: o.maxDetections, maxCandidates: MAX_NMS });
    const detections = kept.map((i) => this.toDetection(i, pre.geometry));
    const t3 = performance.now();
    return {
      detections,
      imageWidth: pre.geometry.srcWidth,
      imageHeight: pre.geometry.srcHeight,
      timings: { decode: pre.decodeMs, preprocess: pre.preprocessMs, inference: t2 - t1, postprocess: t3 - t2, total: t3 - t0 },
      raw: o.keepRaw ? raw.slice() : undefined,
    };
  }

  private toDetection(i: number, g: LetterboxGeometry): Detection {
    const b = this.candidates.boxes;
    const x = (v: number): number => clamp((v - g.left) / g.scale, g.srcWidth);
    const y = (v: number): number => clamp((v - g.top) / g.scale, g.srcHeight);
    const classId = this.candidates.classIds[i];
    return {
      class: this.info.names[classId] ?? `class${classId}`,
      classId,
      score: this.candidates.scores[i],
      box: { x1: x(b[4 * i]), y1: y(b[4 * i + 1]), x2: x(b[4 * i + 2]), y2: y(b[4 * i + 3]) },
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

function clamp(v: number, max: number): number {
  return v < 0 ? 0 : v > max ? max : v;
}

function inferDims(length: number, info: ModelInfo): number[] {
  if (info.layout === 'yolov8') return [4 + info.numClasses, length / (4 + info.numClasses)];
  if (info.layout === 'yolov5') return [length / (5 + info.numClasses), 5 + info.numClasses];
  return [length / 6, 6];
}

function topK(c: Candidates, k: number): number[] {
  const idx = Array.from({ length: c.count }, (_, i) => i);
  idx.sort((a, b) => c.scores[b] - c.scores[a]);
  return idx.slice(0, k);
}

/** Model identity for reports: file, hash, metadata version and date. */
export function describeDetector(d: Detector): { file: string; sha256: string; version?: string; date?: string; precision: string } {
  const i = d.info;
  return { file: i.path, sha256: i.sha256, version: i.metadata.version, date: i.metadata.date, precision: i.precision };
}
