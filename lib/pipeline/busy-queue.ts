export type BusyPolicy = 'queue' | 'drop-oldest' | 'drop-newest';

export interface BusyCounters {
  /** Jobs taken in (run now or waiting). */
  accepted: number;
  /** Jobs dropped by the policy (oldest evicted or newest refused). */
  dropped: number;
  /** Jobs refused with an error because the queue was full ('queue' policy). */
  rejected: number;
}

export interface Job<T> {
  item: T;
  /** Told when the job leaves without being run: 'dropped' or 'rejected'. */
  discard(reason: 'dropped' | 'rejected'): void;
}

/**
 * Runs one job at a time with at most `capacity` waiting. When full, 'drop-oldest' evicts the oldest
 * waiting job, 'drop-newest' refuses the new one quietly, 'queue' refuses it as an error. Nothing is
 * lost without being counted.
 */
export class BusyQueue<T> {
  readonly counters: BusyCounters = { accepted: 0, dropped: 0, rejected: 0 };
  private readonly waiting: Job<T>[] = [];
  private running = false;
  private idleWaiters: Array<() => void> = [];

  constructor(
    private readonly worker: (item: T) => Promise<void>,
    private readonly policy: BusyPolicy,
    private readonly capacity: number,
  ) {}

  get pending(): number {
    return this.waiting.length + (this.running ? 1 : 0);
  }

  push(job: Job<T>): void {
    if (!this.running) {
      this.counters.accepted++;
      void this.run(job.item);
      return;
    }
    if (this.waiting.length >= this.capacity) {
      if (this.policy === 'drop-oldest' && this.capacity > 0) {
        this.counters.dropped++;
        this.waiting.shift()!.discard('dropped');
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
  }

  /** Drops everything waiting (on close) and resolves when the running job has finished. */
  drain(): Promise<void> {
    while (this.waiting.length) {
      this.counters.dropped++;
      this.waiting.shift()!.discard('dropped');
    }
    return this.idle();
  }

  /** Resolves when nothing runs or waits. */
  idle(): Promise<void> {
    return this.running ? new Promise<void>((resolve) => this.idleWaiters.push(resolve)) : Promise.resolve();
  }

  private async run(item: T): Promise<void> {
    this.running = true;
    let next: T | undefined = item;
    while (next !== undefined) {
      try {
        await this.worker(next);
      } catch {
        // the worker reports its own failures; the queue only keeps going
      }
      next = this.waiting.shift()?.item;
    }
    this.running = false;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }
}
