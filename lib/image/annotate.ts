import sharp from 'sharp';
import { Detection, ImageInput, isRawImage } from '../types';

/** node-red-node-annotate-image form. */
export interface Annotation {
  type: 'rect';
  bbox: [number, number, number, number];
  label: string;
}

export function toAnnotations(detections: readonly Detection[]): Annotation[] {
  return detections.map((d) => ({
    type: 'rect',
    bbox: [d.box.x1, d.box.y1, d.box.x2 - d.box.x1, d.box.y2 - d.box.y1],
    label: `${d.class} ${d.score.toFixed(2)}`,
  }));
}

export function countByClass(detections: readonly Detection[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const d of detections) counts[d.class] = (counts[d.class] ?? 0) + 1;
  return counts;
}

const PALETTE = ['#ff3838', '#ff9d97', '#ff701f', '#ffb21d', '#cfd231', '#48f90a', '#92cc17', '#3ddb86', '#1a9334', '#00d4bb',
  '#2c99a8', '#00c2ff', '#344593', '#6473ff', '#0018ec', '#8438ff', '#520085', '#cb38ff', '#ff95c8', '#ff37c7'];

function escapeXml(s: string): string {
  return s.replace(/[<>&'"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[c] ?? c);
}

function overlay(detections: readonly Detection[], width: number, height: number): Buffer {
  const line = Math.max(2, Math.round(Math.min(width, height) / 200));
  const font = Math.max(12, Math.round(Math.min(width, height) / 40));
  const parts = detections.map((d) => {
    const color = PALETTE[d.classId % PALETTE.length];
    const { x1, y1, x2, y2 } = d.box;
    const label = escapeXml(`${d.class} ${d.score.toFixed(2)}`);
    const labelW = Math.round(label.length * font * 0.6 + 6);
    const ly = y1 - font - 4 >= 0 ? y1 - font - 4 : y1;
    return `<rect x="${x1.toFixed(1)}" y="${y1.toFixed(1)}" width="${(x2 - x1).toFixed(1)}" height="${(y2 - y1).toFixed(1)}" fill="none" stroke="${color}" stroke-width="${line}"/>` +
      `<rect x="${x1.toFixed(1)}" y="${ly.toFixed(1)}" width="${labelW}" height="${font + 4}" fill="${color}"/>` +
      `<text x="${(x1 + 3).toFixed(1)}" y="${(ly + font).toFixed(1)}" font-family="DejaVu Sans, Arial, sans-serif" font-size="${font}" fill="#fff">${label}</text>`;
  });
  return Buffer.from(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">${parts.join('')}</svg>`);
}

/** Draws boxes and labels on the image (size as oriented, from the detection result) and encodes it as JPEG. */
export async function annotateImage(image: ImageInput, width: number, height: number, detections: readonly Detection[], quality = 80): Promise<Buffer> {
  const base = isRawImage(image)
    ? sharp(image.data, { raw: { width: image.width, height: image.height, channels: image.channels } })
    : sharp(image).rotate();
  return base
    .composite([{ input: overlay(detections, width, height), top: 0, left: 0 }])
    .jpeg({ quality })
    .toBuffer();
}
