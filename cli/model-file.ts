import { accessSync, constants, existsSync, statSync, Stats } from 'fs';
import { YoloEdgeError } from '../lib/errors';
import { notRegularText } from '../lib/model/onnx-file';
import { resolveCliModelPath } from '../lib/model/resolve-path';

/**
 * A model option (--model, --production, --candidate) as typed, resolved as resolveCliModelPath does. A folder
 * is named as one: reading it said only 'EISDIR: illegal operation on a directory'. A FIFO or device is refused
 * here too: bench's first step opens the model in onnxruntime itself, which waited on a FIFO for ever (deaf to
 * Ctrl-C and SIGTERM) and would read /dev/zero without end. Like a missing model it exits 1 (a file the command
 * cannot use, not a mistake in how the option is spelled); a missing one is left to the command to name.
 */
export function modelFile(value: string | undefined, key: string): string {
  const file = resolveCliModelPath(value);
  let st: Stats | undefined;
  try {
    st = statSync(file, { throwIfNoEntry: false });
  } catch (err) {
    // a symlink loop (ELOOP), a part of the path that is a file (ENOTDIR), no permission...
    throw new YoloEdgeError(`--${key}: cannot read model file ${file}: ${(err as Error).message}`, 'MODEL_UNREADABLE');
  }
  if (st && !st.isFile()) {
    throw new YoloEdgeError(`--${key} ${notRegularText(file, st.isDirectory() ? 'folder' : 'special', 'model file')}`, 'MODEL_UNREADABLE');
  }
  // one the user may not read failed only at its load: shadow decoded the whole dataset first, bench read its images
  if (st) {
    try {
      accessSync(file, constants.R_OK);
    } catch (err) {
      throw new YoloEdgeError(`--${key}: cannot read model file ${file}: ${(err as Error).message}`, 'MODEL_UNREADABLE');
    }
  }
  return file;
}

/**
 * Model files (as modelFile() gives them) that must exist before any work: a typo in the last should not cost the
 * reading of a dataset or the loads of the others.
 */
export function refuseMissing(files: readonly string[]): void {
  const missing = files.filter((m) => !existsSync(m));
  if (missing.length) throw new YoloEdgeError(`model file not found: ${missing.join(', ')}`, 'MODEL_NOT_FOUND');
}
