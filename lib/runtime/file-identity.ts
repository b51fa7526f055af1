import { promises as fs } from 'fs';
import { YoloEdgeError } from '../errors';

/** A model file's identity beside its path (size and modification time): a file replaced in place differs. */
export async function fileIdentity(modelPath: string): Promise<string> {
  try {
    const st = await fs.stat(modelPath);
    return `${st.size}:${st.mtimeMs}`;
  } catch {
    throw new YoloEdgeError(`model file not found: ${modelPath}`, 'MODEL_NOT_FOUND');
  }
}
