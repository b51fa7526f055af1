import { ImageInput, isRawImage, RawImage } from '../types';
import { CheckedFrame, decodeResizedRgb, decodeRgb, DEFAULT_LIMITS, ImageLimits, openImage, resizeRgb } from './decode';
import { LetterboxGeometry, letterboxGeometry, sameGeometry, stridedInputSize } from './letterbox';
import { InputTensor, padNchw, placeNchw, TensorElement, tensorView } from './tensor-layout';

/**
 * Decoded pixels a run keeps for later use, so that nothing decodes the frame again: 'model' keeps the RGB
 * the letterbox was filled from (free: it exists anyway), 'full' the whole frame (decoded once at full size,
 * then resized for the model).
 */
export type KeepPixels = 'none' | 'model' | 'full';

export interface PreprocessResult {
  geometry: LetterboxGeometry;
  /** The oriented frame's RGB pixels, at model scale or full size (see KeepPixels). */
  pixels?: RawImage;
  decodeMs: number;
  preprocessMs: number;
}

const PAD = 114;

/**
 * Ultralytics predict preprocessing: letterbox (keep aspect, centered, gray 114) straight into the model's NCHW
 * input tensor (x / 255 for a float input), decoding on libuv's pool. Detectors run it in the image worker
 * (runtime/frame-worker), on their shared slot buffers. The tensor lives at the start of the buffer given, which
 * only this preprocessor writes: its padding is written only when the geometry changes.
 */
export class Preprocessor {
  /** The tensor at the current input size: a view on the start of the buffer. */
  tensor: InputTensor;
  private last?: LetterboxGeometry;
  private readonly maxSize: { width: number; height: number };

  /**
   * width x height is the input size; with a stride (dynamic-shape models) it is the largest, and each frame gets
   * the smallest stride-multiple rectangle that holds it (width and height then follow the last frame).
   */
  constructor(
    private readonly buffer: ArrayBufferLike,
    private readonly element: TensorElement,
    public width: number,
    public height: number,
    private readonly limits: ImageLimits = DEFAULT_LIMITS,
    private readonly stride = 0,
  ) {
    this.maxSize = { width, height };
    this.tensor = tensorView(buffer, element, 3 * width * height);
  }

  private resizeTensor(s: { width: number; height: number }): void {
    if (s.width === this.width && s.height === this.height) return;
    this.width = s.width;
    this.height = s.height;
    this.tensor = tensorView(this.buffer, this.element, 3 * s.width * s.height);
    this.last = undefined;
  }

  /** `checked`: checkFrame's answer for this input under this preprocessor's limits, if the caller has it. */
  async run(input: ImageInput, keep: KeepPixels = 'none', checked?: CheckedFrame): Promise<PreprocessResult> {
    const t0 = performance.now();
    const opened = await openImage(input, this.limits, checked);
    const { image, size, rgbFirst } = opened;
    if (this.stride > 0) this.resizeTensor(stridedInputSize(size.width, size.height, this.maxSize.width, this.maxSize.height, this.stride));
    const g = letterboxGeometry(size.width, size.height, this.width, this.height);
    // RGB pixels already at the letterbox's scale need no libvips pipeline (about 0.5 ms of setup alone)
    const rgbIn = isRawImage(input) && input.channels === 3 ? input : undefined;
    const atScale = g.width === size.width && g.height === size.height;
    let pixels: RawImage | undefined;
    let rgb: Uint8Array;
    if (keep === 'full' || (rgbFirst && !atScale)) {
      const whole = rgbIn ?? (await decodeRgb(opened));
      rgb = atScale ? whole.data : await resizeRgb(whole, g.width, g.height);
      if (keep === 'full') pixels = whole;
    } else {
      rgb = rgbIn && atScale ? rgbIn.data : await decodeResizedRgb(image, g.width, g.height, size);
    }
    if (keep === 'model') pixels = { data: rgb, width: g.width, height: g.height, channels: 3, icc: opened.icc };
    const t1 = performance.now();
    if (!sameGeometry(this.last, g)) {
      padNchw(this.tensor, g, PAD);
      this.last = g;
    }
    placeNchw(rgb, this.tensor, g);
    const t2 = performance.now();
    return { geometry: g, pixels, decodeMs: t1 - t0, preprocessMs: t2 - t1 };
  }
}
