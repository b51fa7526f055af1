// The frame-taking part both detecting nodes share: control messages, rate gate, busy queue, stats, status.
import type { Node, NodeMessage, NodeStatus } from 'node-red';
import type { Detector } from '../../lib/detector';
import { BusyFields, BusyQueue, parseBusyConfig, waitingBytesLimit } from '../../lib/pipeline/busy-queue';
import { RateGate } from '../../lib/pipeline/rate-gate';
import type { HostState } from '../../lib/runtime/inference-host';
import { YoloEdgeError } from '../../lib/errors';
import { RateMeter } from '../../lib/rate-meter';
import type { FrameCounters } from './detect-message';
import { FrameJob, takeFrame } from './frame-intake';
import { briefReason, errorStatus } from './refuse-input';

const STATUS_EVERY_MS = 250;
/** How long close() waits for frames in progress (Node-RED gives a node 15 s); later ones end with CLOSED. */
const CLOSE_WAIT_MS = 5_000;
/** Frames in progress at once: the detector decodes one while the session runs the one before. */
const IN_PROGRESS = 2;
/** Frames sent within this long make the status's rate: a rate across an idle gap would read as a slow one. */
const RATE_WINDOW_MS = 10_000;

/** What a processed frame sends, and the figures for the status. */
export interface FrameOutput {
  /** The fields the frame's msg gets (payload: the detections...): written onto it only once it has been sent. */
  results: Record<string, unknown>;
  /** The node's outputs for the msg with its results (a shadow test's production output is the first of two). */
  send: (msg: NodeMessage) => NodeMessage | Array<NodeMessage | null>;
  ms: number;
  objects: number;
  /**
   * The counters the msg carries (countersWithThis() when the frame was processed), brought up to date as it is sent:
   * a later frame may finish first (a shadow test's frames on either side of a promote run on two models at once).
   */
  counters?: FrameCounters;
}

export interface FrameStats {
  lastMs: number;
  objects: number;
  processed: number;
  failed: number;
}

/**
 * Runs each admitted frame through `process`, sends what it returns and ends it with done() or done(err), in
 * arrival order although two frames are in progress at once; keeps the counters and a throttled status.
 * `describe` gives the node's own green status text.
 */
export class FrameRuntime {
  readonly gate = new RateGate();
  readonly stats: FrameStats = { lastMs: 0, objects: 0, processed: 0, failed: 0 };
  readonly queue: BusyQueue<FrameJob>;
  private statusAt = 0;
  /** A status skipped by the throttle, shown at the end of its window: the last figures are never lost. */
  private trailing?: NodeJS.Timeout;
  private closeStarted = false;
  /** Past close()'s wait: frames that finish now are not sent and the status is no longer written. */
  private pastClose = false;
  private readonly meter = new RateMeter(RATE_WINDOW_MS);
  private worker?: string;
  /**
   * A state that stays until a frame is sent: the model loading or not loaded, settings refused, the last frame's
   * error. Control messages and dropped frames refresh the status too; they must not paint it green meanwhile.
   */
  private held?: NodeStatus;
  private readonly unwatch: Array<() => void> = [];
  private readonly watched = new WeakSet<Detector>();
  /** Settles when the frame before the newest has been sent (or failed): frames leave in arrival order. */
  private previous: Promise<void> = Promise.resolve();

  constructor(
    private readonly node: Node,
    busy: BusyFields,
    private readonly process: (job: FrameJob) => Promise<FrameOutput>,
    private readonly describe: () => NodeStatus,
  ) {
    const { policy, capacity } = parseBusyConfig(busy);
    this.queue = new BusyQueue<FrameJob>((job) => this.run(job), policy, capacity, IN_PROGRESS, waitingBytesLimit());
  }

  /** close() has been called: a model that finishes loading now is not watched or shown. */
  get closing(): boolean {
    return this.closeStarted;
  }

  /** close() has stopped waiting: the node is gone for Node-RED, and what it sent now would reach the next flow. */
  get closed(): boolean {
    return this.pastClose;
  }

  input(job: FrameJob): void {
    takeFrame(job, this.gate, this.queue, { status: (force) => this.status(force), refused: (err) => this.showError(err) });
  }

  /** The counters a frame's msg carries: this frame counts as processed (it is, once sent). */
  countersWithThis(): FrameCounters {
    const { processed, failed } = this.stats;
    return { ...this.queue.counters, processed: processed + 1, failed, droppedByRate: this.gate.droppedByRate, droppedByPause: this.gate.droppedByPause };
  }

  /** Frames sent per second lately; undefined until a few frames came within the window. */
  get fps(): number | undefined {
    return this.meter.rate(performance.now());
  }

  /**
   * Shows worker restarts of a detector's session in the status until it is back. Called for each frame's
   * detector too: a model that failed to load at deploy loads at a later frame, as a new detector. `whose` names the
   * model when the node has two (a shadow test's production or candidate; asked at each change, as a promote swaps them).
   */
  watch(detector: Detector, whose: () => string = () => 'model'): void {
    if (this.closing || this.watched.has(detector)) return;
    this.watched.add(detector);
    this.unwatch.push(detector.onState((s: HostState) => {
      this.worker = s.state === 'restarting' ? `${whose()} worker restarting in ${(s.inMs / 1000).toFixed(1)} s (${briefReason(s.reason)})`
        : s.state === 'failed' ? `${whose()} worker did not restart: ${briefReason(s.reason)}` : undefined;
      this.status(true);
    }));
  }

  /**
   * Shows the node's own state (model loading, ready, failed, settings refused). `hold` keeps it, as an error is
   * kept, until a frame is sent; else it stays only until the next status.
   */
  showState(s: NodeStatus, hold: boolean): void {
    if (this.pastClose) return;
    this.held = hold ? s : undefined;
    this.stopTrailing();
    this.node.status(s);
    this.statusAt = Date.now();
  }

  /** Drops the held state: the model it was about no longer serves (a shadow test's promote or rollback). */
  release(): void {
    this.held = undefined;
  }

  status(force = false): void {
    if (this.pastClose) return;
    const now = Date.now();
    const wait = STATUS_EVERY_MS - (now - this.statusAt);
    if (!force && wait > 0) {
      this.trailing ??= setTimeout(() => this.status(true), wait);
      return;
    }
    this.stopTrailing();
    this.statusAt = now;
    if (this.worker) {
      this.node.status({ fill: 'yellow', shape: 'ring', text: this.worker });
      return;
    }
    const c = this.queue.counters;
    const dropped = c.dropped + c.rejected + this.gate.droppedByRate + this.gate.droppedByPause;
    const tail = dropped ? ` · ${dropped} dropped` : '';
    if (this.gate.paused) {
      this.node.status({ fill: 'yellow', shape: 'ring', text: `paused by ${this.gate.pausedBy.join(', ')}${tail}` });
      return;
    }
    if (this.held) {
      this.node.status({ ...this.held, text: `${this.held.text ?? ''}${tail}` });
      return;
    }
    const s = this.describe();
    this.node.status({ ...s, text: `${s.text ?? ''}${tail}` });
  }

  /**
   * Waits for the frames in progress, then for `after` (the node's own work they started: a shadow test's comparison),
   * at most CLOSE_WAIT_MS in all: either may wait out a worker's restart backoff, up to 30 s, past Node-RED's 15 s.
   */
  async close(after: () => Promise<void> = async () => undefined): Promise<void> {
    this.closeStarted = true;
    for (const u of this.unwatch.splice(0)) u();
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<void>((resolve) => { timer = setTimeout(resolve, CLOSE_WAIT_MS); });
    await Promise.race([this.queue.drain().then(after), late]);
    clearTimeout(timer);
    this.pastClose = true;
    this.stopTrailing();
  }

  /** A red status that stays until the next good frame. */
  private showError(err: Error): void {
    this.showState(errorStatus(err), true);
  }

  private stopTrailing(): void {
    clearTimeout(this.trailing);
    this.trailing = undefined;
  }

  private async run(job: FrameJob): Promise<void> {
    const before = this.previous;
    let finished!: () => void;
    this.previous = new Promise<void>((resolve) => { finished = resolve; });
    try {
      const r = await this.process(job);
      await before;
      if (this.pastClose) throw new YoloEdgeError('the node closed before this frame finished', 'CLOSED');
      if (r.counters) Object.assign(r.counters, this.countersWithThis());
      this.meter.tick(performance.now());
      Object.assign(this.stats, { lastMs: r.ms, objects: r.objects });
      // A copy goes out: a failure up to here, even in send, leaves the msg Catch nodes get as the flow sent it.
      job.send(r.send({ ...job.msg, ...r.results }));
      // Complete nodes get the frame as it was sent; a msg that takes no writes (frozen) was sent all the same.
      for (const [key, value] of Object.entries(r.results)) Reflect.set(job.msg, key, value);
      this.stats.processed++;
      job.done();
      const wasHeld = this.held !== undefined;
      this.held = undefined;
      this.status(wasHeld);
    } catch (err) {
      await before;
      this.stats.failed++;
      this.showError(err as Error);
      job.done(err as Error);
    } finally {
      finished();
    }
  }
}
