import { promises as fs } from 'fs';
import * as path from 'path';
import { load } from 'js-yaml';
import { ErrorCode, YoloEdgeError } from '../../errors';
import { checkFolder } from '../../folder-problem';
import { shownStart } from '../../config/fields';
import { NotRegularFile, readUpTo, withRegularFile } from '../../regular-file';
import { MAX_NAMES_BYTES } from './dataset-names';
import { DATA_YAML } from '../../model/names-file';
import { DatasetItem, IMAGE_EXT, listImages, shownNames, Warn } from './image-list';

/** The splits of an Ultralytics data.yaml this package reads. */
export const YAML_SPLITS = ['train', 'val', 'test'] as const;
export type YamlSplit = (typeof YAML_SPLITS)[number];

/** Read when no split is named: what Ultralytics validates on, and what its INT8 export calibrates on (`data[split or 'val']`). */
export const DEFAULT_YAML_SPLIT: YamlSplit = 'val';

/**
 * More images than one split of a data.yaml may list: a list file of 10 million lines (a mistake, or a file that is
 * no list) took gigabytes of paths before a single image was read. COCO's train2017 lists 118287.
 */
export const MAX_LISTED_IMAGES = 1_000_000;
/** A list file larger than this is no list of at most MAX_LISTED_IMAGES paths. */
export const MAX_LIST_FILE_BYTES = 64 << 20;

/** Whether a dataset path is a data.yaml rather than a folder: by its name, as Ultralytics tells them apart. */
export function isDataYaml(source: string): boolean {
  return DATA_YAML.test(source);
}

export function isYamlSplit(s: string): s is YamlSplit {
  return (YAML_SPLITS as readonly string[]).includes(s);
}

/**
 * The images and labels of one split of an Ultralytics data.yaml. `path` (the root; the yaml's folder when absent,
 * taken from that folder when relative) joined with the split's entry or entries: folders of images, or list files
 * of image paths (a line `./x.jpg` from the list's folder, as Ultralytics reads them). Each image's label is where
 * Ultralytics looks: the last `images` folder of its path made `labels`, the extension `.txt`.
 */
export async function listDataYaml(file: string, split: YamlSplit, warn?: Warn): Promise<DatasetItem[]> {
  const doc = await readDataYaml(file);
  const root = await rootOf(file, doc);
  let images: string[] = [];
  for (const entry of entriesOf(file, doc, split)) {
    // concat, not push(...): a spread of a million paths overflows the stack
    images = images.concat(await listEntry(file, split, path.resolve(root, entry), MAX_LISTED_IMAGES - images.length, warn));
    if (images.length > MAX_LISTED_IMAGES) throw fault(`${file}: its ${split} lists over ${MAX_LISTED_IMAGES} images, more than this tool reads (give a smaller split, or a list file of part of it)`);
  }
  if (images.length === 0) throw fault(`no JPEG, PNG or WebP images in the ${split} of ${file}`);
  return [...new Set(images)].sort().map((image) => ({ image, label: ultralyticsLabel(image) }));
}

/** a/images/val/x.jpg -> a/labels/val/x.txt; a path without an images folder has its label beside the image. */
export function ultralyticsLabel(image: string): string {
  const images = `${path.sep}images${path.sep}`;
  const i = image.lastIndexOf(images);
  const swapped = i < 0 ? image : `${image.slice(0, i)}${path.sep}labels${path.sep}${image.slice(i + images.length)}`;
  return swapped.replace(IMAGE_EXT, '.txt');
}

function fault(message: string, code: ErrorCode = 'NO_IMAGES'): YoloEdgeError {
  return new YoloEdgeError(message, code);
}

/** What a YAML value is, without printing it: an alias bomb's value is millions of nodes when walked. */
function kindOf(v: unknown): string {
  if (v == null) return 'empty';
  if (Array.isArray(v)) return 'a list';
  return typeof v === 'object' ? 'a mapping' : `the ${typeof v} ${shownStart(v)}`;
}

/** The yaml as a mapping; within the size names files have (1 MB), read without waiting on a FIFO. */
async function readDataYaml(file: string): Promise<Record<string, unknown>> {
  let text: string;
  try {
    text = await withRegularFile(file, async (fh) => {
      const bytes = await readUpTo(fh, MAX_NAMES_BYTES + 1);
      if (bytes.length > MAX_NAMES_BYTES) throw fault(`${file} is over ${MAX_NAMES_BYTES >> 20} MB: no data.yaml is that large`);
      return bytes.toString('utf8');
    });
  } catch (err) {
    if (err instanceof YoloEdgeError) throw err;
    throw fault(unreadable(file, err as NodeJS.ErrnoException));
  }
  let doc: unknown;
  try {
    doc = load(text);
  } catch (err) {
    // js-yaml's message goes on with the lines around the fault
    throw fault(`${file} is not valid YAML: ${(err as Error).message.split('\n')[0].slice(0, 200)}`);
  }
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) throw fault(`${file} is not a data.yaml: ${doc == null ? 'it is empty' : `it holds ${kindOf(doc)}`}, not a mapping with path, train, val and names`);
  const d = doc as Record<string, unknown>;
  if (valOf(d) == null) throw fault(`${file} has no val: Ultralytics' data.yaml names the validation images (a folder, a list file, or a list of them) under val`);
  return d;
}

function unreadable(file: string, err: NodeJS.ErrnoException): string {
  if (err instanceof NotRegularFile) return `${err.message}, not a data.yaml`;
  if (err.code === 'ENOENT') return `${file} does not exist`;
  return `${file} cannot be read (${err.code ?? err.message})`;
}

/** Ultralytics renames a `validation` key to `val`. */
function valOf(doc: Record<string, unknown>): unknown {
  return doc.val ?? doc.validation;
}

async function rootOf(file: string, doc: Record<string, unknown>): Promise<string> {
  const base = path.dirname(path.resolve(file));
  if (doc.path == null) return base;
  if (typeof doc.path !== 'string' || doc.path.trim() === '') throw fault(`${file}: path is ${kindOf(doc.path)}, not a folder`);
  const root = path.resolve(base, doc.path);
  const problem = await checkFolder(root);
  if (!problem) return root;
  // Ultralytics tries a relative path from the working folder, then from its datasets_dir setting
  const hint = path.isAbsolute(doc.path) ? '' : ` (a relative path is taken from the folder of ${path.basename(file)}; give the full path if it is elsewhere)`;
  throw fault(`${file}: path ${doc.path}: ${problem.text}${hint}`);
}

/** The split's folders or list files as written, each once; a split the yaml lacks is refused naming those it has. */
function entriesOf(file: string, doc: Record<string, unknown>, split: YamlSplit): string[] {
  const v = split === 'val' ? valOf(doc) : doc[split];
  if (v == null) {
    const has = YAML_SPLITS.filter((s) => (s === 'val' ? valOf(doc) : doc[s]) != null);
    throw fault(`${file} has no ${split} (it names ${has.join(' and ')}): give --split ${has.join(' or ')}`, 'BAD_SPLIT');
  }
  const entries = Array.isArray(v) ? v : [v];
  if (entries.length === 0) throw fault(`${file}: ${split} is an empty list`);
  entries.forEach((e, i) => {
    if (typeof e !== 'string' || e.trim() === '') throw fault(`${file}: ${split}${Array.isArray(v) ? ` entry ${i + 1}` : ''} is ${kindOf(e)}, not a folder or list file path`);
  });
  return [...new Set(entries as string[])];
}

/** The images of one entry of a split: a folder's, or those a list file names. */
async function listEntry(file: string, split: YamlSplit, entry: string, room: number, warn?: Warn): Promise<string[]> {
  const st = await fs.stat(entry).catch((err: NodeJS.ErrnoException) => {
    throw fault(`${file}: the ${split} ${entry} ${err.code === 'ENOENT' ? 'does not exist' : `cannot be read (${err.code})`}`);
  });
  if (st.isDirectory()) return listImages(entry, warn);
  if (!st.isFile()) throw fault(`${file}: the ${split} ${entry} is not a folder or a regular file`);
  return listFile(entry, room, warn);
}

/** A list file's image paths: one a line, `./` from the list's folder, other relative paths from the working folder (as Ultralytics). */
async function listFile(list: string, room: number, warn?: Warn): Promise<string[]> {
  const tooMany = (): YoloEdgeError => fault(`${list} lists over ${MAX_LISTED_IMAGES} images, more than this tool reads: is it a list of image paths?`);
  const bytes = await withRegularFile(list, async (fh, size) => {
    if (size > MAX_LIST_FILE_BYTES) throw tooMany();
    return readUpTo(fh, size); // a buffer of the file's size, not of the cap's 64 MB
  }).catch((err: unknown) => {
    throw err instanceof YoloEdgeError ? err : fault(unreadable(list, err as NodeJS.ErrnoException));
  });
  // counted on the bytes: ten million short lines split into strings took gigabytes before being refused
  let lines = 0;
  for (let i = bytes.indexOf(10); i >= 0 && lines <= room; i = bytes.indexOf(10, i + 1)) lines++;
  if (lines > room) throw tooMany();
  const named = bytes.toString('utf8').split(/\r\n|\r|\n/).map((l) => l.trim()).filter((l) => l.length > 0);
  const images = named.filter((l) => IMAGE_EXT.test(l));
  const skipped = named.filter((l) => !IMAGE_EXT.test(l));
  if (skipped.length) warn?.(`${skipped.length} of the ${named.length} lines of ${list} skipped (read are .jpg, .jpeg, .png and .webp files): ${shownNames(skipped)}`);
  return images.map((l) => (l.startsWith('./') ? path.join(path.dirname(list), l) : path.resolve(l)));
}
