import { Dirent, promises as fs, Stats } from 'fs';
import * as path from 'path';
import { Worker } from 'worker_threads';
import type { TensorElement } from '../image/tensor-layout';

/** A folder the model picker lists; `prefix` turns a file name into the value the yolo-model node resolves. */
export interface ModelFolder {
  source: 'package' | 'user';
  dir: string;
  prefix: string;
}

export interface ModelSummary {
  source: ModelFolder['source'];
  file: string;
  /** What to put in the yolo-model node's `model` property. */
  value: string;
  size: number;
  info?: ModelSummaryInfo;
  /** Why the file could not be read as a detector. */
  error?: string;
}

export interface ModelSummaryInfo {
  /** The first PICKER_NAMES class names (numClasses says how many there are), each cut to PICKER_TEXT_MAX. */
  names: string[];
  numClasses: number;
  inputWidth: number;
  inputHeight: number;
  inputType: TensorElement;
  precision: 'fp32' | 'fp16' | 'int8';
  layout: string;
  /** Layout and class count are read when the model loads: its declared output shape does not tell them. */
  layoutFromRun: boolean;
  task?: string;
  version?: string;
  date?: string;
  description?: string;
}

/**
 * How much of a model's names and metadata texts a summary carries: what the picker shows. They went whole into each
 * listing, and a file's metadata may hold 10000 names of any length (100 such files made a 160 MB answer).
 */
export const PICKER_NAMES = 12;
export const PICKER_TEXT_MAX = 60;

/** What the describe worker answers. */
export type DescribeReply = { info: ModelSummaryInfo } | { error: string };

const WORKER_FILE = path.join(__dirname, 'describe-worker.js');
/**
 * The describe worker's heap: far above what the skeleton's bound lets a file cost (MAX_SKELETON_BYTES), a backstop
 * only, since V8 may end the whole process rather than the worker when a worker's heap is full.
 */
const WORKER_HEAP_MB = 512;
const DESCRIBE_TIMEOUT_MS = 20_000;

/**
 * The last describe queued: describes run one at a time in the whole process, in the one worker kept (so each
 * answer is the file's it was sent). A worker may take WORKER_HEAP_MB; when each request had its own, 150
 * concurrent requests for different files ran 130 workers at once and took Node-RED from 160 to 930 MB of RSS.
 */
let lastDescribe: Promise<unknown> = Promise.resolve();

/** Describes a model file once the describes queued before it have ended. */
function describeInTurn(file: string): Promise<DescribeReply> {
  const turn = lastDescribe.then(() => describeInWorker(file));
  // a turn that failed (no worker thread could be started) fails its own request only, not every describe after it
  lastDescribe = turn.catch(() => undefined);
  return turn;
}

/**
 * How long an idle describe worker is kept for the next describe: starting one costs about 45 ms, five times the
 * describe of a COCO model, and a listing describes its new files one after another (a worker each took 2000 files
 * 100 s).
 */
const WORKER_IDLE_MS = 10_000;

/** The describe worker kept between describes (they run one at a time, describeInTurn); undefined when none runs. */
let kept: Worker | undefined;
let idleTimer: NodeJS.Timeout | undefined;

function startWorker(): Worker {
  const worker = new Worker(WORKER_FILE, { resourceLimits: { maxOldGenerationSizeMb: WORKER_HEAP_MB, maxYoungGenerationSizeMb: 16 } });
  worker.unref(); // an idle one never holds Node-RED's exit
  worker.on('error', () => undefined); // told by the describe in progress; none is expected while idle
  worker.once('exit', () => {
    if (kept === worker) kept = undefined;
  });
  return worker;
}

/** Ends a worker; the next describe starts a new one. */
function retire(worker: Worker): void {
  if (kept === worker) kept = undefined;
  void worker.terminate();
}

/**
 * Describes a model file in a worker thread of bounded heap and time; its failures come back as the error text. A
 * worker that ran out of heap or time is ended; one that answered is kept for WORKER_IDLE_MS.
 */
function describeInWorker(file: string): Promise<DescribeReply> {
  clearTimeout(idleTimer);
  const worker = (kept ??= startWorker());
  return new Promise((resolve) => {
    let failure: string | undefined;
    const timer = setTimeout(() => {
      failure ??= `describing the model took over ${DESCRIBE_TIMEOUT_MS / 1000} s; too large to describe without its weights`;
      retire(worker);
    }, DESCRIBE_TIMEOUT_MS);
    const onError = (err: Error & { code?: string }): void => {
      failure ??= err.code === 'ERR_WORKER_OUT_OF_MEMORY' ? `the model is too large to describe without its weights (over ${WORKER_HEAP_MB} MB)` : err.message;
    };
    const settle = (reply: DescribeReply): void => {
      clearTimeout(timer);
      worker.off('message', settle).off('error', onError).off('exit', onExit);
      if (kept === worker) idleTimer = setTimeout(() => retire(worker), WORKER_IDLE_MS).unref();
      resolve(reply);
    };
    const onExit = (): void => settle({ error: failure ?? 'the model could not be described' });
    worker.on('message', settle).on('error', onError).once('exit', onExit);
    worker.postMessage(file);
  });
}

const BARE_ONNX = /^[^/\\\0-\x1f\x7f]+\.onnx$/i;

/**
 * Only a bare .onnx file name that does not start with a dot; never a path, nor a name with a control character: a
 * model setting holding one is refused at deploy (checkPath), and picking 'a\nb.onnx' made a node that did not deploy.
 */
export function isBareModelName(file: string): boolean {
  return BARE_ONNX.test(file) && !file.startsWith('.');
}

/**
 * The most files a listing describes per folder, the first by name: each file not yet described costs a describe,
 * one at a time in the whole process, so a folder of 100000 files held every listing (and the picker of each
 * editor) for about 20 s and answered 25 MB. A file past it is still found by name (find).
 */
export const MAX_LISTED = 1000;

/** A listing: the models, and per folder source the files left out past MAX_LISTED. */
export interface ModelListing {
  models: ModelSummary[];
  unlisted: Partial<Record<ModelFolder['source'], number>>;
}

async function onnxFiles(dir: string): Promise<string[]> {
  let entries: Dirent[];
  try {
    entries = await fs.readdir(dir, { withFileTypes: true });
  } catch {
    return [];
  }
  return entries
    .filter((e) => (e.isFile() || e.isSymbolicLink()) && isBareModelName(e.name))
    .map((e) => e.name)
    .sort((a, b) => a.localeCompare(b));
}

/**
 * The cache's bound, in bytes of the descriptions' JSON: a description of 80 classes is about 1.1 KB, so thousands
 * of models fit; a bound by count (64 before) made every listing of a larger folder describe each file again, one
 * worker each (200 files: 10 s every time the dialog opened).
 */
export const MAX_CACHED_BYTES = 16 * 2 ** 20;

/**
 * Lists and describes the .onnx files of a few folders, reading each without its weights (a symlink counts when
 * it leads to a regular file). Descriptions are cached by path, size and mtime, and the cache is bounded.
 */
export class ModelCatalog {
  /** By path; `version` (size and mtime) tells whether the file is still the one described. */
  private readonly cache = new Map<string, { version: string; summary: ModelSummary; bytes: number }>();
  private cachedBytes = 0;
  private readonly describing = new Map<string, Promise<DescribeReply>>();

  constructor(private readonly maxCachedBytes = MAX_CACHED_BYTES) {}

  async list(folders: readonly ModelFolder[], max = MAX_LISTED): Promise<ModelListing> {
    const listing: ModelListing = { models: [], unlisted: {} };
    for (const folder of folders) {
      const files = await onnxFiles(folder.dir);
      if (files.length > max) listing.unlisted[folder.source] = files.length - max;
      // One file at a time: bounded memory on a Pi even with several large models.
      for (const file of files.slice(0, max)) {
        const s = await this.describe(folder, file);
        if (s) listing.models.push(s);
      }
    }
    return listing;
  }

  /**
   * One model by source and bare file name; undefined unless that file is one a listing takes in that folder (a
   * regular file or a symlink, by its own name). Looked up alone: listing a folder of 100000 files for it took 0.2 s.
   */
  async find(folders: readonly ModelFolder[], source: string, file: string): Promise<ModelSummary | undefined> {
    if (!isBareModelName(file)) return undefined;
    const folder = folders.find((f) => f.source === source);
    if (!folder) return undefined;
    const entry = await fs.lstat(path.join(folder.dir, file)).catch(() => undefined);
    if (!entry || !(entry.isFile() || entry.isSymbolicLink())) return undefined;
    return this.describe(folder, file);
  }

  private async describe(folder: ModelFolder, file: string): Promise<ModelSummary | undefined> {
    const full = path.join(folder.dir, file);
    let stat: Stats;
    try {
      stat = await fs.stat(full);
    } catch {
      return undefined; // dangling symlink or removed meanwhile
    }
    if (!stat.isFile()) return undefined;
    const version = `${stat.size}\0${stat.mtimeMs}`;
    const key = `${full}\0${version}`;
    const hit = this.cache.get(full);
    if (hit?.version === version) return hit.summary;
    const summary: ModelSummary = { source: folder.source, file, value: folder.prefix + file, size: stat.size };
    // concurrent requests for an undescribed file share one worker
    let pending = this.describing.get(key);
    if (!pending) {
      pending = describeInTurn(full).finally(() => this.describing.delete(key));
      this.describing.set(key, pending);
    }
    const reply = await pending;
    if ('info' in reply) summary.info = reply.info;
    else summary.error = reply.error.replace(folder.dir + path.sep, '');
    this.remember(full, version, summary);
    return summary;
  }

  /** Caches a description in place of the file's earlier one, dropping the oldest while over the bound. */
  private remember(full: string, version: string, summary: ModelSummary): void {
    const earlier = this.cache.get(full);
    if (earlier?.version === version) return; // a concurrent request for the same file got here first
    if (earlier) {
      this.cache.delete(full);
      this.cachedBytes -= earlier.bytes;
    }
    const bytes = JSON.stringify(summary).length;
    this.cache.set(full, { version, summary, bytes });
    this.cachedBytes += bytes;
    for (const [k, e] of this.cache) {
      if (this.cachedBytes <= this.maxCachedBytes) break;
      this.cache.delete(k);
      this.cachedBytes -= e.bytes;
    }
  }
}
