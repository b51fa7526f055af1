import { stat } from 'fs/promises';
import * as path from 'path';
import { checkWritable } from '../lib/tools/quantize/write';
import { asUsageError, UsageError } from './args';

/**
 * An output file (--out), checked before any work: a missing folder is a mistake in the command line (exit 2),
 * and it should not cost a model load or a calibration to learn it. `input` is the model it must not replace.
 */
export async function outputFile(out: string, input?: string): Promise<string> {
  try {
    await checkWritable(out, input);
  } catch (e) {
    throw asUsageError(e, ['OUTPUT_UNWRITABLE']);
  }
  return out;
}

/** An output folder that is created when missing: only an existing file in its place is the user's mistake. */
export async function outputFolder(dir: string, key: string): Promise<string> {
  try {
    if (!(await stat(dir)).isDirectory()) throw new UsageError(`--${key} ${dir} is a file, not a folder`);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOTDIR') throw new UsageError(`--${key} ${dir} is not a folder (a part of the path is a file)`);
    if (code !== 'ENOENT') throw e;
  }
  return path.resolve(dir);
}
