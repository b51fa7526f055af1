import { types } from 'util';

/** Axis-aligned box in pixels of the original image (x1,y1 top-left; x2,y2 bottom-right). */
export interface Box {
  x1: number;
  y1: number;
  x2: number;
  y2: number;
}

export interface Detection {
  class: string;
  classId: number;
  score: number;
  box: Box;
}

/** Copies with their own boxes: the caller keeps them while a flow may edit the originals in place. */
export function copyDetections(detections: readonly Detection[]): Detection[] {
  return detections.map((d) => ({ ...d, box: { ...d.box } }));
}

/** Milliseconds spent in each stage of one detection. */
export interface Timings {
  decode: number;
  /** Writing the frame and its letterbox padding into the input tensor, in the image worker. */
  preprocess: number;
  inference: number;
  postprocess: number;
  total: number;
  /** Waiting for the session while it ran an earlier frame, and the trip to its worker and back. */
  queued: number;
}

/** Raw pixels as they come from a camera or another library (HWC, 8 bits per channel). */
export interface RawImage {
  data: Uint8Array;
  width: number;
  height: number;
  channels: 1 | 2 | 3 | 4;
  /**
   * The colour profile of the image they were decoded from, not applied to them: a JPEG drawn on them embeds it, to
   * be shown in the image's colours. The image worker reads it from the image, never from a flow's pixels.
   */
  icc?: Uint8Array;
}

/** An encoded image (JPEG/PNG/WebP bytes) or raw pixels. */
export type ImageInput = Uint8Array | RawImage;

/**
 * A Uint8Array (or Buffer) of any realm: one made in a function node is of its sandbox's Uint8Array, not an
 * instance of ours, and was refused as "got a Uint8Array".
 */
export function isBytes(v: unknown): v is Uint8Array {
  return types.isUint8Array(v);
}

/** Raw pixels {data, width, height, channels}, as opposed to encoded image bytes or anything else. */
export function isRawImage(v: unknown): v is RawImage {
  const r = v as RawImage;
  return !!r && typeof r === 'object' && !isBytes(r) && isBytes(r.data) && typeof r.width === 'number' && typeof r.height === 'number';
}
