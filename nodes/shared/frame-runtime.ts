// The frame-taking part both detecting nodes share: control messages, rate gate, busy queue, stats, status.
import type { Node, NodeMessage, NodeStatus } from 'node-red';
import type { Detector } from '../../lib/detector';
import { BusyFields, BusyQueue, parseBusyConfig } from '../../lib/pipeline/busy-queue';
import { RateGate } from '../../lib/pipeline/rate-gate';
import type { HostState } from '../../lib/runtime/inference-host';
import type { FrameCounters } from './detect-message';
import { FrameJob, takeFrame } from './frame-intake';

const STATUS_EVERY_MS = 250;
/** Frames in progress at once: the detector decodes one while the session runs the one before. */
const IN_PROGRESS = 2;

/** What a processed frame sends, and the figures for the status. */
export interface FrameOutput {
  send: NodeMessage | Array<NodeMessage | null>;
  ms: number;
  objects: number;
}

/** A node whose settings are wrong: red status, one log line, and every msg fails with the same error. */
export function refuseFrames(node: Node, err: Error): void {
  node.status({ fill: 'red', shape: 'ring', text: err.message.slice(0, 60) });
  node.error(`configuration: ${err.message}`);
  node.on('input', (_msg: unknown, _send: unknown, done: (e?: Error) => void) => done(err));
}

export interface FrameStats {
  fps: number;
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
  readonly stats: FrameStats = { fps: 0, lastMs: 0, objects: 0, processed: 0, failed: 0 };
  readonly queue: BusyQueue<FrameJob>;
  private statusAt = 0;
  private lastAt = 0;
  private worker?: string;
  /** The status shows an error: the next good frame replaces it at once, not after the throttle. */
  private statusIsError = false;
  private readonly unwatch: Array<() => void> = [];
  /** Settles when the frame before the newest has been sent (or failed): frames leave in arrival order. */
  private previous: Promise<void> = Promise.resolve();

  constructor(
    private readonly node: Node,
    busy: BusyFields,
    private readonly process: (job: FrameJob) => Promise<FrameOutput>,
    private readonly describe: () => NodeStatus,
  ) {
    const { policy, capacity } = parseBusyConfig(busy);
    this.queue = new BusyQueue<FrameJob>((job) => this.run(job), policy, capacity, IN_PROGRESS);
  }

  input(job: FrameJob): void {
    takeFrame(job, this.gate, this.queue, (force) => this.status(force));
  }

  /** Counts a frame the model has answered (before its msg is written, so the msg's counters include it). */
  countProcessed(): void {
    this.stats.processed++;
  }

  counters(): FrameCounters {
    const { processed, failed } = this.stats;
    return { ...this.queue.counters, processed, failed, droppedByRate: this.gate.droppedByRate, droppedByPause: this.gate.droppedByPause };
  }

  /** Shows worker restarts of a detector's session in the status until it is back. */
  watch(detector: Detector): void {
    this.unwatch.push(detector.onState((s: HostState) => {
      this.worker = s.state === 'restarting' ? `model worker restarting in ${(s.inMs / 1000).toFixed(1)} s (${s.reason})` : undefined;
      this.status(true);
    }));
  }

  status(force = false): void {
    const now = Date.now();
    if (!force && now - this.statusAt < STATUS_EVERY_MS) return;
    this.statusAt = now;
    if (this.worker) {
      this.node.status({ fill: 'yellow', shape: 'ring', text: this.worker });
      return;
    }
    const c = this.queue.counters;
    const dropped = c.dropped + c.rejected + this.gate.droppedByRate + this.gate.droppedByPause;
    const tail = dropped ? ` · ${dropped} dropped` : '';
    if (this.gate.paused) {
      this.node.status({ fill: 'yellow', shape: 'ring', text: `paused${tail}` });
      return;
    }
    const s = this.describe();
    this.node.status({ ...s, text: `${s.text ?? ''}${tail}` });
  }

  close(): Promise<void> {
    for (const u of this.unwatch.splice(0)) u();
    return this.queue.drain();
  }

  private async run(job: FrameJob): Promise<void> {
    const before = this.previous;
    let finished!: () => void;
    this.previous = new Promise<void>((resolve) => { finished = resolve; });
    try {
      const r = await this.process(job);
      await before;
      const now = performance.now();
      if (this.lastAt) this.stats.fps = this.stats.fps ? 0.8 * this.stats.fps + 0.2 * (1000 / (now - this.lastAt)) : 1000 / (now - this.lastAt);
      this.lastAt = now;
      Object.assign(this.stats, { lastMs: r.ms, objects: r.objects });
      job.send(r.send);
      job.done();
      this.status(this.statusIsError);
      this.statusIsError = false;
    } catch (err) {
      await before;
      this.stats.failed++;
      this.node.status({ fill: 'red', shape: 'ring', text: (err as Error).message.slice(0, 60) });
      this.statusAt = Date.now();
      this.statusIsError = true;
      job.done(err as Error);
    } finally {
      finished();
    }
  }
}
