import { promises as fs } from 'fs';
import * as path from 'path';
import { YoloEdgeError } from '../../errors';
import { NotRegularFile, readUpTo, withRegularFile } from '../../regular-file';
import { DEFAULT_YAML_SPLIT, isDataYaml, isYamlSplit, listDataYaml, YamlSplit } from './data-yaml';
import { DatasetItem, IMAGE_EXT, isDir, listImages, Warn } from './image-list';
import { LabeledBox } from './metrics';

export { DatasetItem, listImages, shownNames, Warn } from './image-list';

/**
 * Lists a YOLO dataset: DIR/images/* with DIR/labels/<stem>.txt beside. A folder of images alone works too; one
 * inside an images/ folder (Ultralytics' split layout, images/train2017 with labels/train2017) has its labels
 * where Ultralytics looks, the last images/ of its path made labels/, when that folder exists. Files of the
 * images folder that are not read are named in one warning. An Ultralytics data.yaml lists the split `split`
 * names, or val for all, even and odd (data-yaml.ts).
 */
export async function listDataset(dir: string, warn?: Warn, split: Split = 'all'): Promise<DatasetItem[]> {
  checkSplitFor(dir, split);
  if (isDataYaml(dir)) return listDataYaml(dir, isYamlSplit(split) ? split : DEFAULT_YAML_SPLIT, warn);
  const nested = await isDir(path.join(dir, 'images'));
  const imagesDir = nested ? path.join(dir, 'images') : dir;
  const labelsDir = nested ? path.join(dir, 'labels') : await flatLabelsDir(dir);
  const images = await listImages(imagesDir, warn, labelsDir);
  return images.map((image) => ({ image, label: path.join(labelsDir, path.basename(image).replace(IMAGE_EXT, '.txt')) }));
}

/**
 * Which images of a dataset: all, or the even or odd positions (0-based) of the sorted listing for held-out
 * evaluation; for a data.yaml also one of its splits (all, even and odd then being those of val).
 */
export type Split = 'all' | 'even' | 'odd' | YamlSplit;

export function selectSplit<T>(items: readonly T[], split: Split): T[] {
  return split === 'even' || split === 'odd' ? items.filter((_, i) => i % 2 === (split === 'even' ? 0 : 1)) : [...items];
}

/** One split of a dataset's images; the odd half of one image is none, refused rather than measured on nothing. */
export async function listSplit(dir: string, split: Split, warn?: Warn): Promise<DatasetItem[]> {
  const items = selectSplit(await listDataset(dir, warn, split), split);
  if (items.length === 0) throw new YoloEdgeError(`no images in ${dir} (split ${split}: ${isDataYaml(dir) ? `its ${DEFAULT_YAML_SPLIT} lists` : 'the folder has'} one image)`, 'NO_IMAGES');
  return items;
}

export function parseSplit(s: string | undefined): Split {
  if (s === undefined) return 'all';
  if (s === 'all' || s === 'even' || s === 'odd' || isYamlSplit(s)) return s;
  throw new YoloEdgeError(`--split must be all, even or odd, or train, val or test of a data.yaml, got '${s}'`, 'BAD_SPLIT');
}

/** A split of a data.yaml asked of a folder, which has none: refused rather than read as all. */
export function checkSplitFor(dir: string, split: Split): void {
  if (!isYamlSplit(split) || isDataYaml(dir)) return;
  throw new YoloEdgeError(`--split ${split} names a split of a data.yaml, and ${dir} is a folder: give the dataset's data.yaml, or --split all, even or odd`, 'BAD_SPLIT');
}

/** DIR with its last `images` folder named `labels` (a/images/train -> a/labels/train), if that is a folder. */
async function splitLabelsDir(dir: string): Promise<string | undefined> {
  const parts = path.resolve(dir).split(path.sep);
  const i = parts.lastIndexOf('images');
  if (i < 0) return undefined;
  const labels = [...parts.slice(0, i), 'labels', ...parts.slice(i + 1)].join(path.sep);
  return (await isDir(labels)) ? labels : undefined;
}

/**
 * Where the labels of a folder of images alone are: the split layout's labels/ folder, else DIR/labels, else beside
 * the images, where Ultralytics looks when the path has no images/ folder (CVAT's YOLO 1.1 export, obj_train_data/
 * holding a.jpg and a.txt; eval said 'no label files').
 */
async function flatLabelsDir(dir: string): Promise<string> {
  const split = await splitLabelsDir(dir);
  if (split) return split;
  return (await isDir(path.join(dir, 'labels'))) ? path.join(dir, 'labels') : dir;
}

/**
 * Whether bench measures mAP on DIR: it has a labels folder, or (a folder of images alone) a label beside an image;
 * a data.yaml, when an image of the split has its label file.
 */
export async function hasLabels(dir: string, split: Split = 'all'): Promise<boolean> {
  if (isDataYaml(dir)) return anyLabelFile(await listDataset(dir, undefined, split));
  if (await isDir(path.join(dir, 'labels'))) return true;
  if (await isDir(path.join(dir, 'images'))) return false;
  if ((await splitLabelsDir(dir)) !== undefined) return true;
  return anyLabelFile(await listDataset(dir).catch(() => []));
}

async function anyLabelFile(items: readonly DatasetItem[]): Promise<boolean> {
  for (const it of items) if (await isFile(it.label)) return true;
  return false;
}

/** A label line or file that eval cannot use: skipped, and named in one warning per dataset. */
export interface LabelProblem {
  file: string;
  /** 1-based; absent when the whole file could not be read. */
  line?: number;
  reason: string;
}

/** Counts every problem and keeps the first few, so a dataset with thousands of bad lines warns in one line. */
export class LabelProblems {
  count = 0;
  readonly first: LabelProblem[] = [];

  constructor(private readonly keep = 3) {}

  add(p: LabelProblem): void {
    this.count++;
    if (this.first.length < this.keep) this.first.push(p);
  }

  /** One line naming the first few problems, or undefined when every label was usable. */
  summary(): string | undefined {
    if (this.count === 0) return undefined;
    const where = this.first.map((p) => `${p.file}${p.line ? `:${p.line}` : ''} ${p.reason}`).join('; ');
    return `${this.count} label line(s) or file(s) skipped: ${where}${this.count > this.first.length ? '; ...' : ''}`;
  }
}

/** Options of readLabels: the model's class count to check ids against, and where to count what is skipped. */
export interface LabelCheck {
  numClasses?: number;
  problems?: LabelProblems;
}

/** Normalised box of one label line, or why the line cannot be used. */
type ParsedLine = ({ classId: number } & Corners) | { problem: string };

/** A normalised box by its corners. */
type Corners = { x1: number; y1: number; x2: number; y2: number };

const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;

/** Coordinates a little outside 0..1 are rounding; more means pixels or another format. */
const COORD_SLACK = 0.01;

/**
 * One line of a YOLO label file: `class cx cy w h`, or a segment polygon `class x1 y1 x2 y2 x3 y3 ...` that
 * becomes its bounding box (as Ultralytics reads segment labels for detection).
 */
export function parseLabelLine(line: string, numClasses?: number): ParsedLine | undefined {
  const fields = line.trim().split(/\s+/).filter((f) => f.length > 0);
  if (fields.length === 0) return undefined;
  // decimal numbers only: Number() also took 0x1, 0b1 and 0o7, which no label writer means
  if (!fields.every((f) => DECIMAL.test(f))) return { problem: 'is not all numbers' };
  const v = fields.map(Number);
  const [c, ...coords] = v;
  if (!Number.isInteger(c) || c < 0 || (numClasses !== undefined && c >= numClasses)) {
    return { problem: `class ${fields[0]} is not a class id of the model (0..${numClasses === undefined ? 'N' : numClasses - 1})` };
  }
  const isBox = coords.length === 4;
  if (!isBox && (coords.length < 6 || coords.length % 2 !== 0)) return { problem: `has ${v.length} numbers: want class cx cy w h, or class and 3 or more x y points` };
  if (coords.some((x) => x < -COORD_SLACK || x > 1 + COORD_SLACK)) return { problem: 'has coordinates outside 0..1 (YOLO labels are normalised)' };
  const box = isBox ? centreBox(coords) : pointsBox(coords);
  // no detection overlaps a box without area: kept, it was one more object missed in every model's mAP
  if (!(box.x2 > box.x1 && box.y2 > box.y1)) return { problem: 'has a box of zero or negative width or height' };
  return { classId: c, ...box };
}

function centreBox([cx, cy, w, h]: number[]): Corners {
  return { x1: cx - w / 2, y1: cy - h / 2, x2: cx + w / 2, y2: cy + h / 2 };
}

function pointsBox(coords: number[]): Corners {
  const xs = coords.filter((_, i) => i % 2 === 0);
  const ys = coords.filter((_, i) => i % 2 === 1);
  return { x1: Math.min(...xs), y1: Math.min(...ys), x2: Math.max(...xs), y2: Math.max(...ys) };
}

/**
 * A label file larger than this is none: 100000 boxes take under 4 MB, a polygon of 1000 points 18 kB. A 400 MB one
 * (a disk image named .txt, a sparse file) was read whole, and eval took 1 GB of memory to skip it.
 */
export const MAX_LABEL_FILE_BYTES = 64 * 1024 * 1024;

/** The labels of one image; `unusable` when a line or the file could not be used. */
export interface ImageLabels {
  boxes: LabeledBox[];
  unusable: boolean;
}

/**
 * Reads a YOLO label file (normalised boxes or segment polygons) into pixel boxes. A missing file is a
 * background image; unusable lines and unreadable files are skipped and counted in `check.problems`.
 */
export async function readLabels(file: string, width: number, height: number, check: LabelCheck = {}): Promise<LabeledBox[]> {
  return (await readImageLabels(file, width, height, check)).boxes;
}

/** readLabels, telling whether anything could not be used: eval then leaves the image out, as Ultralytics does. */
export async function readImageLabels(file: string, width: number, height: number, check: LabelCheck = {}): Promise<ImageLabels> {
  let text: string;
  try {
    // regular files only: a FIFO named .txt held eval for ever
    text = await withRegularFile(file, async (fh, size) => {
      if (size > MAX_LABEL_FILE_BYTES) throw new Error(`${size} bytes, over the ${MAX_LABEL_FILE_BYTES} of a label file`);
      return (await readUpTo(fh, size)).toString('utf8');
    });
  } catch (err) {
    const missing = (err as NodeJS.ErrnoException).code === 'ENOENT';
    if (!missing) check.problems?.add({ file, reason: `cannot be read (${unreadableReason(err as Error)})` });
    return { boxes: [], unusable: !missing };
  }
  const boxes: LabeledBox[] = [];
  const seen = new Set<string>();
  let unusable = false;
  // a lone CR too (old Mac line ends): read as spaces, it made a file of boxes one polygon
  text.split(/\r\n|\r|\n/).forEach((line, i) => {
    const parsed = parseLabelLine(line, check.numClasses);
    if (!parsed) return;
    if ('problem' in parsed) {
      unusable = true;
      check.problems?.add({ file, line: i + 1, reason: parsed.problem });
      return;
    }
    // a repeated row would count as one more object the model missed (Ultralytics drops them too)
    const key = `${parsed.classId} ${parsed.x1} ${parsed.y1} ${parsed.x2} ${parsed.y2}`;
    if (seen.has(key)) {
      check.problems?.add({ file, line: i + 1, reason: 'repeats an earlier line (not counted twice)' });
      return;
    }
    seen.add(key);
    boxes.push({ classId: parsed.classId, box: { x1: parsed.x1 * width, y1: parsed.y1 * height, x2: parsed.x2 * width, y2: parsed.y2 * height } });
  });
  return { boxes, unusable };
}

function unreadableReason(err: Error): string {
  if (err instanceof NotRegularFile) return err.kind === 'folder' ? 'a folder' : 'not a regular file';
  return (err as NodeJS.ErrnoException).code ?? err.message;
}

/** Fails when not one label file exists: eval would score every detection as false and report mAP 0. */
export async function requireLabelFiles(items: readonly DatasetItem[], dir: string): Promise<void> {
  if (await anyLabelFile(items)) return;
  if (isDataYaml(dir)) throw new YoloEdgeError(`no label files: looked for each image's where Ultralytics does (the last images/ of its path made labels/, .txt)${items.length ? `, e.g. ${items[0].label}` : ''}`, 'NO_LABELS');
  const beside = items.length > 0 && path.dirname(items[0].label) === path.dirname(items[0].image);
  const where = beside ? `${path.join(dir, 'labels')} and beside the images` : items.length ? path.dirname(items[0].label) : path.join(dir, 'labels');
  const hint = path.basename(path.resolve(dir)) === 'images' ? `; --data takes the dataset folder (the one holding images/ and labels/), not ${dir}` : '';
  throw new YoloEdgeError(`no label files: looked for <image name>.txt in ${where}${hint}`, 'NO_LABELS');
}

async function isFile(p: string): Promise<boolean> {
  try {
    return (await fs.stat(p)).isFile();
  } catch {
    return false;
  }
}
