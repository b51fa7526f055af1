import * as path from 'path';
import { YoloEdgeError } from '../lib/errors';
import { checkFolder } from '../lib/folder-problem';
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

/** An output folder that is created when missing: only a file in its place or in its path is the user's mistake. */
export async function outputFolder(dir: string, key: string): Promise<string> {
  const problem = await checkFolder(dir);
  if (problem?.kind === 'file' || problem?.kind === 'file-in-path') throw new UsageError(`--${key} ${problem.text}`);
  // a folder that cannot be looked at (permission, ...) is not the command line's fault: exit 1, in words
  if (problem && problem.kind !== 'missing') throw new YoloEdgeError(problem.text, 'OUTPUT_UNWRITABLE', { cause: problem.cause });
  return path.resolve(dir);
}

/**
 * Before a long download into `dir` (or the folder it will be made in, when missing): one that cannot take files is
 * refused as an --out's is, and `hint` says what to give instead.
 */
export async function refuseUnwritable(dir: string, key: string, hint = ''): Promise<void> {
  let at = dir;
  let problem = await checkFolder(at, { writable: true });
  while (problem?.kind === 'missing' && path.dirname(at) !== at) {
    at = path.dirname(at);
    problem = await checkFolder(at, { writable: true });
  }
  if (problem?.kind === 'not-writable') throw new UsageError(`--${key} ${dir} cannot be written into: ${problem.text}${hint}`);
}
