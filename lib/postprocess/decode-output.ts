import { YoloEdgeError } from '../errors';
import { MAX_CLASSES, OutputLayout } from '../model/model-info';
import { Candidates } from './candidates';

export interface DecodeOptions {
  /** Minimum score kept (exclusive, as Ultralytics). */
  confidence: number;
  /**
   * Class ids to keep; null keeps all. Applied after each anchor's class is chosen, as Ultralytics does: an anchor
   * whose best class is not kept is dropped, never reported as the best of the kept ones (a hot dog as a sandwich).
   */
  classes: ReadonlySet<number> | null;
  /** One candidate per class over the threshold for each anchor (Ultralytics validation) instead of the best class only. */
  multiLabel: boolean;
}

/** Reads raw detector output into candidates (input pixels), whatever the layout. */
export function decodeOutput(data: Float32Array, dims: readonly number[], layout: OutputLayout, numClasses: number, opts: DecodeOptions, out: Candidates, scratch: DecodeScratch): void {
  out.clear();
  if (layout === 'yolov8') decodeChannelsFirst(data, dims[2], numClasses, opts, out, scratch);
  else if (layout === 'yolov5') decodeRows(data, dims[1], numClasses, opts, out);
  else decodeEnd2End(data, dims[1], numClasses, opts, out);
}

/** Per-anchor best score and class, reused between frames. */
export class DecodeScratch {
  best = new Float32Array(0);
  bestClass = new Int32Array(0);

  ensure(n: number): void {
    if (this.best.length < n) {
      this.best = new Float32Array(n);
      this.bestClass = new Int32Array(n);
    }
  }
}

function allowed(opts: DecodeOptions, c: number): boolean {
  return opts.classes === null || opts.classes.has(c);
}

function pushCxcywh(out: Candidates, data: Float32Array, n: number, i: number, score: number, c: number): void {
  const cx = data[i];
  const cy = data[n + i];
  const hw = data[2 * n + i] / 2;
  const hh = data[3 * n + i] / 2;
  out.push(cx - hw, cy - hh, cx + hw, cy + hh, score, c);
}

// [1, 4+nc, N]: rows are channels, so scan class rows in memory order, each through its own view.
function decodeChannelsFirst(data: Float32Array, n: number, nc: number, opts: DecodeOptions, out: Candidates, s: DecodeScratch): void {
  const conf = opts.confidence;
  if (opts.multiLabel) {
    for (let c = 0; c < nc; c++) {
      if (!allowed(opts, c)) continue;
      const row = data.subarray((4 + c) * n, (5 + c) * n);
      for (let i = 0; i < n; i++) {
        const v = row[i];
        if (v > conf) pushCxcywh(out, data, n, i, checkScore(v, i), c);
      }
    }
    return;
  }
  s.ensure(n);
  const best = s.best;
  const bestClass = s.bestClass;
  // Starting at the threshold skips the best-so-far bookkeeping for the many anchors that never pass it.
  best.fill(conf, 0, n);
  bestClass.fill(-1, 0, n);
  for (let c = 0; c < nc; c++) {
    // a view per class row: find() took 0.40 ms against 0.44-0.51 ms with offsets into the output (80 x 8400, Node 24)
    const row = data.subarray((4 + c) * n, (5 + c) * n);
    for (let i = 0; i < n; i++) {
      const v = row[i];
      if (v > conf && v > best[i]) {
        best[i] = v;
        bestClass[i] = c;
      }
    }
  }
  for (let i = 0; i < n; i++) if (bestClass[i] >= 0 && allowed(opts, bestClass[i])) pushCxcywh(out, data, n, i, checkScore(best[i], i), bestClass[i]);
}

// [1, N, 5+nc]: cx, cy, w, h, objectness, class scores; score = objectness * class score.
function decodeRows(data: Float32Array, n: number, nc: number, opts: DecodeOptions, out: Candidates): void {
  const stride = 5 + nc;
  const conf = opts.confidence;
  for (let i = 0; i < n; i++) {
    const r = i * stride;
    const obj = data[r + 4];
    if (obj <= conf) continue;
    checkScore(obj, i);
    const hw = data[r + 2] / 2;
    const hh = data[r + 3] / 2;
    const x1 = data[r] - hw, y1 = data[r + 1] - hh, x2 = data[r] + hw, y2 = data[r + 1] + hh;
    let bestScore = -Infinity;
    let bestC = -1;
    for (let c = 0; c < nc; c++) {
      const score = obj * checkScore(data[r + 5 + c], i);
      if (opts.multiLabel) {
        if (score > conf && allowed(opts, c)) out.push(x1, y1, x2, y2, score, c);
      } else if (score > bestScore) {
        bestScore = score;
        bestC = c;
      }
    }
    if (!opts.multiLabel && bestScore > conf && allowed(opts, bestC)) out.push(x1, y1, x2, y2, bestScore, bestC);
  }
}

// [1, K, 6]: already boxes after NMS.
function decodeEnd2End(data: Float32Array, k: number, nc: number, opts: DecodeOptions, out: Candidates): void {
  for (let i = 0; i < k; i++) {
    const r = i * 6;
    const score = data[r + 4];
    if (!(score > opts.confidence)) continue; // padding rows (score 0, class -1 in some exports) are not read
    checkScore(score, i);
    const c = classIndex(data[r + 5], i, nc);
    if (allowed(opts, c)) out.push(data[r], data[r + 1], data[r + 2], data[r + 3], score, c);
  }
}

/**
 * A sigmoid's largest output, and the rounding a quantized output may add to it (a step of 1/255). A score over it is
 * a logit: a head exported without its final sigmoid, whose raw values (2.57 for a zebra) passed as scores.
 */
const MAX_SCORE = 1 + 1e-2;

/**
 * A score read for a candidate (over the threshold), as it is: a finite one over MAX_SCORE fails the frame. An
 * infinite one is left out with its box (Candidates), as other values of a broken export are.
 */
function checkScore(v: number, anchor: number): number {
  if (v > MAX_SCORE && v < Infinity) {
    throw new YoloEdgeError(`the model's scores are not probabilities: anchor ${anchor} has ${v}, over 1 (its head was exported without its final sigmoid, or the output is not a detector's); export it again`, 'BAD_OUTPUT');
  }
  return v;
}

/** Off a whole number by more than float noise, an end-to-end row's class is no class. */
const CLASS_ID_SLACK = 1e-3;

/**
 * A kept end-to-end row's class column as a class id. Anything else means the columns are not x1, y1, x2, y2, score,
 * class: a class of -1 or NaN reached msg.payload as class -1 or 0 (person), and 1.5 as class 2. Such an output does
 * not tell its class count, its names do: a class past them was named class22 while msg.classes refused it.
 */
function classIndex(v: number, row: number, nc: number): number {
  const c = Math.round(v);
  if (!(c >= 0 && c < MAX_CLASSES && Math.abs(v - c) <= CLASS_ID_SLACK)) {
    throw new YoloEdgeError(`end-to-end output row ${row} has class ${v}, not a class id from 0 to ${MAX_CLASSES - 1}: its rows must be x1, y1, x2, y2, score, class (an edited or broken export); export it again`, 'BAD_OUTPUT');
  }
  if (c >= nc) {
    throw new YoloEdgeError(`end-to-end output row ${row} has class ${c}, past the model's ${nc} classes: an end-to-end model has as many as its class names (80 without names); name all of them (the yolo-model node's Class names setting)`, 'BAD_OUTPUT');
  }
  return c;
}
