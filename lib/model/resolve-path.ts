import { existsSync } from 'fs';
import * as path from 'path';
import { DEFAULT_MODEL, findDefaultModel, MODELS_DIR } from './default-model';

/**
 * A model path as a user writes it: absolute as is; relative against the package's models/ first,
 * then the given base folders (the Node-RED user dir). Empty means the default model. A file found nowhere is
 * named in the last base folder (where a user's own files go), so that the error says where to put it.
 */
export function resolveModelPath(p: string | undefined, bases: string[] = []): string {
  const name = p && p.trim() ? p.trim() : DEFAULT_MODEL.file;
  if (path.isAbsolute(name)) return name;
  const folders = [MODELS_DIR, ...bases];
  for (const base of folders) {
    const candidate = path.resolve(base, name);
    if (existsSync(candidate)) return candidate;
  }
  return path.resolve(folders[folders.length - 1], name);
}

/** `./x`, `../x` (either separator): the user points at a place, never at the package's models/. */
function isExplicitPath(name: string): boolean {
  return path.isAbsolute(name) || /^\.\.?([\\/]|$)/.test(name);
}

/**
 * A model path as typed on the command line: the user's own file wins. A path that names an existing file
 * relative to the working directory, or one that starts with ./ or ../ or is absolute, is used as given; the
 * package's models/ is only a fallback for a name not found in the working directory (`--model yolov8n.onnx`
 * from anywhere). Empty means the default model, looked up as the node does.
 */
export function resolveCliModelPath(p: string | undefined, cwd: string = process.cwd()): string {
  const name = p?.trim();
  if (!name) return resolveModelPath(undefined, [cwd]);
  const given = path.resolve(cwd, name);
  if (isExplicitPath(name) || existsSync(given)) return given;
  const packaged = path.resolve(MODELS_DIR, name);
  if (existsSync(packaged)) return packaged;
  // the default model where a yolo-model node fetches it: run from the Node-RED user dir, its models/
  return (name === DEFAULT_MODEL.file ? findDefaultModel(cwd) : undefined) ?? given;
}
