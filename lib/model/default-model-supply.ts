import { existsSync } from 'fs';
import * as path from 'path';
import { DEFAULT_MODEL } from './default-model';
import { fetchDefaultModel, FetchOptions, FetchProgress } from './fetch-default-model';

// One fetch per folder, shared by every yolo-model node that needs the default model there. A redeploy
// rejoins a fetch in flight (a grace period before the last user leaving aborts it), and a failure is
// remembered for a while so that every frame does not start another 135 MB download.

const ABORT_GRACE_MS = 15_000;
const RETRY_AFTER_MS = 60_000;

type Listener = (p: FetchProgress) => void;

interface Supply {
  promise: Promise<string>;
  listeners: Set<Listener>;
  abort: AbortController;
  users: number;
  graceTimer?: NodeJS.Timeout;
  failedAt?: number;
}

const supplies = new Map<string, Supply>();

export interface SupplyOptions extends Pick<FetchOptions, 'npm' | 'timeoutMs' | 'log'> {
  /** How long a failure is remembered (tests shorten it). */
  retryAfterMs?: number;
  /** How long a fetch nobody needs goes on before it is aborted (tests shorten it). */
  abortGraceMs?: number;
}

export interface SupplyHandle {
  /** Resolves with the model file's path. */
  readonly ready: Promise<string>;
  /** Stops listening; the last release aborts the fetch after a grace period. */
  release(): void;
}

function start(dir: string, opts: SupplyOptions): Supply {
  const supply: Supply = { listeners: new Set(), abort: new AbortController(), users: 0, promise: Promise.resolve('') };
  supply.promise = fetchDefaultModel(dir, {
    ...opts,
    signal: supply.abort.signal,
    progress: (p) => supply.listeners.forEach((l) => l(p)),
  });
  supply.promise.then(
    () => supplies.get(dir) === supply && supplies.delete(dir),
    () => {
      // aborted because no node needed it: nothing to remember, the next node that needs it fetches again
      if (supply.abort.signal.aborted) {
        if (supplies.get(dir) === supply) supplies.delete(dir);
        return;
      }
      supply.failedAt = Date.now();
      const forget = setTimeout(() => supplies.get(dir) === supply && supplies.delete(dir), opts.retryAfterMs ?? RETRY_AFTER_MS);
      forget.unref();
    },
  );
  return supply;
}

/** The default model in `dir`: at once when it is there, else from the fetch in flight or a new one. */
export function supplyDefaultModel(dir: string, onProgress: Listener, opts: SupplyOptions = {}): SupplyHandle {
  const grace = opts.abortGraceMs ?? ABORT_GRACE_MS;
  const file = path.join(dir, DEFAULT_MODEL.file);
  if (existsSync(file)) return { ready: Promise.resolve(file), release() {} };
  let supply = supplies.get(dir);
  if (!supply) {
    supply = start(dir, opts);
    supplies.set(dir, supply);
  }
  const s = supply;
  if (s.graceTimer) clearTimeout(s.graceTimer);
  s.graceTimer = undefined;
  s.users += 1;
  s.listeners.add(onProgress);
  let released = false;
  return {
    ready: s.promise,
    release() {
      if (released) return;
      released = true;
      s.listeners.delete(onProgress);
      s.users -= 1;
      if (s.users > 0 || s.failedAt !== undefined) return;
      s.graceTimer = setTimeout(() => s.abort.abort(new Error('no yolo-model node needs the default model any more')), grace);
      s.graceTimer.unref();
    },
  };
}

/** Fetches in flight or remembered as failed (for tests and diagnostics). */
export function suppliesInFlight(): number {
  return supplies.size;
}
