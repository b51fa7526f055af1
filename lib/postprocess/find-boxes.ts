import { OutputLayout } from '../model/model-info';
import { Candidates } from './candidates';
import { DecodeScratch, decodeOutput } from './decode-output';
import { nms } from './nms';

/** What the postprocess needs to know about the model and the caller's options; plain data (crosses threads). */
export interface FindOptions {
  layout: OutputLayout;
  numClasses: number;
  confidence: number;
  /** Class ids to keep; null keeps all. */
  classes: number[] | null;
  multiLabel: boolean;
  iou: number;
  agnostic: boolean;
  maxDetections: number;
}

/** Kept boxes in model-input pixels (x1, y1, x2, y2), best first. */
export interface FoundBoxes {
  boxes: Float32Array;
  scores: Float32Array;
  classIds: Int32Array;
}

/** Ultralytics max_nms: candidates considered at most. */
const MAX_NMS = 30000;

/** Raw output to kept boxes: decode, then NMS (or the top scores of an end-to-end model). Scratch is reused. */
export class BoxFinder {
  private readonly candidates = new Candidates();
  private readonly scratch = new DecodeScratch();

  find(raw: Float32Array, dims: readonly number[], o: FindOptions): FoundBoxes {
    const c = this.candidates;
    decodeOutput(raw, dims, o.layout, o.numClasses, { confidence: o.confidence, classes: o.classes ? new Set(o.classes) : null, multiLabel: o.multiLabel }, c, this.scratch);
    const kept = o.layout === 'end2end'
      ? topK(c, o.maxDetections)
      : nms(c, { iou: o.iou, agnostic: o.agnostic, maxDetections: o.maxDetections, maxCandidates: MAX_NMS });
    const found: FoundBoxes = { boxes: new Float32Array(4 * kept.length), scores: new Float32Array(kept.length), classIds: new Int32Array(kept.length) };
    kept.forEach((i, k) => {
      found.boxes.set(c.boxes.subarray(4 * i, 4 * i + 4), 4 * k);
      found.scores[k] = c.scores[i];
      found.classIds[k] = c.classIds[i];
    });
    return found;
  }
}

function topK(c: Candidates, k: number): number[] {
  const idx = Array.from({ length: c.count }, (_, i) => i);
  idx.sort((a, b) => c.scores[b] - c.scores[a]);
  return idx.slice(0, k);
}
