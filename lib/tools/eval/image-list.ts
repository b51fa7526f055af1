import { Dirent, promises as fs } from 'fs';
import * as path from 'path';
import { YoloEdgeError } from '../../errors';
import { readdirProblem } from '../../folder-problem';

/**
 * Image files by name: the formats the decoder takes (decode.ts), any case. Ultralytics also lists BMP, TIFF, DNG,
 * MPO, PFM and HEIC; sharp here reads no BMP, DNG, PFM or HEIC, and the decoder refuses TIFF as it does for the
 * nodes (eval must measure the decoding the node does), so those are named in the skipped-files warning instead.
 */
export const IMAGE_EXT = /\.(jpe?g|png|webp)$/i;

export interface DatasetItem {
  image: string;
  /** Path of the YOLO label file; missing means a background image. */
  label: string;
}

/** Told once per listing: what in the images folder was not read. */
export type Warn = (message: string) => void;

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
    throw new YoloEdgeError((await readdirProblem(dir, err as NodeJS.ErrnoException)).text, 'NO_IMAGES');
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
  return sub ? `; subfolders are not read: give one, e.g. ${path.join(dir, sub.slice(0, -1))}, or the dataset's data.yaml` : '';
}

export async function isDir(p: string): Promise<boolean> {
  try {
    return (await fs.stat(p)).isDirectory();
  } catch {
    return false;
  }
}
