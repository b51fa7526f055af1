import * as os from 'os';
import * as path from 'path';
import * as ort from 'onnxruntime-node';

export interface SessionSettings {
  /** Intra-op threads; 0 or undefined means one per core. */
  threads?: number;
  /** Execution providers in order of preference; 'cpu' is always the last resort. */
  executionProviders?: string[];
}

export type Warn = (message: string) => void;

export interface SessionLease {
  readonly session: ort.InferenceSession;
  readonly key: string;
  /** Providers actually in use. */
  readonly providers: string[];
  release(): Promise<void>;
}

interface Entry {
  ready: Promise<{ session: ort.InferenceSession; providers: string[] }>;
  users: number;
}

const entries = new Map<string, Entry>();

export function defaultThreads(): number {
  return typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
}

function normalise(settings: SessionSettings): Required<SessionSettings> {
  const threads = settings.threads && settings.threads > 0 ? Math.floor(settings.threads) : defaultThreads();
  const eps = (settings.executionProviders ?? ['cpu']).map((e) => e.trim().toLowerCase()).filter((e) => e.length > 0);
  return { threads, executionProviders: eps.length ? eps : ['cpu'] };
}

/** Providers this onnxruntime build can run; the rest fall back to cpu with a warning. */
export function usableProviders(requested: string[], warn: Warn): string[] {
  const bundled = new Set(ort.listSupportedBackends().filter((b) => b.bundled).map((b) => b.name));
  const out: string[] = [];
  for (const ep of requested) {
    if (bundled.has(ep)) out.push(ep);
    else warn(`execution provider '${ep}' is not available in this onnxruntime build; using cpu`);
  }
  if (!out.includes('cpu')) out.push('cpu');
  return out;
}

async function create(modelPath: string, s: Required<SessionSettings>, warn: Warn): Promise<{ session: ort.InferenceSession; providers: string[] }> {
  const providers = usableProviders(s.executionProviders, warn);
  const options: ort.InferenceSession.SessionOptions = {
    executionProviders: providers,
    graphOptimizationLevel: 'all',
    intraOpNumThreads: s.threads,
    interOpNumThreads: 1,
    // Threads spin between the kernels of a run (waking a parked thread for each short int8 kernel costs about
    // as much as the kernel) and stop when the run returns, so nothing burns the cores between frames.
    extra: { session: { intra_op: { allow_spinning: '1' }, force_spinning_stop: '1' } },
  };
  try {
    return { session: await ort.InferenceSession.create(modelPath, options), providers };
  } catch (err) {
    if (providers.length === 1) throw err;
    warn(`session with providers [${providers}] failed (${(err as Error).message}); using cpu`);
    return { session: await ort.InferenceSession.create(modelPath, { ...options, executionProviders: ['cpu'] }), providers: ['cpu'] };
  }
}

/** One session per model file and settings, shared by every user and closed when the last one releases it. */
export async function acquireSession(modelPath: string, settings: SessionSettings = {}, warn: Warn = () => {}): Promise<SessionLease> {
  const s = normalise(settings);
  const key = `${path.resolve(modelPath)}|${s.threads}|${s.executionProviders.join(',')}`;
  let entry = entries.get(key);
  if (!entry) {
    entry = { ready: create(modelPath, s, warn), users: 0 };
    entries.set(key, entry);
  }
  entry.users++;
  const e = entry;
  let session: ort.InferenceSession;
  let providers: string[];
  try {
    ({ session, providers } = await e.ready);
  } catch (err) {
    e.users--;
    if (entries.get(key) === e) entries.delete(key);
    throw err;
  }
  let released = false;
  return {
    session,
    key,
    providers,
    async release() {
      if (released) return;
      released = true;
      e.users--;
      if (e.users === 0 && entries.get(key) === e) {
        entries.delete(key);
        await session.release();
      }
    },
  };
}

/** Number of sessions open now (for tests and diagnostics). */
export function openSessionCount(): number {
  return entries.size;
}
