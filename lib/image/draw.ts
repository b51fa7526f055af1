import { RawImage } from '../types';
import { TextMask } from './label-masks';

export type Rgb = readonly [number, number, number];

/** Fills [x0, x1) x [y0, y1), clipped to the image; `img` is 3-channel RGB. */
export function fillRect(img: RawImage, x0: number, y0: number, x1: number, y1: number, c: Rgb): void {
  const left = clamp(Math.round(x0), 0, img.width);
  const right = clamp(Math.round(x1), 0, img.width);
  const top = clamp(Math.round(y0), 0, img.height);
  const bottom = clamp(Math.round(y1), 0, img.height);
  const d = img.data;
  for (let y = top; y < bottom; y++) {
    for (let i = (y * img.width + left) * 3, end = (y * img.width + right) * 3; i < end; i += 3) {
      d[i] = c[0];
      d[i + 1] = c[1];
      d[i + 2] = c[2];
    }
  }
}

/** A rectangle's outline `line` px wide, centred on its edges. */
export function strokeRect(img: RawImage, x1: number, y1: number, x2: number, y2: number, line: number, c: Rgb): void {
  const h = line / 2;
  fillRect(img, x1 - h, y1 - h, x2 + h, y1 + h, c);
  fillRect(img, x1 - h, y2 - h, x2 + h, y2 + h, c);
  fillRect(img, x1 - h, y1 + h, x1 + h, y2 - h, c);
  fillRect(img, x2 - h, y1 + h, x2 + h, y2 - h, c);
}

/** Blends colour `c` into the image through the mask, its top-left corner at (x, y), clipped. */
export function drawMask(img: RawImage, m: TextMask, x: number, y: number, c: Rgb): void {
  const ox = Math.round(x);
  const oy = Math.round(y);
  const d = img.data;
  for (let my = Math.max(0, -oy); my < m.height && oy + my < img.height; my++) {
    for (let mx = Math.max(0, -ox); mx < m.width && ox + mx < img.width; mx++) {
      const a = m.alpha[my * m.width + mx];
      if (a === 0) continue;
      const i = ((oy + my) * img.width + ox + mx) * 3;
      d[i] += ((c[0] - d[i]) * a + 127) / 255;
      d[i + 1] += ((c[1] - d[i + 1]) * a + 127) / 255;
      d[i + 2] += ((c[2] - d[i + 2]) * a + 127) / 255;
    }
  }
}

function clamp(v: number, lo: number, hi: number): number {
  return Number.isFinite(v) ? Math.min(hi, Math.max(lo, v)) : lo;
}

export function hexRgb(hex: string): Rgb {
  const n = parseInt(hex.slice(1), 16);
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
}
