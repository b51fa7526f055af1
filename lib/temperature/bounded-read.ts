import { YoloEdgeError } from '../errors';
import { NotRegularFile, readUpTo, withRegularFile } from '../regular-file';

/** Time a sysfs/procfs read gets; these files answer in microseconds unless a driver hangs. */
export const READ_TIMEOUT_MS = 1000;

/** Sensor files hold one line; of /proc/stat and meminfo only the first lines are parsed. */
const MAX_BYTES = 16 * 1024;

/** Reads that outlived their deadline and still hold a thread of libuv's small pool. */
const stuck = new Set<string>();

/** Rejects with `what: no answer within ...` when the promise has not settled in time (it keeps running). */
export function withTimeout<T>(promise: Promise<T>, timeoutMs: number, what: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new YoloEdgeError(`${what}: no answer within ${(timeoutMs / 1000).toFixed(1)} s`, 'SENSOR_FAILED')), timeoutMs);
    promise.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(timer);
        reject(e);
      },
    );
  });
}

/**
 * A small sensor or proc file, within timeoutMs. Opened non-blocking and refused unless it is a regular file, so a
 * FIFO or device in its place cannot block; a read that still hangs (a driver) is not started again until it
 * returns, so each stuck file holds at most one thread of the pool every other file read depends on.
 */
export function readBounded(file: string, timeoutMs = READ_TIMEOUT_MS): Promise<string> {
  if (stuck.has(file)) return Promise.reject(new YoloEdgeError(`${file}: an earlier read has not returned yet`, 'SENSOR_FAILED'));
  let returned = false;
  const read = readRegular(file).finally(() => {
    returned = true;
    stuck.delete(file);
  });
  return withTimeout(read, timeoutMs, file).catch((e: unknown) => {
    if (!returned) stuck.add(file);
    throw e;
  });
}

async function readRegular(file: string): Promise<string> {
  try {
    return (await withRegularFile(file, (fh) => readUpTo(fh, MAX_BYTES))).toString('utf8');
  } catch (err) {
    if (err instanceof NotRegularFile) throw new YoloEdgeError(`${file}: not a regular file`, 'SENSOR_FAILED');
    throw err;
  }
}
