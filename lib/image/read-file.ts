import { YoloEdgeError } from '../errors';
import { PATH_MAX, shownStart } from '../config/fields';
import { NotRegularFile, readUpTo, withRegularFile } from '../regular-file';

/** An encoded frame larger than this is not a camera image (a 50-megapixel JPEG is about 25 MB). */
export const MAX_IMAGE_FILE_BYTES = 64 * 1024 * 1024;

/**
 * Reads an image file named by a flow: regular files only (no devices, FIFOs or sockets, which could block a
 * libuv thread for ever or stream without end), at most maxBytes, read to the size stat gave.
 */
export async function readImageFile(file: string, maxBytes = MAX_IMAGE_FILE_BYTES): Promise<Buffer> {
  // a path whole, a longer text (a payload of megabytes) cut
  const shown = shownStart(file, PATH_MAX);
  try {
    return await withRegularFile(file, (fh, size) => {
      if (size > maxBytes) throw new YoloEdgeError(`image file ${shown} is ${size} bytes, over the limit of ${maxBytes}`, 'IMAGE_TOO_LARGE');
      return readUpTo(fh, size);
    });
  } catch (err) {
    if (err instanceof YoloEdgeError) throw err;
    const why = err instanceof NotRegularFile ? (err.kind === 'folder' ? 'a folder' : 'not a regular file') : (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    throw new YoloEdgeError(`${shown} is not a readable image file (${why})`, 'BAD_PAYLOAD');
  }
}
