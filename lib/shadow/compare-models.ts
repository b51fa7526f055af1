import { DetectionResult, DetectOptions, Detector } from '../detector';
import { imageFileError } from '../detect-file';
import { readImageFile } from '../image/read-file';
import { compareDetections } from './agreement';
import { rawDifference } from './raw-diff';
import { RollingWindow, WindowSummary } from './window';

/** Agreement of a candidate with production over a set of images, one model after the other (no contention). */
export interface ModelComparison {
  images: number;
  meanF1: number;
  meanPrecision: number;
  meanRecall: number;
  productionBoxes: number;
  candidateBoxes: number;
  matched: number;
  /** Mean over frames with matches of the mean |candidate - production| score. */
  meanAbsScoreDelta: number;
  /** Null when the raw outputs differ in shape. */
  meanRawDiff: number | null;
  window: WindowSummary;
}

/**
 * Both models' results on one image file. Its errors name the file (they said only 'image could not be decoded',
 * or EISDIR for a folder named .jpg), and a FIFO named .jpg is refused, not waited on.
 */
async function detectBoth(production: Detector, candidate: Detector, file: string, options: Partial<DetectOptions>): Promise<[DetectionResult, DetectionResult]> {
  const bytes = await readImageFile(file); // its errors name the file already
  try {
    return [await production.detect(bytes, { ...options, keepRaw: true }), await candidate.detect(bytes, { ...options, keepRaw: true })];
  } catch (err) {
    throw imageFileError(file, err, 'INFERENCE_FAILED');
  }
}

export async function compareModels(
  production: Detector,
  candidate: Detector,
  images: readonly string[],
  options: Partial<DetectOptions>,
  matchIou = 0.5,
  progress?: (done: number, total: number) => void,
): Promise<ModelComparison> {
  const window = new RollingWindow(Math.max(1, images.length));
  const totals = { precision: 0, recall: 0, production: 0, candidate: 0, matched: 0, deltaSum: 0, deltaFrames: 0 };
  for (const [i, file] of images.entries()) {
    const [p, c] = await detectBoth(production, candidate, file, options);
    const a = compareDetections(p.detections, c.detections, matchIou);
    const diff = p.raw && c.raw ? rawDifference(p.raw, c.raw) : undefined;
    window.add({ f1: a.f1, productionMs: p.timings.inference, candidateMs: c.timings.inference, rawDiff: diff?.meanAbs ?? undefined });
    totals.precision += a.precision;
    totals.recall += a.recall;
    totals.production += a.production;
    totals.candidate += a.candidate;
    totals.matched += a.matched;
    if (a.matched) {
      totals.deltaSum += a.scoreDelta.meanAbs;
      totals.deltaFrames++;
    }
    progress?.(i + 1, images.length);
  }
  const w = window.summary();
  const n = Math.max(1, images.length);
  return {
    images: images.length,
    meanF1: w.meanF1 ?? 0,
    meanPrecision: totals.precision / n,
    meanRecall: totals.recall / n,
    productionBoxes: totals.production,
    candidateBoxes: totals.candidate,
    matched: totals.matched,
    meanAbsScoreDelta: totals.deltaFrames ? totals.deltaSum / totals.deltaFrames : 0,
    meanRawDiff: w.meanRawDiff,
    window: w,
  };
}
