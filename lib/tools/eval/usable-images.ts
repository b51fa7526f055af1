import { imageFileError } from '../../detect-file';
import { ErrorCode, YoloEdgeError } from '../../errors';
import { decodeRgb, openImage } from '../../image/decode';
import { readImageFile } from '../../image/read-file';
import { shownNames, Warn } from './image-list';

/**
 * The codes of an image file that cannot be used: not a readable regular file (a folder or FIFO named .jpg, gone),
 * not decodable (truncated, empty, another format), or outside the size limits. Anything else (the model failing)
 * is not the image's fault and still stops the command.
 */
const IMAGE_PROBLEMS: ReadonlySet<ErrorCode> = new Set(['BAD_PAYLOAD', 'BAD_IMAGE', 'IMAGE_TOO_LARGE', 'IMAGE_TOO_SMALL']);

export function isImageProblem(err: unknown): err is YoloEdgeError {
  return err instanceof YoloEdgeError && IMAGE_PROBLEMS.has(err.code);
}

/**
 * The images of a dataset left out because they cannot be used: counted, the first few named, in one warning per
 * command run. A bad image among thousands stopped eval and quantize (exit 1, the work done lost); Ultralytics
 * leaves it out when it builds its dataset ('ignoring corrupt image/label') and goes on with the rest.
 */
export class SkippedImages {
  readonly files: string[] = [];
  private readonly reasons: string[] = [];

  add(file: string, err: YoloEdgeError): void {
    this.files.push(file);
    // the messages of readImageFile and imageFileError name the file already
    this.reasons.push(err.message.includes(file) ? err.message : `${file}: ${err.message}`);
  }

  get count(): number {
    return this.files.length;
  }

  /** One line: how many of how many were left out and why, the first few named; undefined when none was. */
  summary(total: number, keep = 3): string | undefined {
    if (this.count === 0) return undefined;
    return `${this.count} of ${total} image(s) left out, as they cannot be read or decoded (as Ultralytics ignores a corrupt image): ${shownNames(this.reasons, keep, '; ')}`;
  }

  /** Every image checked was left out: the command has nothing to measure (NO_IMAGES), and says why. */
  noneLeft(dir: string): YoloEdgeError {
    return new YoloEdgeError(`no usable image in ${dir}: ${this.summary(this.count)}`, 'NO_IMAGES');
  }
}

/**
 * An image file read and wholly decoded, as the detector will: a truncated JPEG passes the header and fails only
 * at its last rows. Its errors name the file.
 */
export async function checkedImage(file: string): Promise<Buffer> {
  const bytes = await readImageFile(file); // its errors name the file already
  try {
    await decodeRgb(await openImage(bytes));
  } catch (err) {
    throw imageFileError(file, err, 'BAD_IMAGE');
  }
  return bytes;
}

export interface UsableOptions {
  /** Told once, when some image was left out. */
  warn?: Warn;
  /** Stop once this many usable images are found (the first ones in listing order). */
  limit?: number;
  /** Each usable image's bytes, in order, for a caller that holds some. */
  onImage?: (bytes: Buffer, index: number) => void;
  /** After each image checked: a folder of thousands takes a while. */
  progress?: (checked: number, total: number) => void;
}

/**
 * The items whose image can be read and decoded, in their order, the others left out and named in one warning;
 * every image decoded once (Ultralytics checks each when it builds its dataset). What is measured on them is then
 * what the dataset without the bad files gives. None usable fails NO_IMAGES, saying why.
 */
export async function usableImages<T extends { image: string }>(items: readonly T[], dir: string, o: UsableOptions = {}): Promise<T[]> {
  const skipped = new SkippedImages();
  const usable: T[] = [];
  const limit = o.limit ?? Infinity;
  let checked = 0;
  for (const it of items) {
    if (usable.length >= limit) break;
    checked++;
    try {
      const bytes = await checkedImage(it.image);
      o.onImage?.(bytes, usable.length);
      usable.push(it);
    } catch (err) {
      if (!isImageProblem(err)) throw err;
      skipped.add(it.image, err);
    }
    o.progress?.(checked, Math.min(items.length, checked + limit - usable.length));
  }
  if (usable.length === 0 && skipped.count > 0) throw skipped.noneLeft(dir);
  const summary = skipped.summary(checked);
  if (summary) o.warn?.(summary);
  return usable;
}
