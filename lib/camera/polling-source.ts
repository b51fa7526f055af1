import { Backoff } from './backoff';
import { FrameSource, SourceEvents, SupervisionOptions } from './source';
import { formatSeconds } from './supervised-source';
import { MAX_WAITING_REQUESTS, tooManyWaiting } from './latest-frame';
import { YoloEdgeError } from '../errors';

/** A fetch gives a frame, 'wait' (nothing new yet: a watched folder) or 'end' (nothing more will come). */
export type PullResult = { jpeg: Buffer; origin?: string } | 'wait' | 'end';

/** What a request gets when the source stops before answering it (what: the source or folder). */
export function stoppedError(what: string): YoloEdgeError {
  return new YoloEdgeError(`${what}: the source stopped`, 'STOPPED');
}

/** What a polling source fetches from: a snapshot client, a folder reader. */
export interface Puller {
  /** One fetch; the signal aborts it when the source stops. */
  next(signal: AbortSignal): Promise<PullResult>;
  /** Ends what fetches keep open between calls (idle connections), on stop. */
  release?(): void;
  /** After 'end': the next fetch starts again from the first image. */
  rewind?(): void;
}

/**
 * Fetches one image at a time (snapshot URL, folder), at most once per period in continuous mode: frames
 * beyond the target rate are never fetched. Fetches never overlap; failures back off like a stream's.
 */
export class PollingSource implements FrameSource {
  readonly pullable = true;
  private active = false;
  private generation = 0;
  private timer?: NodeJS.Timeout;
  private wake?: () => void;
  private chain: Promise<unknown> = Promise.resolve();
  /** Requests (pull) queued or fetching: bounded like a stream's waiting requests. */
  private waiting = 0;
  private running = false;
  /** The last request (trigger mode) failed, so the status shows why until one succeeds. */
  private pullError = false;
  /** A fetch gave 'end': nothing more comes until rewind(). */
  private ended = false;
  /** Aborted on stop, so an in-flight fetch ends at once rather than at its deadline. */
  private abort = new AbortController();
  private readonly backoff: Backoff;

  constructor(
    readonly name: string,
    private readonly puller: Puller,
    private readonly periodMs: number,
    private readonly events: SourceEvents,
    options: SupervisionOptions,
  ) {
    this.backoff = new Backoff(options.retryMinMs, options.retryMaxMs);
  }

  start(): void {
    if (this.active) return;
    this.active = true;
    this.running = false;
    const gen = ++this.generation;
    this.events.state({ kind: 'starting', message: 'starting' });
    void this.loop(gen);
  }

  async stop(): Promise<void> {
    const wasActive = this.active;
    this.active = false;
    this.generation++;
    if (this.timer) clearTimeout(this.timer);
    this.wake?.();
    this.abort.abort();
    this.abort = new AbortController();
    await this.chain.catch(() => undefined);
    // A start while we waited has fetches of its own on what release() would end.
    if (!this.active) this.puller.release?.();
    // A start that came meanwhile shows its own state.
    if (wasActive && !this.active) this.events.state({ kind: 'stopped', message: 'stopped' });
  }

  /** A folder read to its end is read again from its first file, as after a redeploy; the status no longer says it ended. */
  rewind(): void {
    if (!this.ended) return;
    this.ended = false;
    this.puller.rewind?.();
    this.events.state({ kind: 'stopped', message: 'stopped' });
  }

  async pull(): Promise<{ jpeg: Buffer; origin?: string }> {
    if (this.waiting >= MAX_WAITING_REQUESTS) throw tooManyWaiting(MAX_WAITING_REQUESTS);
    this.waiting++;
    let r: PullResult;
    try {
      r = await this.serial();
    } catch (err) {
      this.pullFailed(err as Error);
      throw err;
    } finally {
      this.waiting--;
    }
    if (r === 'wait') throw new YoloEdgeError(`${this.name}: no new image yet`, 'NO_FRAME');
    if (r === 'end') {
      this.ended = true;
      // as in continuous mode: nothing more will come, which the status says rather than 'ready'
      this.events.state({ kind: 'ended', message: 'no more images' });
      throw new YoloEdgeError(`${this.name}: no more images`, 'NO_FRAME');
    }
    this.pullSucceeded();
    return r;
  }

  /** On request nothing else reports a failed fetch: without this the status stays 'ready' while every request fails. */
  private pullFailed(err: Error): void {
    if (err instanceof YoloEdgeError && err.code === 'STOPPED') return;
    this.pullError = true;
    this.events.state({ kind: 'failed', message: err.message });
  }

  private pullSucceeded(): void {
    if (!this.pullError) return;
    this.pullError = false;
    this.events.state({ kind: 'running', message: 'running' });
  }

  private serial(): Promise<PullResult> {
    const signal = this.abort.signal;
    const next = this.chain.catch(() => undefined).then(() => this.fetch(signal));
    this.chain = next;
    return next;
  }

  /** One fetch, unless stop() came while it was queued; what arrives after stop() is not handed out either. */
  private async fetch(signal: AbortSignal): Promise<PullResult> {
    if (signal.aborted) throw stoppedError(this.name);
    const r = await this.puller.next(signal);
    if (signal.aborted) throw stoppedError(this.name);
    return r;
  }

  private async loop(gen: number): Promise<void> {
    while (gen === this.generation) {
      // the monotonic clock: a wall clock set back would stretch the sleep below by as much
      const t0 = performance.now();
      let delay = this.periodMs;
      try {
        const r = await this.serial();
        if (gen !== this.generation) return;
        if (r === 'end') {
          this.active = false;
          this.ended = true;
          this.events.state({ kind: 'ended', message: 'no more images' });
          return;
        }
        if (r === 'wait') delay = Math.max(delay, 500);
        else this.deliver(r);
      } catch (err) {
        if (gen !== this.generation) return;
        this.running = false;
        delay = this.backoff.next();
        const reason = (err as Error).message;
        this.events.state({ kind: 'retrying', message: `${reason}; retry in ${formatSeconds(delay)}` });
        this.events.warn(reason);
      }
      await this.sleep(Math.max(0, t0 + delay - performance.now()));
    }
  }

  private deliver(r: { jpeg: Buffer; origin?: string }): void {
    this.backoff.reset();
    if (!this.running) {
      this.running = true;
      this.events.state({ kind: 'running', message: 'running' });
    }
    this.events.frame(r.jpeg, r.origin);
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      this.wake = resolve;
      this.timer = setTimeout(resolve, ms);
    });
  }
}
