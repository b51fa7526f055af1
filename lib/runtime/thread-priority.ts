import * as fs from 'fs';
import * as os from 'os';

/**
 * Lowers the calling thread's CPU priority (Linux nice, per thread) by `steps`; threads it starts later (onnxruntime's
 * intra-op pool) inherit it. With every core busy, the event loop then gets a core as soon as it has work instead of
 * waiting out the scheduler's slice of the inference threads. Returns the new nice value, or undefined where
 * threads have no nice value of their own (not Linux) or it could not be read.
 */
export function lowerThreadPriority(steps: number): number | undefined {
  if (process.platform !== 'linux' || steps <= 0) return undefined;
  try {
    // "/proc/thread-self" links to "<pid>/task/<tid>": setpriority on a tid changes that thread only
    const tid = Number(fs.readlinkSync('/proc/thread-self').split('/').pop());
    if (!Number.isInteger(tid) || tid <= 0) return undefined;
    const nice = Math.min(19, os.getPriority(tid) + steps);
    os.setPriority(tid, nice);
    return os.getPriority(tid);
  } catch {
    return undefined;
  }
}

