import { roundHalfEven } from '../round';
import { Box } from '../types';

/** Where the resized image sits inside the model input (Ultralytics LetterBox, centered, no auto-stride). */
export interface LetterboxGeometry {
  srcWidth: number;
  srcHeight: number;
  dstWidth: number;
  dstHeight: number;
  /** Resized image size and its offset inside the input. */
  width: number;
  height: number;
  left: number;
  top: number;
  /** Input pixels per source pixel. */
  scale: number;
}

export function letterboxGeometry(srcWidth: number, srcHeight: number, dstWidth: number, dstHeight: number): LetterboxGeometry {
  const scale = Math.min(dstWidth / srcWidth, dstHeight / srcHeight);
  // Python's round(), as Ultralytics: 1280x721 scales to 640x360 (Math.round gave 361 and moved the pad a row)
  const width = Math.min(dstWidth, Math.max(1, roundHalfEven(srcWidth * scale)));
  const height = Math.min(dstHeight, Math.max(1, roundHalfEven(srcHeight * scale)));
  // Ultralytics splits odd padding with round(d - 0.1) on the top/left side.
  const left = Math.max(0, Math.round((dstWidth - width) / 2 - 0.1));
  const top = Math.max(0, Math.round((dstHeight - height) / 2 - 0.1));
  return { srcWidth, srcHeight, dstWidth, dstHeight, width, height, left, top, scale };
}

/**
 * The input size for a dynamic-shape model (Ultralytics LetterBox with auto padding): the frame scaled to fit
 * maxWidth x maxHeight, padded only up to the next multiple of the stride, so a 16:9 frame is not padded square.
 */
export function stridedInputSize(srcWidth: number, srcHeight: number, maxWidth: number, maxHeight: number, stride: number): { width: number; height: number } {
  const scale = Math.min(maxWidth / srcWidth, maxHeight / srcHeight);
  const w = Math.min(maxWidth, Math.max(1, roundHalfEven(srcWidth * scale)));
  const h = Math.min(maxHeight, Math.max(1, roundHalfEven(srcHeight * scale)));
  return { width: w + ((maxWidth - w) % stride), height: h + ((maxHeight - h) % stride) };
}

export function sameGeometry(a: LetterboxGeometry | undefined, b: LetterboxGeometry): boolean {
  return !!a && a.width === b.width && a.height === b.height && a.left === b.left && a.top === b.top &&
    a.dstWidth === b.dstWidth && a.dstHeight === b.dstHeight;
}

/** A box in model-input pixels mapped back to the source image and clamped to it: the letterbox's inverse. */
export function toSourceBox(x1: number, y1: number, x2: number, y2: number, g: LetterboxGeometry): Box {
  const x = (v: number): number => clamp((v - g.left) / g.scale, g.srcWidth);
  const y = (v: number): number => clamp((v - g.top) / g.scale, g.srcHeight);
  return { x1: x(x1), y1: y(y1), x2: x(x2), y2: y(y2) };
}

function clamp(v: number, max: number): number {
  return v < 0 ? 0 : v > max ? max : v;
}
