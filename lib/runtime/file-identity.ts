import { promises as fs } from 'fs';
import { YoloEdgeError } from '../errors';
import { sha256File } from '../model/sha256';

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

/** Hashes of files whose identity changed, by identity and path: a refused restart is checked again at every frame. */
const hashed = new Map<string, Promise<string | undefined>>();
const HASHED_MAX = 16;

function contentHash(modelPath: string, identity: string): Promise<string | undefined> {
  const key = `${identity}|${modelPath}`;
  let h = hashed.get(key);
  if (!h) {
    h = sha256File(modelPath).catch(() => undefined);
    hashed.set(key, h);
    if (hashed.size > HASHED_MAX) hashed.delete(hashed.keys().next().value as string);
  }
  return h;
}

const sizeOf = (identity: string): string => identity.split(':')[0];

/**
 * Throws MODEL_CHANGED (or MODEL_NOT_FOUND) unless the file is still the one its users described. With `sha256`
 * (of the bytes they described), a file with a new time but the same bytes (copied again, deleted and put back,
 * touched) is still that one. `during` 'load': the file changed while it was read for loading, which a later try
 * loads as it is then (a node tries again at the next frame), so no redeploy is asked for.
 */
export async function checkSameFile(modelPath: string, identity: string, sha256?: string, during: 'load' | 'use' = 'use'): Promise<void> {
  const now = await fileIdentity(modelPath);
  if (now === identity) return;
  if (sha256 && sizeOf(now) === sizeOf(identity) && (await contentHash(modelPath, now)) === sha256) return;
  if (during === 'load') throw new YoloEdgeError(`model file ${modelPath} changed while it was being loaded (still being copied?); it is loaded again as it is at the next try`, 'MODEL_CHANGED');
  // a worker restarted after the file was replaced would run a model its users no longer describe
  throw new YoloEdgeError(`model file ${modelPath} changed since it was loaded; redeploy (or restart the flows) to load the new file`, 'MODEL_CHANGED');
}
