import { ImageInput, isRawImage, RawImage } from '../types';
import { decodeResizedRgb, decodeRgb, DEFAULT_LIMITS, ImageLimits, openImage, resizeRgb } from './decode';
import { LetterboxGeometry, letterboxGeometry, sameGeometry, stridedInputSize } from './letterbox';

export type InputTensorType = 'float32' | 'uint8';

/**
 * Decoded pixels a run keeps for later use, so that nothing decodes the frame again: 'model' keeps the RGB
 * the letterbox was filled from (free: it exists anyway), 'full' the whole frame (decoded once at full size,
 * then resized for the model).
 */
export type KeepPixels = 'none' | 'model' | 'full';

export interface PreprocessResult {
  /** NCHW tensor data, owned by the preprocessor and overwritten by the next run. */
  data: Float32Array | Uint8Array;
  geometry: LetterboxGeometry;
  /** The oriented frame's RGB pixels, at model scale or full size (see KeepPixels). */
  pixels?: RawImage;
  decodeMs: number;
  preprocessMs: number;
}

const PAD = 114;

/**
 * Ultralytics predict preprocessing: letterbox (keep aspect, centered, gray 114), RGB, /255, NCHW.
 * The tensor is reused between frames; padding is written only when the geometry changes.
 */
export class Preprocessor {
  /** Replaced by adopt() when the buffer comes back from the inference worker. */
  data: Float32Array | Uint8Array;
  private last?: LetterboxGeometry;

  /**
   * width x height is the input size; with a stride (dynamic-shape models) it is the largest, and each frame gets
   * the smallest stride-multiple rectangle that holds it (width and height then follow the last frame).
   */
  constructor(
    public width: number,
    public height: number,
    readonly type: InputTensorType = 'float32',
    private readonly limits: ImageLimits = DEFAULT_LIMITS,
    private readonly stride = 0,
    private readonly maxSize = { width, height },
  ) {
    const n = 3 * width * height;
    this.data = type === 'uint8' ? new Uint8Array(n) : new Float32Array(n);
  }

  /** Takes back the tensor's buffer after it was moved to another thread (its contents are unchanged). */
  adopt(buffer: ArrayBuffer): void {
    this.data = this.type === 'uint8' ? new Uint8Array(buffer) : new Float32Array(buffer);
  }

  /** A fresh tensor when the old one was lost (moved to a thread that died). */
  reallocate(): void {
    const n = 3 * this.width * this.height;
    this.data = this.type === 'uint8' ? new Uint8Array(n) : new Float32Array(n);
    this.last = undefined;
  }

  private resizeTensor(s: { width: number; height: number }): void {
    if (s.width === this.width && s.height === this.height) return;
    this.width = s.width;
    this.height = s.height;
    this.reallocate();
  }

  async run(input: ImageInput, keep: KeepPixels = 'none'): Promise<PreprocessResult> {
    const t0 = performance.now();
    const { image, size } = await openImage(input, this.limits);
    if (this.stride > 0) this.resizeTensor(stridedInputSize(size.width, size.height, this.maxSize.width, this.maxSize.height, this.stride));
    const g = letterboxGeometry(size.width, size.height, this.width, this.height);
    let pixels: RawImage | undefined;
    let rgb: Uint8Array;
    if (keep === 'full') {
      pixels = isRawImage(input) && input.channels === 3 ? input : await decodeRgb(image, size);
      rgb = g.width === size.width && g.height === size.height ? pixels.data : await resizeRgb(pixels, g.width, g.height);
    } else {
      rgb = await decodeResizedRgb(image, g.width, g.height, size);
      if (keep === 'model') pixels = { data: rgb, width: g.width, height: g.height, channels: 3 };
    }
    const t1 = performance.now();
    if (!sameGeometry(this.last, g)) {
      this.data.fill(this.type === 'uint8' ? PAD : PAD / 255);
      this.last = g;
    }
    // x * (1/255) rounds to the same float32 as x / 255 for every byte, and is faster.
    fill(this.data, rgb, g, this.type === 'uint8' ? 1 : 1 / 255);
    const t2 = performance.now();
    return { data: this.data, geometry: g, pixels, decodeMs: t1 - t0, preprocessMs: t2 - t1 };
  }
}

/** Copies HWC RGB bytes into the NCHW tensor at the letterbox offset, each byte times k. */
function fill(out: Float32Array | Uint8Array, rgb: Uint8Array, g: LetterboxGeometry, k: number): void {
  const plane = g.dstWidth * g.dstHeight;
  for (let y = 0; y < g.height; y++) {
    let src = y * g.width * 3;
    let dst = (y + g.top) * g.dstWidth + g.left;
    const end = dst + g.width;
    for (; dst < end; dst++, src += 3) {
      out[dst] = rgb[src] * k;
      out[dst + plane] = rgb[src + 1] * k;
      out[dst + 2 * plane] = rgb[src + 2] * k;
    }
  }
}
