import { constants, promises as fs } from 'fs';

/**
 * A regular file's bytes. A folder fails with EISDIR, anything else that is not a regular file (a FIFO, a device,
 * a socket) with ENOTREG, before a byte is read: a FIFO would hold one of libuv's few threads until a writer
 * came, and /dev/zero would be read without end.
 */
export async function readRegularFile(file: string): Promise<Buffer> {
  // O_NONBLOCK: opening a FIFO must not wait for a writer
  const fh = await fs.open(file, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    const st = await fh.stat();
    if (!st.isFile()) {
      const what = st.isDirectory() ? 'EISDIR' : 'ENOTREG';
      throw Object.assign(new Error(`${what}: ${st.isDirectory() ? 'a folder' : 'not a regular file'}, read '${file}'`), { code: what });
    }
    return await fh.readFile();
  } finally {
    await fh.close();
  }
}
