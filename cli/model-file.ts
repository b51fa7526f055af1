import { statSync } from 'fs';
import { YoloEdgeError } from '../lib/errors';
import { notRegularText } from '../lib/model/onnx-file';
import { resolveCliModelPath } from '../lib/model/resolve-path';

/**
 * A model option (--model, --production, --candidate) as typed, resolved as resolveCliModelPath does. A folder
 * is named as one: reading it said only 'EISDIR: illegal operation on a directory'. Like a missing model it
 * exits 1 (a file the command cannot use, not a mistake in how the option is spelled).
 */
export function modelFile(value: string | undefined, key: string): string {
  const file = resolveCliModelPath(value);
  if (statSync(file, { throwIfNoEntry: false })?.isDirectory()) {
    throw new YoloEdgeError(`--${key} ${notRegularText(file, 'folder', 'model file')}`, 'MODEL_UNREADABLE');
  }
  return file;
}
