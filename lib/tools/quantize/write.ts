import { promises as fs } from 'fs';
import * as path from 'path';
import { YoloEdgeError } from '../../errors';
import { checkFolder } from '../../folder-problem';
import { holdScratch } from '../temp-files';

/** True when both paths name one existing file (the same inode: through symlinks, hard links, ./ or ../). */
async function sameFile(a: string, b: string): Promise<boolean> {
  try {
    const [sa, sb] = await Promise.all([fs.stat(a), fs.stat(b)]);
    return sa.dev === sb.dev && sa.ino === sb.ino;
  } catch {
    return false;
  }
}

/**
 * Fails early, before any calibration work, when the output folder cannot take the file, or when the output
 * is the input model itself (the rename would replace the user's only copy without a word).
 */
export async function checkWritable(out: string, input?: string): Promise<void> {
  if (input !== undefined && (await sameFile(out, input))) {
    throw new YoloEdgeError(`cannot write ${out}: it is the input model ${input}; choose another --out`, 'OUTPUT_UNWRITABLE');
  }
  // `--out models/` names a folder: dirname() drops the slash, so the folder above was checked, and the write failed
  // with ENOENT (or ENOTDIR on a file) after the whole calibration
  if (out.endsWith('/') || out.endsWith(path.sep)) {
    throw new YoloEdgeError(`cannot write ${out}: it ends in a slash, so it names a folder; give the file to write`, 'OUTPUT_UNWRITABLE');
  }
  const dir = path.dirname(path.resolve(out));
  const problem = await checkFolder(dir, { writable: true });
  if (problem) throw new YoloEdgeError(`cannot write ${out}: ${problem.text}`, 'OUTPUT_UNWRITABLE');
  const existing = await fs.stat(out).catch((err: NodeJS.ErrnoException) => {
    // a name over the file system's limit (255 bytes) failed only at the write, after the whole quantization
    if (err.code === 'ENAMETOOLONG') throw new YoloEdgeError(`cannot write ${out}: its name is longer than the file system takes (ENAMETOOLONG)`, 'OUTPUT_UNWRITABLE');
    return undefined;
  });
  if (existing?.isDirectory()) throw new YoloEdgeError(`cannot write ${out}: it is a folder; give the file to write`, 'OUTPUT_UNWRITABLE');
  // the rename would put the model in the FIFO's or device's place (`--out /dev/null` run as root replaced it)
  if (existing && !existing.isFile()) throw new YoloEdgeError(`cannot write ${out}: it is not a regular file (a FIFO, device or socket); give the file to write`, 'OUTPUT_UNWRITABLE');
}

let written = 0;

/**
 * Writes through a temporary file in the same folder and renames it: readers never see a half-written model. The
 * temporary name does not grow out of --out's: a name near the file system's 255 bytes that it may take failed
 * (ENAMETOOLONG) once a suffix made it longer, after the whole quantization.
 */
export async function writeAtomic(out: string, bytes: Uint8Array): Promise<void> {
  const tmp = path.join(path.dirname(out), `.yolo-edge-${process.pid}-${Date.now()}-${++written}.tmp`);
  const done = holdScratch(tmp);
  try {
    await fs.writeFile(tmp, bytes);
    await fs.rename(tmp, out);
  } catch (err) {
    // a clean-up that fails too (ENOTDIR: the folder became a file meanwhile) must not hide why the write failed
    await fs.rm(tmp, { force: true }).catch(() => undefined);
    throw new YoloEdgeError(`cannot write ${out}: ${(err as Error).message}`, 'OUTPUT_UNWRITABLE');
  } finally {
    done();
  }
}
