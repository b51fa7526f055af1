import { iou } from '../image/box';
import { Detection } from '../types';

/** Candidate score minus production score over the matched pairs. */
export interface ScoreDeltas {
  mean: number;
  meanAbs: number;
  maxAbs: number;
}

/** How far the candidate's detections agree with production's on one frame (production is the reference). */
export interface Agreement {
  production: number;
  candidate: number;
  matched: number;
  /** Share of the candidate's boxes that production also found (1 when the candidate found none). */
  precision: number;
  /** Share of production's boxes that the candidate also found (1 when production found none). */
  recall: number;
  f1: number;
  meanIou: number;
  scoreDelta: ScoreDeltas;
  onlyProduction: Detection[];
  onlyCandidate: Detection[];
}

export const DEFAULT_MATCH_IOU = 0.5;

/**
 * Matches boxes of the same class name one to one, best IoU first, keeping pairs with IoU >= minIou; boxes that do
 * not overlap are never a pair (at minIou 0 every box of a class paired with any other).
 * Names, not ids: they are what users see and what the class filter picks, and two models (or a names
 * override) may number the same classes differently. Both empty counts as full agreement.
 */
export function compareDetections(production: readonly Detection[], candidate: readonly Detection[], minIou = DEFAULT_MATCH_IOU): Agreement {
  const pairs: Array<{ p: number; c: number; iou: number }> = [];
  production.forEach((pd, p) => {
    candidate.forEach((cd, c) => {
      if (pd.class !== cd.class) return;
      const v = iou(pd.box, cd.box);
      if (v > 0 && v >= minIou) pairs.push({ p, c, iou: v });
    });
  });
  pairs.sort((a, b) => b.iou - a.iou || a.p - b.p || a.c - b.c);
  const takenP = new Set<number>();
  const takenC = new Set<number>();
  const deltas: number[] = [];
  let iouSum = 0;
  for (const pair of pairs) {
    if (takenP.has(pair.p) || takenC.has(pair.c)) continue;
    takenP.add(pair.p);
    takenC.add(pair.c);
    deltas.push(candidate[pair.c].score - production[pair.p].score);
    iouSum += pair.iou;
  }
  const matched = deltas.length;
  const precision = candidate.length ? matched / candidate.length : 1;
  const recall = production.length ? matched / production.length : 1;
  return {
    production: production.length,
    candidate: candidate.length,
    matched,
    precision,
    recall,
    f1: precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0,
    meanIou: matched ? iouSum / matched : production.length + candidate.length === 0 ? 1 : 0,
    scoreDelta: scoreDeltas(deltas),
    onlyProduction: production.filter((_, i) => !takenP.has(i)),
    onlyCandidate: candidate.filter((_, i) => !takenC.has(i)),
  };
}

function scoreDeltas(deltas: readonly number[]): ScoreDeltas {
  if (deltas.length === 0) return { mean: 0, meanAbs: 0, maxAbs: 0 };
  let sum = 0;
  let sumAbs = 0;
  let maxAbs = 0;
  for (const d of deltas) {
    sum += d;
    sumAbs += Math.abs(d);
    maxAbs = Math.max(maxAbs, Math.abs(d));
  }
  return { mean: sum / deltas.length, meanAbs: sumAbs / deltas.length, maxAbs };
}

/**
 * Why the two models' boxes may not line up by class, or undefined when both name the same classes in the same
 * order. A different order keeps the agreement right (boxes match by name) but changes the class ids a promote sends:
 * each caller says that in its own terms (the node's output, the CLI's switch of models).
 */
export function classNamesWarning(production: readonly string[], candidate: readonly string[]): string | undefined {
  const ids = Array.from({ length: Math.max(production.length, candidate.length) }, (_, i) => i);
  const first = ids.find((i) => production[i] !== candidate[i]);
  if (first === undefined) return undefined;
  const onlyProduction = production.filter((n) => !candidate.includes(n));
  const onlyCandidate = candidate.filter((n) => !production.includes(n));
  const sets = onlyProduction.length || onlyCandidate.length
    ? `; only production knows ${nameList(onlyProduction)}, only the candidate ${nameList(onlyCandidate)} (their boxes never agree)`
    : '';
  return `the models name their classes differently: class id ${first} is ${nameOf(production[first])} in production and ${nameOf(candidate[first])} in the candidate${sets}; boxes are matched by class name`;
}

function nameOf(n: string | undefined): string {
  return n === undefined ? 'missing' : `'${n}'`;
}

function nameList(names: readonly string[]): string {
  if (names.length === 0) return 'none';
  const shown = names.slice(0, 5).map(nameOf).join(', ');
  return names.length > 5 ? `${shown} and ${names.length - 5} more` : shown;
}
