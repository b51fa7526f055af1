import * as os from 'os';
import { numberField, oneOf } from '../config/fields';

export type BusyPolicy = 'queue' | 'drop-oldest' | 'drop-newest';

export const BUSY_POLICIES: readonly BusyPolicy[] = ['queue', 'drop-oldest', 'drop-newest'];

/** The busy fields of a detecting node's dialog, as Node-RED stores them. */
export interface BusyFields {
  busyPolicy?: unknown;
  queueSize?: unknown;
}

/** Busy policy and queue size from the dialog: drop-oldest with one waiting frame when blank. */
export function parseBusyConfig(c: BusyFields): { policy: BusyPolicy; capacity: number } {
  return {
    policy: oneOf('busy policy', c.busyPolicy, BUSY_POLICIES, 'drop-oldest'),
    capacity: numberField('queue size', c.queueSize, 1, { min: 0, max: 1000, integer: true }),
  };
}

export interface BusyCounters {
  /** Jobs taken in (run now or waiting). */
  accepted: number;
  /** Jobs dropped by the policy (oldest evicted or newest refused). */
  dropped: number;
  /** Jobs refused with an error because the queue was full ('queue' policy). */
  rejected: number;
}

/**
 * The most the waiting frames of one queue may hold: a queue of 1000 raw 1080p frames held 6.2 GB (a Pi has 4 or
 * 8). 512 MB, or an eighth of the memory on a smaller machine: still 1000 JPEGs of 500 KB, but 80 raw 1080p frames.
 */
export function waitingBytesLimit(totalBytes = os.totalmem()): number {
  return Math.min(512 * 2 ** 20, Math.floor(totalBytes / 8));
}

export interface Job<T> {
  item: T;
  /** What the job holds while it waits (a frame's bytes); counted against the queue's byte limit. */
  bytes?: number;
  /**
   * Told when the job leaves without being run: 'dropped' (the busy policy), 'rejected' (the queue is full) or
   * 'closed' (still waiting when the queue was drained on close; counted as dropped).
   */
  discard(reason: 'dropped' | 'rejected' | 'closed'): void;
}

/**
 * Runs up to `concurrency` jobs at a time (a detector overlaps decoding one frame with inference of the one
 * before) with at most `capacity` waiting, holding at most `maxBytes`. When full, 'drop-oldest' evicts the oldest
 * waiting jobs until the new one fits, 'drop-newest' refuses the new one quietly, 'queue' refuses it as an error.
 * Nothing is lost without being counted.
 */
export class BusyQueue<T> {
  readonly counters: BusyCounters = { accepted: 0, dropped: 0, rejected: 0 };
  private readonly waiting: Job<T>[] = [];
  private waitingBytes = 0;
  private active = 0;
  private idleWaiters: Array<() => void> = [];

  constructor(
    private readonly worker: (item: T) => Promise<void>,
    private readonly policy: BusyPolicy,
    private readonly capacity: number,
    private readonly concurrency = 1,
    /** The most the waiting jobs may hold (Job.bytes); one job may always wait, whatever it holds. */
    private readonly maxBytes = Infinity,
  ) {}

  get pending(): number {
    return this.waiting.length + this.active;
  }

  /** Why a job was refused, in the node's own terms: its queue size, and the frames in progress beside it. */
  describeFull(): string {
    const mb = (n: number): string => (n / 2 ** 20).toFixed(0);
    const held = this.waiting.length < this.capacity ? `, holding ${mb(this.waitingBytes)} MB of the ${mb(this.maxBytes)} MB frames may take` : '';
    return `queue full (${this.waiting.length} of ${this.capacity} waiting${held}, ${this.active} in progress)`;
  }

  push(job: Job<T>): void {
    if (this.active < this.concurrency) {
      this.counters.accepted++;
      void this.run(job.item);
      return;
    }
    const bytes = job.bytes ?? 0;
    const full = (): boolean => this.waiting.length >= this.capacity || (this.waiting.length > 0 && this.waitingBytes + bytes > this.maxBytes);
    if (full()) {
      if (this.policy === 'drop-oldest' && this.capacity > 0) {
        do {
          this.counters.dropped++;
          this.take()!.discard('dropped');
        } while (full());
      } else if (this.policy === 'queue') {
        this.counters.rejected++;
        job.discard('rejected');
        return;
      } else {
        this.counters.dropped++;
        job.discard('dropped');
        return;
      }
    }
    this.counters.accepted++;
    this.waiting.push(job);
    this.waitingBytes += bytes;
  }

  /** Drops everything waiting (on close) and resolves when the running job has finished. */
  drain(): Promise<void> {
    while (this.waiting.length) {
      this.counters.dropped++;
      this.take()!.discard('closed');
    }
    return this.idle();
  }

  /** Resolves when nothing runs or waits. */
  idle(): Promise<void> {
    return this.active > 0 ? new Promise<void>((resolve) => this.idleWaiters.push(resolve)) : Promise.resolve();
  }

  private take(): Job<T> | undefined {
    const job = this.waiting.shift();
    if (job) this.waitingBytes -= job.bytes ?? 0;
    return job;
  }

  private async run(item: T): Promise<void> {
    this.active++;
    let next: T | undefined = item;
    while (next !== undefined) {
      try {
        await this.worker(next);
      } catch {
        // the worker reports its own failures; the queue only keeps going
      }
      next = this.take()?.item;
    }
    this.active--;
    if (this.active > 0) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }
}
