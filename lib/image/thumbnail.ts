import sharp from 'sharp';
import { Detection, ImageInput, isRawImage } from '../types';
import { annotatePixels } from './annotate';

/**
 * How much taller than `maxWidth` a thumbnail may be (the editor draws it in a box of that shape): a strip of a frame
 * (100x50000) was sent at its full size, every second, and drawn 160 pixels wide and 80000 high.
 */
export const THUMBNAIL_MAX_TALL = 2;

/**
 * A small annotated JPEG (for the editor preview): the image is shrunk first and the boxes are drawn scaled,
 * so the cost does not depend on the frame size. `width`/`height` are the oriented size the boxes refer to. It fits
 * in maxWidth x THUMBNAIL_MAX_TALL * maxWidth, and is never larger than the frame.
 */
export async function annotatedThumbnail(image: ImageInput, width: number, height: number, detections: readonly Detection[], maxWidth = 160): Promise<Buffer> {
  const scale = Math.min(maxWidth / width, (THUMBNAIL_MAX_TALL * maxWidth) / height, 1);
  const w = Math.max(1, Math.round(width * scale));
  const h = Math.max(1, Math.round(height * scale));
  const base = isRawImage(image)
    ? sharp(image.data, { raw: { width: image.width, height: image.height, channels: image.channels } })
    : sharp(image, { ignoreIcc: true }).rotate(); // its pixels, as the model got them (decode.ts)
  // Copied before the first await: the caller's array may be changed by the flow meanwhile.
  const sx = w / width;
  const sy = h / height;
  const scaled = detections.map((d) => ({ ...d, box: { x1: d.box.x1 * sx, y1: d.box.y1 * sy, x2: d.box.x2 * sx, y2: d.box.y2 * sy } }));
  const { data, info } = await base.resize(w, h, { fit: 'fill' }).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return annotatePixels({ data, width: info.width, height: info.height, channels: 3 }, info.width, info.height, scaled, 70);
}
