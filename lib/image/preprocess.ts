import { ImageInput } from '../types';
import { decodeResizedRgb, DEFAULT_LIMITS, ImageLimits, openImage } from './decode';
import { LetterboxGeometry, letterboxGeometry, sameGeometry } from './letterbox';

export type InputTensorType = 'float32' | 'uint8';

export interface PreprocessResult {
  /** NCHW tensor data, owned by the preprocessor and overwritten by the next run. */
  data: Float32Array | Uint8Array;
  geometry: LetterboxGeometry;
  decodeMs: number;
  preprocessMs: number;
}

const PAD = 114;

/**
 * Ultralytics predict preprocessing: letterbox (keep aspect, centered, gray 114), RGB, /255, NCHW.
 * The tensor is reused between frames; padding is written only when the geometry changes.
 */
export class Preprocessor {
  readonly data: Float32Array | Uint8Array;
  private last?: LetterboxGeometry;

  constructor(
    readonly width: number,
    readonly height: number,
    readonly type: InputTensorType = 'float32',
    private readonly limits: ImageLimits = DEFAULT_LIMITS,
  ) {
    const n = 3 * width * height;
    this.data = type === 'uint8' ? new Uint8Array(n) : new Float32Array(n);
  }

  async run(input: ImageInput): Promise<PreprocessResult> {
    const t0 = performance.now();
    const { image, size } = await openImage(input, this.limits);
    const g = letterboxGeometry(size.width, size.height, this.width, this.height);
    const rgb = await decodeResizedRgb(image, g.width, g.height, size);
    const t1 = performance.now();
    if (!sameGeometry(this.last, g)) {
      this.data.fill(this.type === 'uint8' ? PAD : PAD / 255);
      this.last = g;
    }
    // x * (1/255) rounds to the same float32 as x / 255 for every byte, and is faster.
    fill(this.data, rgb, g, this.type === 'uint8' ? 1 : 1 / 255);
    const t2 = performance.now();
    return { data: this.data, geometry: g, decodeMs: t1 - t0, preprocessMs: t2 - t1 };
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
