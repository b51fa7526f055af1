import { promises as fs } from 'fs';
import * as path from 'path';
import { YoloEdgeError } from '../../errors';
import { LabeledBox } from './metrics';

const IMAGE_EXT = /\.(jpe?g|png|webp)$/i;

export interface DatasetItem {
  image: string;
  /** Path of the YOLO label file; missing means a background image. */
  label: string;
}

/** Lists a YOLO dataset: DIR/images/* with DIR/labels/<stem>.txt beside. A folder of images alone works too. */
export async function listDataset(dir: string): Promise<DatasetItem[]> {
  const imagesDir = await isDir(path.join(dir, 'images')) ? path.join(dir, 'images') : dir;
  const labelsDir = path.join(dir, 'labels');
  const images = await listImages(imagesDir);
  return images.map((image) => ({ image, label: path.join(labelsDir, path.basename(image).replace(IMAGE_EXT, '.txt')) }));
}

/** Half of a sorted listing for held-out evaluation: even or odd positions (0-based). */
export type Split = 'all' | 'even' | 'odd';

export function selectSplit<T>(items: readonly T[], split: Split): T[] {
  return split === 'all' ? [...items] : items.filter((_, i) => i % 2 === (split === 'even' ? 0 : 1));
}

export function parseSplit(s: string | undefined): Split {
  if (s === undefined || s === 'all' || s === 'even' || s === 'odd') return s ?? 'all';
  throw new YoloEdgeError(`split must be all, even or odd, got '${s}'`, 'BAD_SPLIT');
}

export async function listImages(dir: string): Promise<string[]> {
  let names: string[];
  try {
    names = await fs.readdir(dir);
  } catch {
    throw new YoloEdgeError(`image folder not found: ${dir}`, 'NO_IMAGES');
  }
  const images = names.filter((n) => IMAGE_EXT.test(n)).sort().map((n) => path.join(dir, n));
  if (images.length === 0) throw new YoloEdgeError(`no JPEG, PNG or WebP images in ${dir}`, 'NO_IMAGES');
  return images;
}

export async function hasLabels(dir: string): Promise<boolean> {
  return isDir(path.join(dir, 'labels'));
}

async function isDir(p: string): Promise<boolean> {
  try {
    return (await fs.stat(p)).isDirectory();
  } catch {
    return false;
  }
}

/** Reads a YOLO label file (class cx cy w h, normalised) into pixel boxes. */
export async function readLabels(file: string, width: number, height: number): Promise<LabeledBox[]> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch {
    return [];
  }
  const out: LabeledBox[] = [];
  for (const line of text.split(/\r?\n/)) {
    const v = line.trim().split(/\s+/).map(Number);
    if (v.length < 5 || v.some((x) => Number.isNaN(x))) continue;
    const [c, cx, cy, w, h] = v;
    out.push({
      classId: c,
      box: { x1: (cx - w / 2) * width, y1: (cy - h / 2) * height, x2: (cx + w / 2) * width, y2: (cy + h / 2) * height },
    });
  }
  return out;
}
