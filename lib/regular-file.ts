import { constants, promises as fs } from 'fs';

/** Why a path is not a regular file to read: a folder, or a FIFO, device or socket. */
export class NotRegularFile extends Error {
  constructor(readonly file: string, readonly kind: 'folder' | 'special') {
    super(kind === 'folder' ? `${file} is a folder` : `${file} is not a regular file (a FIFO, device or socket)`);
    this.name = 'NotRegularFile';
  }
}

/**
 * Opens a regular file and hands it to `use`, closing it after. Opened non-blocking and refused (NotRegularFile)
 * unless regular, before a byte is read: a FIFO would hold one of libuv's few threads until a writer came, and a
 * device such as /dev/zero would stream without end. Errors of the open itself (ENOENT...) pass through.
 */
export async function withRegularFile<T>(file: string, use: (fh: fs.FileHandle, size: number) => Promise<T>): Promise<T> {
  const fh = await fs.open(file, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    const st = await fh.stat();
    if (!st.isFile()) throw new NotRegularFile(file, st.isDirectory() ? 'folder' : 'special');
    return await use(fh, st.size);
  } finally {
    await fh.close();
  }
}

/** Up to maxBytes from the start, until the end of the file (procfs files report size 0 and still have lines). */
export async function readUpTo(fh: fs.FileHandle, maxBytes: number): Promise<Buffer> {
  const buf = Buffer.allocUnsafe(maxBytes);
  let length = 0;
  while (length < maxBytes) {
    const { bytesRead } = await fh.read(buf, length, maxBytes - length, length);
    if (bytesRead === 0) break;
    length += bytesRead;
  }
  return length === maxBytes ? buf : buf.subarray(0, length);
}
