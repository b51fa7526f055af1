import { ImageInput, isRawImage, RawImage } from '../types';
import { decodeResizedRgb, decodeRgb, DEFAULT_LIMITS, ImageLimits, openImage, resizeRgb } from './decode';
import { LetterboxGeometry, letterboxGeometry, sameGeometry, stridedInputSize } from './letterbox';

/**
 * Decoded pixels a run keeps for later use, so that nothing decodes the frame again: 'model' keeps the RGB
 * the letterbox was filled from (free: it exists anyway), 'full' the whole frame (decoded once at full size,
 * then resized for the model).
 */
export type KeepPixels = 'none' | 'model' | 'full';

export interface PreprocessResult {
  /** The letterboxed frame, HWC RGB bytes, owned by the preprocessor and overwritten by the next run. */
  data: Uint8Array;
  geometry: LetterboxGeometry;
  /** The oriented frame's RGB pixels, at model scale or full size (see KeepPixels). */
  pixels?: RawImage;
  decodeMs: number;
  preprocessMs: number;
}

const PAD = 114;

/**
 * Ultralytics predict preprocessing up to the tensor: letterbox (keep aspect, centered, gray 114) into HWC RGB
 * bytes, on libuv's pool but for one row copy each. Detectors run it in the image worker (runtime/frame-worker),
 * which then writes the tensor (NCHW, /255) from these bytes with hwcToNchw. The buffer is reused between frames;
 * padding is written only when the geometry changes.
 */
export class Preprocessor {
  /** The letterbox at the current input size: a view on the start of the backing buffer. */
  data: Uint8Array;
  private last?: LetterboxGeometry;
  private readonly backing: ArrayBuffer;
  private readonly maxSize: { width: number; height: number };

  /**
   * width x height is the input size; with a stride (dynamic-shape models) it is the largest, and each frame gets
   * the smallest stride-multiple rectangle that holds it (width and height then follow the last frame).
   */
  constructor(
    public width: number,
    public height: number,
    private readonly limits: ImageLimits = DEFAULT_LIMITS,
    private readonly stride = 0,
  ) {
    this.maxSize = { width, height };
    this.backing = new ArrayBuffer(3 * width * height);
    this.data = new Uint8Array(this.backing, 0, 3 * width * height);
  }

  private resizeTensor(s: { width: number; height: number }): void {
    if (s.width === this.width && s.height === this.height) return;
    this.width = s.width;
    this.height = s.height;
    this.data = new Uint8Array(this.backing, 0, 3 * s.width * s.height);
    this.last = undefined;
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
      pad(this.data, g.dstWidth, g.dstHeight);
      this.last = g;
    }
    place(this.data, rgb, g);
    const t2 = performance.now();
    return { data: this.data, geometry: g, pixels, decodeMs: t1 - t0, preprocessMs: t2 - t1 };
  }
}

/** Grays the whole letterbox. */
function pad(out: Uint8Array, width: number, height: number): void {
  out.fill(PAD, 0, 3 * width * height);
}

/** Copies the resized frame's rows into the letterbox at its offset. */
function place(out: Uint8Array, rgb: Uint8Array, g: LetterboxGeometry): void {
  const row = g.width * 3;
  for (let y = 0; y < g.height; y++) out.set(rgb.subarray(y * row, (y + 1) * row), ((y + g.top) * g.dstWidth + g.left) * 3);
}
