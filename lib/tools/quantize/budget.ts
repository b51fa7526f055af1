import { promises as fs } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Detector } from '../../detector';
import { YoloEdgeError } from '../../errors';
import { readImageFile } from '../../image/read-file';
import { DatasetItem, LabelProblems, readImageLabels } from '../eval/dataset';
import { computeMetrics, EvalRecord, LabeledBox, matchPredictions } from '../eval/metrics';
import { ModelInfo } from '../../model/model-info';
import { QuantPlan } from './plan';
import { holdScratch } from '../temp-files';

/** A Conv and the activation ops on its output (SiLU's Sigmoid and Mul): kept float together. */
export interface Layer {
  conv: string;
  nodes: string[];
  /** Output error removed by keeping this layer float (holdout images, relative to all quantized). */
  sensitivity: number;
}

export interface AccuracyBudgetResult {
  budget: number;
  /** 'labels' when the held-aside images have label files; else FP32 detections (conf >= 0.25) stand in. */
  reference: 'labels' | 'fp32-detections';
  holdoutImages: number;
  fp32Map50: number;
  /** Estimated mAP50 loss in points with every layer quantized, and after the layers below were kept float. */
  lossAllQuantized: number;
  lossFinal: number;
  keptFloat: Layer[];
  /** The most sensitive layers, kept or not, for the report. */
  ranking: Layer[];
  withinBudget: boolean;
}

export interface BudgetInput {
  modelPath: string;
  info: ModelInfo;
  holdout: readonly DatasetItem[];
  budget: number;
  plan: QuantPlan;
  threads?: number;
  maxLayers?: number;
  progress?: (message: string) => void;
  /** Told once of label lines or files that cannot be used, and of the held-aside images left out for them. */
  warn?: (message: string) => void;
  /** Quantized model bytes with the given nodes kept float. */
  build(keepFloat: ReadonlySet<string>): Uint8Array;
}

interface Observation {
  raw: Float32Array;
  records: EvalRecord[];
}

interface HoldoutImage {
  bytes: Buffer;
  labels: LabeledBox[];
}

export function convLayers(plan: QuantPlan): Layer[] {
  const quantized = new Set(plan.nodes.map((n) => n.name ?? ''));
  const byInput = new Map<string, string[]>();
  for (const n of plan.nodes) for (const i of n.input ?? []) byInput.set(i, [...(byInput.get(i) ?? []), n.name ?? '']);
  return plan.nodes.filter((n) => n.opType === 'Conv').map((conv) => {
    const out = conv.output?.[0] ?? '';
    const act = plan.nodes.filter((n) => (n.opType === 'Sigmoid' || n.opType === 'Mul') && (n.input ?? []).includes(out)).map((n) => n.name ?? '');
    return { conv: conv.name ?? '', nodes: [conv.name ?? '', ...act].filter((x) => quantized.has(x)), sensitivity: 0 };
  });
}

/**
 * Measures each Conv layer's harm on held-aside images (output error with that layer alone kept float), then
 * keeps the most harmful layers float, one at a time, until the estimated mAP50 loss is within the budget.
 */
export async function applyAccuracyBudget(b: BudgetInput): Promise<AccuracyBudgetResult> {
  const images = await loadHoldout(b.holdout, b.info.numClasses, b.warn);
  const hasLabels = images.some((im) => im.labels.length > 0);
  const refLabels = hasLabels ? images.map((im) => im.labels) : await pseudoFromDetections(b.modelPath, images, b.threads);
  const fp32 = await observe(b.modelPath, images, b.threads, refLabels);
  const fp32Map = map50(fp32, refLabels);
  const evalModel = async (keep: ReadonlySet<string>): Promise<{ loss: number; err: number }> => {
    const file = path.join(os.tmpdir(), `yolo-edge-budget-${process.pid}-${Date.now()}.onnx`);
    const done = holdScratch(file);
    try {
      await fs.writeFile(file, b.build(keep));
      const obs = await observe(file, images, b.threads, refLabels);
      return { loss: 100 * (fp32Map - map50(obs, refLabels)), err: outputError(fp32, obs, b.info) };
    } finally {
      await fs.rm(file, { force: true });
      done();
    }
  };
  const all = await evalModel(new Set());
  const layers = convLayers(b.plan);
  for (let i = 0; i < layers.length; i++) {
    b.progress?.(`accuracy budget: layer ${i + 1}/${layers.length}`);
    layers[i].sensitivity = all.err - (await evalModel(new Set(layers[i].nodes))).err;
  }
  layers.sort((x, y) => y.sensitivity - x.sensitivity);
  const kept: Layer[] = [];
  let loss = all.loss;
  const maxLayers = b.maxLayers ?? 12;
  while (loss > b.budget && kept.length < Math.min(maxLayers, layers.length)) {
    kept.push(layers[kept.length]);
    loss = (await evalModel(new Set(kept.flatMap((l) => l.nodes)))).loss;
    b.progress?.(`accuracy budget: ${kept.length} layer(s) float, estimated mAP50 loss ${loss.toFixed(2)}`);
  }
  return {
    budget: b.budget,
    reference: hasLabels ? 'labels' : 'fp32-detections',
    holdoutImages: images.length,
    fp32Map50: fp32Map,
    lossAllQuantized: all.loss,
    lossFinal: loss,
    keptFloat: kept,
    ranking: layers.slice(0, 10),
    withinBudget: loss <= b.budget,
  };
}

/**
 * The held-aside images with their labels. One whose label file has a line that cannot be used is left out, as eval
 * leaves it out: kept without that line, its detection of the object counted as false in both models' mAP, and
 * the line was skipped without a word.
 */
async function loadHoldout(items: readonly DatasetItem[], numClasses: number, warn?: (message: string) => void): Promise<HoldoutImage[]> {
  const out: HoldoutImage[] = [];
  const check = { numClasses, problems: new LabelProblems() };
  for (const it of items) {
    const bytes = await readImageFile(it.image); // a FIFO named .jpg is refused, not waited on
    const labels = await labelsFor(bytes, it.label, check);
    if (!labels.unusable) out.push({ bytes, labels: labels.boxes });
  }
  const summary = check.problems.summary();
  const leftOut = items.length - out.length;
  if (leftOut === items.length) throw new YoloEdgeError(`no held-aside image left for --accuracy-budget: every one has a label line or file that cannot be used (${summary})`, 'NO_LABELS');
  if (summary) warn?.(leftOut ? `${summary}; the ${leftOut} held-aside image(s) of those files left out of the budget's mAP` : summary);
  return out;
}

/**
 * Labels of classes the model has, as eval reads them: one it lacks is a class of AP 0 in both models, which
 * shrank the measured loss (or, all labels such, made it 0 and the budget met on no evidence).
 */
async function labelsFor(bytes: Buffer, label: string, check: { numClasses: number; problems: LabelProblems }): Promise<{ boxes: LabeledBox[]; unusable: boolean }> {
  const sharp = (await import('sharp')).default;
  const meta = await sharp(bytes).rotate().metadata();
  const swap = (meta.orientation ?? 1) >= 5;
  return readImageLabels(label, (swap ? meta.height : meta.width) ?? 0, (swap ? meta.width : meta.height) ?? 0, check);
}

/** FP32 detections at the usual confidence stand in for labels when there are none. */
async function pseudoFromDetections(modelPath: string, images: HoldoutImage[], threads?: number): Promise<LabeledBox[][]> {
  const d = await Detector.create(modelPath, { threads });
  try {
    const out: LabeledBox[][] = [];
    for (const im of images) out.push((await d.detect(im.bytes, { confidence: 0.25 })).detections.map((x) => ({ classId: x.classId, box: x.box })));
    return out;
  } finally {
    await d.close();
  }
}

async function observe(modelPath: string, images: HoldoutImage[], threads: number | undefined, labels: LabeledBox[][]): Promise<Observation[]> {
  const d = await Detector.create(modelPath, { threads });
  try {
    const out: Observation[] = [];
    for (let i = 0; i < images.length; i++) {
      const r = await d.detect(images[i].bytes, { confidence: 0.001, keepRaw: true });
      const correct = matchPredictions(r.detections, labels[i]);
      out.push({ raw: r.raw as Float32Array, records: r.detections.map((det, k) => ({ score: det.score, classId: det.classId, correct: correct[k] })) });
    }
    return out;
  } finally {
    await d.close();
  }
}

function map50(obs: Observation[], labels: LabeledBox[][]): number {
  const records = obs.flatMap((o) => o.records);
  const classes = labels.flat().map((l) => l.classId);
  return computeMetrics(records, classes, obs.length, 0.25).map50;
}

/** Mean |score difference| plus box-coordinate difference (in input widths) where FP32 sees something. */
function outputError(ref: Observation[], obs: Observation[], info: ModelInfo): number {
  let sum = 0;
  let n = 0;
  const rows = 4 + info.numClasses;
  for (let k = 0; k < ref.length; k++) {
    const a = ref[k].raw;
    const b = obs[k].raw;
    // from the output itself: a dynamic model's anchor count is -1 in the file (every error was 0, and the
    // budget kept layers float in graph order), and it follows each image's letterboxed size
    const anchors = a.length / rows;
    for (let j = 0; j < anchors; j++) {
      let best = 0;
      let diff = 0;
      for (let r = 4; r < rows; r++) {
        best = Math.max(best, a[r * anchors + j]);
        diff += Math.abs(a[r * anchors + j] - b[r * anchors + j]);
      }
      if (best >= 0.25) for (let r = 0; r < 4; r++) diff += Math.abs(a[r * anchors + j] - b[r * anchors + j]) / info.inputWidth;
      sum += diff;
      n++;
    }
  }
  return n ? sum / n : 0;
}
