import { Dirent, promises as fs } from 'fs';
import * as path from 'path';
import { YoloEdgeError } from '../../errors';
import { readdirProblem } from '../../folder-problem';
import { NotRegularFile, readUpTo, withRegularFile } from '../../regular-file';
import { LabeledBox } from './metrics';

/**
 * Image files by name: the formats the decoder takes (decode.ts), any case. Ultralytics also lists BMP, TIFF, DNG,
 * MPO, PFM and HEIC; sharp here reads no BMP, DNG, PFM or HEIC, and the decoder refuses TIFF as it does for the
 * nodes (eval must measure the decoding the node does), so those are named in the skipped-files warning instead.
 */
const IMAGE_EXT = /\.(jpe?g|png|webp)$/i;

export interface DatasetItem {
  image: string;
  /** Path of the YOLO label file; missing means a background image. */
  label: string;
}

/** Told once per listing: what in the images folder was not read. */
export type Warn = (message: string) => void;

/**
 * Lists a YOLO dataset: DIR/images/* with DIR/labels/<stem>.txt beside. A folder of images alone works too; one
 * inside an images/ folder (Ultralytics' split layout, images/train2017 with labels/train2017) has its labels
 * where Ultralytics looks, the last images/ of its path made labels/, when that folder exists. Files of the
 * images folder that are not read are named in one warning.
 */
export async function listDataset(dir: string, warn?: Warn): Promise<DatasetItem[]> {
  const nested = await isDir(path.join(dir, 'images'));
  const imagesDir = nested ? path.join(dir, 'images') : dir;
  const labelsDir = nested ? path.join(dir, 'labels') : await flatLabelsDir(dir);
  const images = await listImages(imagesDir, warn, labelsDir);
  return images.map((image) => ({ image, label: path.join(labelsDir, path.basename(image).replace(IMAGE_EXT, '.txt')) }));
}

/** Half of a sorted listing for held-out evaluation: even or odd positions (0-based). */
export type Split = 'all' | 'even' | 'odd';

export function selectSplit<T>(items: readonly T[], split: Split): T[] {
  return split === 'all' ? [...items] : items.filter((_, i) => i % 2 === (split === 'even' ? 0 : 1));
}

/** One split of a dataset's images; the odd half of one image is none, refused rather than measured on nothing. */
export async function listSplit(dir: string, split: Split, warn?: Warn): Promise<DatasetItem[]> {
  const items = selectSplit(await listDataset(dir, warn), split);
  if (items.length === 0) throw new YoloEdgeError(`no images in ${dir} (split ${split}: the folder has one image)`, 'NO_IMAGES');
  return items;
}

export function parseSplit(s: string | undefined): Split {
  if (s === undefined || s === 'all' || s === 'even' || s === 'odd') return s ?? 'all';
  throw new YoloEdgeError(`--split must be all, even or odd, got '${s}'`, 'BAD_SPLIT');
}

/**
 * The images of a folder, sorted by name; subfolders and hidden files are not looked at. What else the folder
 * holds (other formats, folders, stray files; not the .txt of an image, a label beside it) is counted and named in
 * one warning: a folder of TIFFs or of train/ and val/ left out in silence made eval, quantize and bench measure on less.
 */
export async function listImages(dir: string, warn?: Warn, labelsDir?: string): Promise<string[]> {
  let entries: Dirent[];
  try {
    entries = await fs.readdir(dir, { withFileTypes: true });
  } catch (err) {
    throw new YoloEdgeError(await listProblem(dir, err as NodeJS.ErrnoException), 'NO_IMAGES');
  }
  // Hidden files are no one's images: macOS's ._a.jpg beside a.jpg on a USB stick failed eval as undecodable, and
  // the camera's .calib-N.jpg.part is one being written. The folder camera and Ultralytics' glob pass them over too.
  const visible = entries.filter((e) => !e.name.startsWith('.'));
  // a folder named like an image stays in the list, where reading it fails naming it
  const names = visible.map((e) => (e.isDirectory() && !IMAGE_EXT.test(e.name) ? `${e.name}/` : e.name)).sort();
  const images = names.filter((n) => IMAGE_EXT.test(n));
  // the labels/ folder of a folder of images alone is read too
  const labels = labelsDir !== undefined && path.dirname(path.resolve(labelsDir)) === path.resolve(dir) ? [`${path.basename(labelsDir)}/`] : [];
  const read = new Set([...images, ...images.map((n) => n.replace(IMAGE_EXT, '.txt')), ...labels]);
  const skipped = names.filter((n) => !read.has(n));
  if (images.length === 0) throw new YoloEdgeError(`no JPEG, PNG or WebP images in ${dir}${skipped.length ? ` (it holds ${shownNames(skipped)}${subfolderHint(dir, skipped)})` : ''}`, 'NO_IMAGES');
  if (skipped.length) warn?.(`${skipped.length} of the ${names.length} entries of ${dir} skipped (read are .jpg, .jpeg, .png and .webp files, not subfolders): ${shownNames(skipped)}`);
  return images.map((n) => path.join(dir, n));
}

/** The first few names of a list, and how many more: a folder of thousands stays one line. */
export function shownNames(names: readonly string[], keep = 5, separator = ', '): string {
  return names.slice(0, keep).join(separator) + (names.length > keep ? `${separator}and ${names.length - keep} more` : '');
}

/** A folder of split folders (Ultralytics' images/ holding train/ and val/) is given one: the validation one first. */
function subfolderHint(dir: string, names: readonly string[]): string {
  const sub = names.find((n) => /^val(id|idation)?\/$/i.test(n)) ?? names.find((n) => n.endsWith('/'));
  return sub ? `; subfolders are not read: give one, e.g. ${path.join(dir, sub.slice(0, -1))}` : '';
}

/** Why a folder could not be listed; a data.yaml given for the folder is told what to give instead. */
async function listProblem(dir: string, err: NodeJS.ErrnoException): Promise<string> {
  const p = await readdirProblem(dir, err);
  if (p.kind !== 'file' || !/\.ya?ml$/i.test(dir)) return p.text;
  return `${p.text}: give the folder of images a data.yaml names (its path joined with val, e.g. DIR/images/val), not the data.yaml`;
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

/** Whether bench measures mAP on DIR: it has a labels folder, or (a folder of images alone) a label beside an image. */
export async function hasLabels(dir: string): Promise<boolean> {
  if (await isDir(path.join(dir, 'labels'))) return true;
  if (await isDir(path.join(dir, 'images'))) return false;
  if ((await splitLabelsDir(dir)) !== undefined) return true;
  for (const it of await listDataset(dir).catch(() => [])) if (await isFile(it.label)) return true;
  return false;
}

async function isDir(p: string): Promise<boolean> {
  try {
    return (await fs.stat(p)).isDirectory();
  } catch {
    return false;
  }
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
  for (const it of items) if (await isFile(it.label)) return;
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
