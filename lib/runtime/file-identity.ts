import { promises as fs } from 'fs';
import { YoloEdgeError } from '../errors';

/** A model file's identity beside its path (size and modification time): a file replaced in place differs. */
export async function fileIdentity(modelPath: string): Promise<string> {
  try {
    const st = await fs.stat(modelPath);
    return `${st.size}:${st.mtimeMs}`;
  } catch (err) {
    // a symlink loop or a path through a file exists, and is not 'not found'
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new YoloEdgeError(`model file not found: ${modelPath}`, 'MODEL_NOT_FOUND');
    throw new YoloEdgeError(`cannot read model file ${modelPath}: ${(err as Error).message}`, 'MODEL_UNREADABLE');
  }
}

/** Throws MODEL_CHANGED (or MODEL_NOT_FOUND) unless the file is still the one its users described. */
export async function checkSameFile(modelPath: string, identity: string): Promise<void> {
  // a worker restarted after the file was replaced would run a model its users no longer describe
  if ((await fileIdentity(modelPath)) !== identity) {
    throw new YoloEdgeError(`model file ${modelPath} changed since it was loaded; redeploy (or restart the flows) to load the new file`, 'MODEL_CHANGED');
  }
}
