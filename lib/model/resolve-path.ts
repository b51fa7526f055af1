import { existsSync } from 'fs';
import * as path from 'path';
import { DEFAULT_MODEL, MODELS_DIR } from './default-model';

/**
 * A model path as a user writes it: absolute as is; relative against the package's models/ first,
 * then the given base folders (the Node-RED user dir). Empty means the default model.
 */
export function resolveModelPath(p: string | undefined, bases: string[] = []): string {
  const name = p && p.trim() ? p.trim() : DEFAULT_MODEL.file;
  if (path.isAbsolute(name)) return name;
  for (const base of [MODELS_DIR, ...bases]) {
    const candidate = path.resolve(base, name);
    if (existsSync(candidate)) return candidate;
  }
  return path.resolve(MODELS_DIR, name);
}
