import * as path from 'path';
import { fileIdentity } from './file-identity';
import { InferenceHost } from './inference-host';
import { Warn } from './session-factory';
import { inferenceNiceness, parseThreads, sessionThreads } from './threads';

export { Warn } from './session-factory';

export interface SessionSettings {
  /** Intra-op threads; 0 or undefined means the default (threads.ts). */
  threads?: number;
  /** Execution providers in order of preference; 'cpu' is always the last resort. */
  executionProviders?: string[];
}

export interface SessionLease {
  /** The worker thread that runs the session, shared by every lease of the same key. */
  readonly host: InferenceHost;
  readonly key: string;
  /** Providers actually in use. */
  readonly providers: string[];
  /** Intra-op threads in use (the configured count, at most one per core). */
  readonly threads: number;
  release(): Promise<void>;
}

interface Entry {
  host: InferenceHost;
  ready: Promise<void>;
  users: number;
}

const entries = new Map<string, Entry>();

function normalise(settings: SessionSettings, warn: Warn): Required<SessionSettings> {
  const { threads, capped } = sessionThreads(parseThreads(settings.threads));
  if (capped) warn(capped);
  const eps = (settings.executionProviders ?? ['cpu']).map((e) => e.trim().toLowerCase()).filter((e) => e.length > 0);
  return { threads, executionProviders: eps.length ? eps : ['cpu'] };
}

/**
 * One session (in its own worker) per model file and settings, shared by every user and ended with the last.
 * `identity`: the file as the caller read it, `sha256` its bytes; a file that is no longer that one is refused with
 * MODEL_CHANGED.
 */
export async function acquireSession(modelPath: string, settings: SessionSettings = {}, warn: Warn = () => {}, identity?: string, sha256?: string): Promise<SessionLease> {
  const s = normalise(settings, warn);
  const file = path.resolve(modelPath);
  // a model replaced in place gets a new session
  identity ??= await fileIdentity(file);
  const key = `${file}|${identity}|${s.threads}|${s.executionProviders.join(',')}`;
  let entry = entries.get(key);
  if (!entry) {
    const host = new InferenceHost({ modelPath: file, identity, sha256, threads: s.threads, executionProviders: s.executionProviders, niceness: inferenceNiceness() }, warn);
    entry = { host, ready: host.start(), users: 0 };
    entries.set(key, entry);
  }
  entry.users++;
  const e = entry;
  try {
    await e.ready;
  } catch (err) {
    e.users--;
    if (entries.get(key) === e) entries.delete(key);
    await e.host.close();
    throw err;
  }
  let released = false;
  return {
    host: e.host,
    key,
    providers: e.host.providers,
    threads: s.threads,
    async release() {
      if (released) return;
      released = true;
      e.users--;
      if (e.users === 0 && entries.get(key) === e) {
        entries.delete(key);
        await e.host.close();
      }
    },
  };
}

/** Number of sessions open now (for tests and diagnostics). */
export function openSessionCount(): number {
  return entries.size;
}

/** The hosts open now (tests kill their workers). */
export function openHosts(): InferenceHost[] {
  return [...entries.values()].map((e) => e.host);
}
