import { detectFile } from '../../detect-file';
import { Detector } from '../../detector';
import { LabelProblems, listDataset, readLabels, requireLabelFiles } from './dataset';
import { computeMetrics, EvalRecord, matchPredictions, Metrics } from './metrics';

export interface EvalOptions {
  confidence: number;
  iou: number;
  maxDetections: number;
  agnostic: boolean;
  multiLabel: boolean;
  /** Confidence at which precision and recall are reported. */
  operatingConfidence: number;
  /** Only these images (for held-out splits); all when undefined. */
  filter?: (imagePath: string) => boolean;
  progress?: (done: number, total: number) => void;
  /** Told once, after the run, when label lines or files were skipped. */
  warn?: (message: string) => void;
}

export const DEFAULT_EVAL: EvalOptions = {
  confidence: 0.001,
  iou: 0.7,
  maxDetections: 300,
  agnostic: false,
  multiLabel: false,
  operatingConfidence: 0.25,
};

/** mAP of a detector over a YOLO-format dataset folder. */
export async function evaluate(detector: Detector, dir: string, options: Partial<EvalOptions> = {}): Promise<Metrics> {
  const o = { ...DEFAULT_EVAL, ...options };
  const items = (await listDataset(dir)).filter((it) => !o.filter || o.filter(it.image));
  await requireLabelFiles(items, dir);
  const check = { numClasses: detector.info.numClasses, problems: new LabelProblems() };
  const records: EvalRecord[] = [];
  const labelClasses: number[] = [];
  for (let k = 0; k < items.length; k++) {
    const r = await detectFile(detector, items[k].image, { confidence: o.confidence, iou: o.iou, maxDetections: o.maxDetections, agnostic: o.agnostic, multiLabel: o.multiLabel });
    const labels = await readLabels(items[k].label, r.imageWidth, r.imageHeight, check);
    for (const l of labels) labelClasses.push(l.classId);
    const correct = matchPredictions(r.detections, labels);
    r.detections.forEach((d, i) => records.push({ score: d.score, classId: d.classId, correct: correct[i] }));
    o.progress?.(k + 1, items.length);
  }
  const summary = check.problems.summary();
  if (summary) o.warn?.(summary);
  return computeMetrics(records, labelClasses, items.length, o.operatingConfidence);
}
