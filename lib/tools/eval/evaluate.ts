import { detectFile } from '../../detect-file';
import { Detector } from '../../detector';
import { YoloEdgeError } from '../../errors';
import { LabelProblems, listDataset, readImageLabels, requireLabelFiles, Split } from './dataset';
import { datasetNamesWarning } from './dataset-names';
import { computeMetrics, EvalRecord, matchPredictions, Metrics } from './metrics';
import { isImageProblem, SkippedImages } from './usable-images';

export interface EvalOptions {
  confidence: number;
  iou: number;
  maxDetections: number;
  agnostic: boolean;
  multiLabel: boolean;
  /** Confidence at which precision and recall are reported. */
  operatingConfidence: number;
  /** The split of a data.yaml to read (val for all, even and odd; a folder takes no other); its halves are `filter`'s. */
  split?: Split;
  /** Only these images (for held-out splits); all when undefined. */
  filter?: (imagePath: string) => boolean;
  progress?: (done: number, total: number) => void;
  /**
   * Told before the run when the dataset's names file names the classes otherwise than the model; after it, once for
   * images left out (cannot be read or decoded) and once for label lines or files skipped.
   */
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

/** mAP of a detector over a YOLO-format dataset folder or an Ultralytics data.yaml. */
export async function evaluate(detector: Detector, dir: string, options: Partial<EvalOptions> = {}): Promise<Metrics> {
  const o = { ...DEFAULT_EVAL, ...options };
  const items = (await listDataset(dir, undefined, o.split)).filter((it) => !o.filter || o.filter(it.image));
  await requireLabelFiles(items, dir);
  const names = await datasetNamesWarning(dir, detector.info.names);
  if (names) o.warn?.(names);
  const check = { numClasses: detector.info.numClasses, problems: new LabelProblems() };
  const records: EvalRecord[] = [];
  const labelClasses: number[] = [];
  const badImages = new SkippedImages();
  let leftOut = 0;
  for (let k = 0; k < items.length; k++) {
    const r = await detectFile(detector, items[k].image, { confidence: o.confidence, iou: o.iou, maxDetections: o.maxDetections, agnostic: o.agnostic, multiLabel: o.multiLabel }).catch((e: unknown) => {
      // each image is scored on its own: one left out gives the figures of the dataset without it
      if (!isImageProblem(e)) throw e;
      badImages.add(items[k].image, e);
      return undefined;
    });
    const labels = r && (await readImageLabels(items[k].label, r.imageWidth, r.imageHeight, check));
    o.progress?.(k + 1, items.length);
    if (!r || !labels) continue;
    // Kept, an image whose line was skipped scored the detection of that object as false (P and mAP fell, the
    // warning said only 'skipped'): it is left out, as Ultralytics leaves out an image whose labels it cannot use.
    if (labels.unusable) {
      leftOut++;
      continue;
    }
    for (const l of labels.boxes) labelClasses.push(l.classId);
    const correct = matchPredictions(r.detections, labels.boxes);
    r.detections.forEach((d, i) => records.push({ score: d.score, classId: d.classId, correct: correct[i] }));
  }
  if (badImages.count === items.length) throw badImages.noneLeft(dir);
  const badSummary = badImages.summary(items.length);
  if (badSummary) o.warn?.(badSummary);
  const summary = check.problems.summary();
  if (leftOut + badImages.count === items.length) throw new YoloEdgeError(`no image left to measure: every ${badImages.count ? 'readable ' : ''}one has a label line or file that cannot be used (${summary})`, 'NO_LABELS');
  if (summary) o.warn?.(leftOut ? `${summary}; the ${leftOut} image(s) of those files left out of the mAP` : summary);
  return computeMetrics(records, labelClasses, items.length - leftOut - badImages.count, o.operatingConfidence);
}
