import { iou } from '../../image/box';
import { Box } from '../../types';

/** IoU thresholds 0.50:0.05:0.95 as in COCO. */
export const IOU_THRESHOLDS = Array.from({ length: 10 }, (_, i) => 0.5 + 0.05 * i);

export interface LabeledBox {
  classId: number;
  box: Box;
}

export interface ScoredBox extends LabeledBox {
  score: number;
}

/**
 * Marks each prediction true/false positive at each IoU threshold, as Ultralytics' validator does:
 * every prediction takes its best-IoU label of the same class, then every label keeps the first
 * (highest-scoring) prediction that took it. Predictions must be in descending score order.
 */
export function matchPredictions(preds: readonly ScoredBox[], labels: readonly LabeledBox[], thresholds = IOU_THRESHOLDS): boolean[][] {
  const correct = preds.map(() => thresholds.map(() => false));
  if (preds.length === 0 || labels.length === 0) return correct;
  const ious = labels.map((l) => preds.map((p) => (p.classId === l.classId ? iou(l.box, p.box) : 0)));
  thresholds.forEach((t, ti) => {
    const bestLabelOfPred = new Map<number, { label: number; iou: number }>();
    for (let l = 0; l < labels.length; l++) {
      for (let p = 0; p < preds.length; p++) {
        const v = ious[l][p];
        if (v < t) continue;
        const cur = bestLabelOfPred.get(p);
        if (!cur || v > cur.iou) bestLabelOfPred.set(p, { label: l, iou: v });
      }
    }
    const taken = new Set<number>();
    for (const p of [...bestLabelOfPred.keys()].sort((a, b) => a - b)) {
      const { label } = bestLabelOfPred.get(p)!;
      if (taken.has(label)) continue;
      taken.add(label);
      correct[p][ti] = true;
    }
  });
  return correct;
}

/** numpy.interp for increasing xp. */
export function interp(x: number, xp: readonly number[], fp: readonly number[]): number {
  const n = xp.length;
  if (x <= xp[0]) return x < xp[0] ? fp[0] : fp[lastIndexAtMost(xp, x)];
  if (x >= xp[n - 1]) return fp[n - 1];
  const j = lastIndexAtMost(xp, x);
  const dx = xp[j + 1] - xp[j];
  return dx === 0 ? fp[j] : fp[j] + ((fp[j + 1] - fp[j]) * (x - xp[j])) / dx;
}

function lastIndexAtMost(xp: readonly number[], x: number): number {
  let lo = 0;
  let hi = xp.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (xp[mid] <= x) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/** COCO 101-point interpolated AP (integrated with the trapezoid rule, as Ultralytics). */
export function averagePrecision(recall: readonly number[], precision: readonly number[]): number {
  const mrec = [0, ...recall, 1];
  const mpre = [1, ...precision, 0];
  for (let i = mpre.length - 2; i >= 0; i--) mpre[i] = Math.max(mpre[i], mpre[i + 1]);
  let ap = 0;
  let prev = interp(0, mrec, mpre);
  for (let k = 1; k <= 100; k++) {
    const v = interp(k / 100, mrec, mpre);
    ap += ((prev + v) / 2) * 0.01;
    prev = v;
  }
  return ap;
}

export interface EvalRecord {
  score: number;
  classId: number;
  correct: boolean[];
}

export interface ClassMetrics {
  classId: number;
  labels: number;
  predictions: number;
  ap50: number;
  ap50_95: number;
  precision: number;
  recall: number;
}

export interface Metrics {
  map50: number;
  map50_95: number;
  precision: number;
  recall: number;
  operatingConfidence: number;
  images: number;
  labels: number;
  perClass: ClassMetrics[];
}

/** Per-class AP over the classes that have labels; P and R counted at the operating confidence (IoU 0.5). */
export function computeMetrics(records: readonly EvalRecord[], labelClasses: readonly number[], images: number, operatingConfidence: number): Metrics {
  const counts = new Map<number, number>();
  for (const c of labelClasses) counts.set(c, (counts.get(c) ?? 0) + 1);
  const sorted = records.map((r, i) => ({ r, i })).sort((a, b) => b.r.score - a.r.score || a.i - b.i).map((x) => x.r);
  const perClass: ClassMetrics[] = [];
  for (const [classId, nl] of [...counts.entries()].sort((a, b) => a[0] - b[0])) {
    const mine = sorted.filter((r) => r.classId === classId);
    const aps = IOU_THRESHOLDS.map((_, t) => {
      if (mine.length === 0) return 0;
      let tp = 0;
      const recall: number[] = [];
      const precision: number[] = [];
      mine.forEach((r, k) => {
        if (r.correct[t]) tp++;
        recall.push(tp / (nl + 1e-16));
        precision.push(tp / (k + 1));
      });
      return averagePrecision(recall, precision);
    });
    const atOp = mine.filter((r) => r.score >= operatingConfidence);
    const tpOp = atOp.filter((r) => r.correct[0]).length;
    perClass.push({
      classId,
      labels: nl,
      predictions: mine.length,
      ap50: aps[0],
      ap50_95: mean(aps),
      precision: atOp.length ? tpOp / atOp.length : 0,
      recall: tpOp / nl,
    });
  }
  return {
    map50: mean(perClass.map((c) => c.ap50)),
    map50_95: mean(perClass.map((c) => c.ap50_95)),
    precision: mean(perClass.map((c) => c.precision)),
    recall: mean(perClass.map((c) => c.recall)),
    operatingConfidence,
    images,
    labels: labelClasses.length,
    perClass,
  };
}

function mean(xs: readonly number[]): number {
  return xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : 0;
}
