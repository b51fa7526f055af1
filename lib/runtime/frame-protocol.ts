// Messages between a FrameDecoder (main thread) and its image worker. The frame goes in as a copy of its bytes;
// the worker decodes and letterboxes it and writes the model's input tensor into the detector's shared slot
// buffer, which the inference worker hands to the session as it is. Pixels kept for drawing stay in the worker
// until the boxes come: only JPEGs come back, so the event loop's heap never holds a frame's pixels.
import type { CheckedFrame, ImageLimits } from '../image/decode';
import type { LetterboxGeometry } from '../image/letterbox';
import type { KeepPixels } from '../image/preprocess';
import type { Detection, ImageInput } from '../types';
import type { TensorElement } from '../image/tensor-layout';

/** One input tensor buffer of a detector; the image worker writes it, the inference worker reads it. */
export interface SlotSpec {
  /** Names this buffer for good, unique in the process: the image worker keeps the slot's state under it. */
  key: number;
  /** Room for the model's largest input tensor: NCHW planes of `tensor` elements. */
  buffer: SharedArrayBuffer;
  /** The input tensor's element type: float32 (pixels / 255) or uint8 (the bytes as they are). */
  tensor: TensorElement;
  /** The model's input size (the largest for a dynamic-shape model). */
  width: number;
  height: number;
  /** A dynamic-shape model's stride (each frame gets the smallest multiple that holds it); 0 for a fixed input. */
  stride: number;
  limits: ImageLimits;
}

/** What to draw on a frame's kept pixels, boxes in the frame's oriented size. */
export interface DrawRequest {
  detections: Detection[];
  width: number;
  height: number;
  /** The whole frame, JPEG (needs the frame's pixels kept 'full'). */
  annotate: boolean;
  /** A thumbnail this wide, JPEG; 0 for none. */
  thumbnail: number;
}

export interface Drawn {
  annotated?: Uint8Array;
  thumbnail?: Uint8Array;
}

export type FrameRequest =
  /** `checked`: checkFrame's answer for `image` under the slot's limits, made before it was copied. */
  | { type: 'prepare'; id: number; slot: SlotSpec; image: ImageInput; keep: KeepPixels; checked: CheckedFrame }
  /** Draws on the pixels `prepare` request `frame` kept, and drops them. */
  | ({ type: 'draw'; id: number; frame: number } & DrawRequest)
  | { type: 'drop'; frame: number }
  | { type: 'forget'; keys: number[] }
  | { type: 'close' }
  | { type: 'crash' };

/** A frame letterboxed into its slot as the model's input tensor. */
export interface PreparedFrame {
  /** The tensor size it was letterboxed to (a dynamic-shape model's follows the frame). */
  width: number;
  height: number;
  geometry: LetterboxGeometry;
  decodeMs: number;
  preprocessMs: number;
}

export type FrameReply =
  | ({ type: 'prepared'; id: number } & PreparedFrame)
  | ({ type: 'drawn'; id: number } & Drawn)
  | { type: 'failed'; id: number; message: string; code?: string };
