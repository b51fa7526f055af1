import { constants, promises as fs } from 'fs';
import { YoloEdgeError } from '../errors';

/** An encoded frame larger than this is not a camera image (a 50-megapixel JPEG is about 25 MB). */
export const MAX_IMAGE_FILE_BYTES = 64 * 1024 * 1024;

/**
 * Reads an image file named by a flow: regular files only (no devices, FIFOs or sockets, which could block a
 * libuv thread for ever or stream without end), at most maxBytes, read to the size stat gave.
 */
export async function readImageFile(file: string, maxBytes = MAX_IMAGE_FILE_BYTES): Promise<Buffer> {
  const shown = JSON.stringify(file.slice(0, 80));
  let fh: fs.FileHandle;
  try {
    // O_NONBLOCK: opening a FIFO must not wait for a writer
    fh = await fs.open(file, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (err) {
    throw new YoloEdgeError(`${shown} is not a readable image file (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`, 'BAD_PAYLOAD');
  }
  try {
    const st = await fh.stat();
    if (!st.isFile()) throw new YoloEdgeError(`${shown} is not a readable image file (not a regular file)`, 'BAD_PAYLOAD');
    if (st.size > maxBytes) throw new YoloEdgeError(`image file ${shown} is ${st.size} bytes, over the limit of ${maxBytes}`, 'IMAGE_TOO_LARGE');
    const buf = Buffer.allocUnsafe(st.size);
    let at = 0;
    while (at < st.size) {
      const { bytesRead } = await fh.read(buf, at, st.size - at, at);
      if (bytesRead === 0) break;
      at += bytesRead;
    }
    return at === st.size ? buf : buf.subarray(0, at);
  } finally {
    await fh.close();
  }
}
