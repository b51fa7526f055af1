import { Candidates } from './candidates';

export interface NmsOptions {
  iou: number;
  /** Suppress across classes too. */
  agnostic: boolean;
  maxDetections: number;
  /** Candidates considered at most, best first (Ultralytics max_nms). */
  maxCandidates: number;
}

/**
 * Greedy NMS in score order; returns indices into the candidates, best first.
 * Stopping at maxDetections gives the same result as full NMS followed by truncation.
 */
export function nms(c: Candidates, opts: NmsOptions): number[] {
  const order = sortedByScore(c, opts.maxCandidates);
  const keep: number[] = [];
  const b = c.boxes;
  for (const i of order) {
    if (keep.length >= opts.maxDetections) break;
    const ax1 = b[4 * i], ay1 = b[4 * i + 1], ax2 = b[4 * i + 2], ay2 = b[4 * i + 3];
    const areaA = (ax2 - ax1) * (ay2 - ay1);
    let suppressed = false;
    for (const j of keep) {
      if (!opts.agnostic && c.classIds[j] !== c.classIds[i]) continue;
      const w = Math.min(ax2, b[4 * j + 2]) - Math.max(ax1, b[4 * j]);
      if (w <= 0) continue;
      const h = Math.min(ay2, b[4 * j + 3]) - Math.max(ay1, b[4 * j + 1]);
      if (h <= 0) continue;
      const inter = w * h;
      const areaB = (b[4 * j + 2] - b[4 * j]) * (b[4 * j + 3] - b[4 * j + 1]);
      if (inter / (areaA + areaB - inter) > opts.iou) {
        suppressed = true;
        break;
      }
    }
    if (!suppressed) keep.push(i);
  }
  return keep;
}

function sortedByScore(c: Candidates, limit: number): Uint32Array {
  const order = new Uint32Array(c.count);
  for (let i = 0; i < c.count; i++) order[i] = i;
  const scores = c.scores;
  order.sort((a, b) => scores[b] - scores[a]);
  return order.length > limit ? order.subarray(0, limit) : order;
}
