import { Backoff } from './backoff';
import { oversizeWarning } from './mjpeg-splitter';
import { FrameSource, SourceEvents, SupervisionOptions } from './source';
import { YoloEdgeError } from '../errors';

/** One run of a streaming source: a child process or an HTTP connection. */
export interface Connection {
  /** Ends the run and everything it started; resolves when it is gone. */
  close(): Promise<void>;
  /** What was seen so far, for the "no frame" message (bytes read, garbage). */
  progress(): string;
}

/**
 * Keeps a streaming source alive: opens a connection, restarts it with capped exponential backoff when it
 * ends or stalls, and reports each state with its reason. Subclasses only know how to open one run.
 */
export abstract class SupervisedSource implements FrameSource {
  readonly pullable = false;
  private conn?: Connection;
  /** A run that ended and is still being cleaned up. */
  private closing?: Promise<void>;
  /** What stop() is still waiting for: a start must not open a run while the last one may hold the device. */
  private stopping?: Promise<void>;
  private retryTimer?: NodeJS.Timeout;
  private watchdog?: NodeJS.Timeout;
  private active = false;
  /** Bumped on start/stop so callbacks of an older run cannot act on a newer one. */
  private generation = 0;
  private startedAt = 0;
  private lastFrameAt = 0;
  private frames = 0;
  private warnedOversize = false;
  private readonly backoff: Backoff;

  protected constructor(
    readonly name: string,
    protected readonly events: SourceEvents,
    protected readonly options: SupervisionOptions,
  ) {
    this.backoff = new Backoff(options.retryMinMs, options.retryMaxMs);
  }

  /** Opens one run, or returns why it cannot start now (missing device, command not found). */
  protected abstract connect(): Connection | string;

  start(): void {
    if (this.active) return;
    this.active = true;
    const gen = ++this.generation;
    this.backoff.reset();
    const stopping = this.stopping;
    if (!stopping) return this.open();
    // A camera only one process can open (libcamera, V4L2) is busy until the stopped run is gone.
    this.events.state({ kind: 'starting', message: 'starting' });
    // (a stop that failed to end its run still lets this one try: the retry path reports what goes wrong)
    void stopping.catch(() => undefined).then(() => {
      if (gen === this.generation) this.open();
    });
  }

  async stop(): Promise<void> {
    const wasActive = this.active;
    this.active = false;
    this.generation++;
    this.clearTimers();
    const conn = this.conn;
    this.conn = undefined;
    const prior = this.stopping;
    const stopping = (async () => {
      if (conn) await conn.close();
      if (this.closing) await this.closing;
      if (prior) await prior;
    })();
    this.stopping = stopping;
    await stopping;
    if (this.stopping === stopping) this.stopping = undefined;
    // A start that came meanwhile shows its own state.
    if (wasActive && !this.active) this.events.state({ kind: 'stopped', message: 'stopped' });
  }

  pull(): Promise<{ jpeg: Buffer }> {
    return Promise.reject(new YoloEdgeError(`${this.name} is a stream; it cannot be polled`, 'NOT_PULLABLE'));
  }

  /** Subclasses hand over each whole frame of the given run. */
  protected deliver(conn: Connection, jpeg: Buffer): void {
    if (conn !== this.conn) return;
    this.lastFrameAt = performance.now();
    if (this.frames++ === 0) this.events.state({ kind: 'running', message: 'running' });
    this.events.frame(jpeg);
  }

  /** Subclasses report each frame dropped for its size: the first one is warned about, naming the setting. */
  protected frameTooLarge(conn: Connection): void {
    if (conn !== this.conn || this.warnedOversize) return;
    this.warnedOversize = true;
    this.events.warn(oversizeWarning(this.options.maxFrameBytes));
  }

  /** Subclasses report the end of a run (process exit, connection closed) with its reason. */
  protected ended(conn: Connection, reason: string, detail?: string): void {
    if (conn !== this.conn) return;
    this.conn = undefined;
    this.clearTimers();
    // Ends whatever the run left behind (a process group's other members) before the next one starts.
    const gen = this.generation;
    const closing = conn.close().then(() => {
      if (this.closing === closing) this.closing = undefined;
      if (gen === this.generation) this.retry(reason, detail);
    });
    this.closing = closing;
  }

  private open(): void {
    this.retryTimer = undefined;
    let result: Connection | string;
    try {
      result = this.connect();
    } catch (err) {
      result = (err as Error).message;
    }
    if (typeof result === 'string') {
      this.startedAt = performance.now();
      this.frames = 0;
      this.retry(result);
      return;
    }
    this.conn = result;
    // the monotonic clock: the wall clock set forward would look like a stall, set back would hide one
    this.startedAt = this.lastFrameAt = performance.now();
    this.frames = 0;
    this.events.state({ kind: 'starting', message: 'starting' });
    const every = Math.max(50, Math.min(1000, this.options.stallMs / 4));
    this.watchdog = setInterval(() => this.checkStall(), every);
  }

  private checkStall(): void {
    const conn = this.conn;
    if (!conn || performance.now() - this.lastFrameAt < this.options.stallMs) return;
    const what = this.frames === 0 ? 'no JPEG frame' : 'no new JPEG frame';
    this.ended(conn, `${what} for ${(this.options.stallMs / 1000).toFixed(1)} s (${conn.progress()})`);
  }

  private retry(reason: string, detail?: string): void {
    if (!this.active) return;
    if (this.frames > 0 && performance.now() - this.startedAt >= this.options.stableMs) this.backoff.reset();
    const delay = this.backoff.next();
    this.events.state({ kind: 'retrying', message: `${reason}; retry in ${formatSeconds(delay)}` });
    this.events.warn(reason, detail);
    const gen = this.generation;
    this.retryTimer = setTimeout(() => {
      if (gen === this.generation) this.open();
    }, delay);
  }

  private clearTimers(): void {
    if (this.retryTimer) clearTimeout(this.retryTimer);
    if (this.watchdog) clearInterval(this.watchdog);
    this.retryTimer = this.watchdog = undefined;
  }
}

export function formatSeconds(ms: number): string {
  return ms < 10000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms / 1000)} s`;
}

/**
 * Wraps a stream's 'data' handler: a throw there is uncaught and would end Node-RED, so the first one ends the
 * run with a reason instead (the source shows it and retries), and later chunks of that run are ignored.
 */
export function parsingHandler<T>(parse: (chunk: T) => void, fail: (reason: string) => void): (chunk: T) => void {
  let failed = false;
  return (chunk) => {
    if (failed) return;
    try {
      parse(chunk);
    } catch (err) {
      failed = true;
      fail(`the stream could not be parsed: ${err instanceof Error ? err.message : String(err)}`);
    }
  };
}
