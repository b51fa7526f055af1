import * as path from 'path';
import { Worker } from 'worker_threads';
import { isErrorCode, YoloEdgeError } from '../errors';
import { endWorker } from './end-worker';
import { checkSameFile } from './file-identity';
import { Warn } from './session-factory';
import { FrameMessage, OutputSpec, RunPostprocess, RunResult, SessionConfig, WorkerReply } from './worker-protocol';

export type RunReply = Omit<RunResult, 'id'>;

/** 'failed': a restart did not load the model; the next run tries again, and 'ready' follows once one does. */
export type HostState = { state: 'ready' } | { state: 'restarting'; reason: string; inMs: number } | { state: 'failed'; reason: string };

interface Pending {
  resolve(r: RunReply): void;
  reject(err: Error): void;
}

const WORKER_FILE = path.join(__dirname, 'inference-worker.js');
const FIRST_BACKOFF_MS = 250;
const MAX_BACKOFF_MS = 30_000;
// terminate() while onnxruntime is inside a run aborts the whole process, so the worker gets time to finish it
const CLOSE_GRACE_MS = 10_000;

/**
 * One onnxruntime session in its own worker thread. Runs are answered in the order they were sent. A worker that
 * dies fails the runs in flight and is started again after a backoff that doubles with each crash in a row
 * (capped); a run waits for the restart.
 */
export class InferenceHost {
  providers: string[] = [];
  private worker?: Worker;
  private ready?: Promise<void>;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private crashesInARow = 0;
  /** A restart was announced and no 'ready' has followed yet. */
  private recovering = false;
  private restartTimer?: NodeJS.Timeout;
  private wakeRestart?: () => void;
  private closed = false;
  private readonly listeners = new Set<(s: HostState) => void>();

  constructor(readonly config: SessionConfig, private readonly warn: Warn) {}

  /** Starts the worker and loads the model; rejects with the load error. */
  start(): Promise<void> {
    if (this.closed) return Promise.reject(new YoloEdgeError('model session is closed', 'CLOSED'));
    if (!this.ready) {
      this.ready = this.spawnAndAnnounce();
      this.ready.catch(() => { this.ready = undefined; });
    }
    return this.ready;
  }

  /** Runs one frame; `post` asks for its boxes (decode and NMS in the worker). */
  async run(input: FrameMessage, output: OutputSpec, post?: RunPostprocess): Promise<RunReply> {
    await this.start();
    const worker = this.worker;
    if (!worker) throw new YoloEdgeError(`model worker for ${path.basename(this.config.modelPath)} stopped; it is being restarted`, 'WORKER_DIED');
    const id = this.nextId++;
    return new Promise<RunReply>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      worker.postMessage({ type: 'run', id, input, output, post });
    });
  }

  onState(listener: (s: HostState) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Ends the worker: the session is released in the worker, which is terminated if it does not exit in time. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.restartTimer);
    this.wakeRestart?.(); // a run waiting for the restart fails now instead of waiting for ever
    const w = this.worker;
    this.worker = undefined;
    this.failPending(new YoloEdgeError('model session closed', 'CLOSED'));
    if (!w) return;
    await endWorker(w, CLOSE_GRACE_MS);
  }

  /** The worker's thread id (tests kill it to check recovery). */
  get threadId(): number | undefined {
    return this.worker?.threadId;
  }

  /**
   * Makes the worker die of an uncaught error once it has finished its current run (tests and drills). A
   * terminate() in the middle of a run cannot be survived: onnxruntime-node then aborts the whole process.
   */
  simulateCrash(): void {
    this.worker?.postMessage({ type: 'crash' });
  }

  /** Starts a worker; the first that loads after a crash announces 'ready', whichever path started it. */
  private async spawnAndAnnounce(): Promise<void> {
    // A file replaced or deleted is refused here, before a worker (and onnxruntime in it) is started only to
    // refuse it: after a refused restart every frame tries again, and a worker each cost 45 ms of CPU.
    if (this.recovering) await checkSameFile(this.config.modelPath, this.config.identity, this.config.sha256);
    if (this.closed) throw new YoloEdgeError('model session is closed', 'CLOSED');
    await this.spawn();
    if (this.recovering) {
      this.recovering = false;
      this.emit({ state: 'ready' });
    }
  }

  private spawn(): Promise<void> {
    const worker = new Worker(WORKER_FILE, { workerData: this.config });
    this.worker = worker;
    return new Promise<void>((resolve, reject) => {
      let loaded = false;
      worker.on('message', (m: WorkerReply) => {
        if (m.type === 'loaded') {
          loaded = true;
          this.providers = m.providers;
          resolve();
        } else if (m.type === 'load-failed') {
          reject(new YoloEdgeError(m.message, isErrorCode(m.code) ? m.code : 'MODEL_LOAD_FAILED'));
          if (this.worker === worker) this.worker = undefined; // no session in it: nothing for close() to end
          void worker.terminate();
        } else if (m.type === 'warn') {
          this.warn(m.message);
        } else {
          this.answer(m);
        }
      });
      worker.on('error', (err) => {
        if (!loaded) reject(new YoloEdgeError(`model worker failed while loading ${this.config.modelPath}: ${err.message}`, 'WORKER_DIED'));
        this.died(worker, err.message);
      });
      worker.on('exit', (code) => {
        if (!loaded && this.worker === worker) this.worker = undefined;
        if (!loaded) reject(new YoloEdgeError(`model worker exited (code ${code}) while loading ${this.config.modelPath}`, 'WORKER_DIED'));
        else this.died(worker, `exited with code ${code}`);
      });
    });
  }

  private answer(m: Extract<WorkerReply, { type: 'ran' | 'run-failed' }>): void {
    const p = this.pending.get(m.id);
    if (!p) return;
    this.pending.delete(m.id);
    if (m.type === 'ran') {
      this.crashesInARow = 0;
      const { type: _type, id: _id, ...reply } = m;
      p.resolve(reply);
    } else {
      const code = isErrorCode(m.code) ? m.code : 'INFERENCE_FAILED';
      p.reject(new YoloEdgeError(code === 'INFERENCE_FAILED' ? `inference failed: ${m.message}` : m.message, code));
    }
  }

  private died(worker: Worker, reason: string): void {
    if (this.worker !== worker || this.closed) return;
    this.worker = undefined;
    this.ready = undefined;
    const name = path.basename(this.config.modelPath);
    this.failPending(new YoloEdgeError(`model worker for ${name} stopped (${reason}); it is being restarted`, 'WORKER_DIED'));
    const inMs = Math.min(MAX_BACKOFF_MS, FIRST_BACKOFF_MS * 2 ** this.crashesInARow);
    this.crashesInARow++;
    this.recovering = true;
    this.emit({ state: 'restarting', reason, inMs });
    // runs that come meanwhile wait for this promise, so the backoff holds for them too
    const restart = new Promise<void>((resolve) => {
      this.wakeRestart = resolve;
      this.restartTimer = setTimeout(resolve, inMs);
    }).then(() => {
      if (this.closed) throw new YoloEdgeError('model session is closed', 'CLOSED');
      return this.spawnAndAnnounce();
    });
    this.ready = restart;
    restart.catch((err: Error) => {
      if (this.ready === restart) this.ready = undefined;
      if (this.closed) return;
      this.warn(`model worker for ${name} did not restart: ${err.message}`);
      this.emit({ state: 'failed', reason: err.message });
    });
  }

  private failPending(err: Error): void {
    const all = [...this.pending.values()];
    this.pending.clear();
    for (const p of all) p.reject(err);
  }

  private emit(s: HostState): void {
    for (const l of this.listeners) l(s);
  }
}
