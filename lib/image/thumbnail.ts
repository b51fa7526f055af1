import sharp from 'sharp';
import { Detection, ImageInput } from '../types';
import { annotatePixels, rgbPixels } from './annotate';

/**
 * How much taller than `maxWidth` a thumbnail may be (the editor draws it in a box of that shape): a strip of a frame
 * (100x50000) was sent at its full size, every second, and drawn 160 pixels wide and 80000 high.
 */
export const THUMBNAIL_MAX_TALL = 2;

/**
 * Largest colour profile a thumbnail carries. Display profiles are a few KB (Display P3: 0.5 KB, sRGB: 3 KB); a JPEG
 * may hold up to 16 MB of one, which went to every open editor each second as base64 with a 5 KB thumbnail.
 */
export const THUMBNAIL_MAX_ICC = 16 * 1024;

/**
 * A small annotated JPEG (for the editor preview): the image is shrunk first and the boxes are drawn scaled,
 * so the cost does not depend on the frame size. `width`/`height` are the oriented size the boxes refer to. It fits
 * in maxWidth x THUMBNAIL_MAX_TALL * maxWidth, and is never larger than the frame.
 */
export async function annotatedThumbnail(image: ImageInput, width: number, height: number, detections: readonly Detection[], maxWidth = 160): Promise<Buffer> {
  const scale = Math.min(maxWidth / width, (THUMBNAIL_MAX_TALL * maxWidth) / height, 1);
  const w = Math.max(1, Math.round(width * scale));
  const h = Math.max(1, Math.round(height * scale));
  // Copied before the first await: the caller's array may be changed by the flow meanwhile.
  const sx = w / width;
  const sy = h / height;
  const scaled = detections.map((d) => ({ ...d, box: { x1: d.box.x1 * sx, y1: d.box.y1 * sy, x2: d.box.x2 * sx, y2: d.box.y2 * sy } }));
  // RGB before the resize, which premultiplied by the alpha it then dropped: a raw RGBA frame's thumbnail was up to
  // 37 levels off the same frame's in RGB
  const rgb = await rgbPixels(image);
  const base = sharp(rgb.data, { raw: { width: rgb.width, height: rgb.height, channels: 3 } });
  const { data, info } = await base.resize(w, h, { fit: 'fill' }).raw().toBuffer({ resolveWithObject: true });
  const icc = rgb.icc && rgb.icc.length <= THUMBNAIL_MAX_ICC ? rgb.icc : undefined;
  return annotatePixels({ data, width: info.width, height: info.height, channels: 3, icc }, info.width, info.height, scaled, 70);
}
