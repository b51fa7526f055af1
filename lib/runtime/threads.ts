import * as os from 'os';
import { numberField } from '../config/fields';

export const MAX_THREADS = 64;

export function coreCount(): number {
  return typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
}

/**
 * Intra-op threads when none are configured: every core but one, which stays for the Node-RED event loop,
 * image decoding and encoding (libvips) and the OS. 2 cores: 1 thread; a Pi 5 (4 cores): 3.
 */
export function defaultThreads(cores = coreCount()): number {
  return Math.max(1, cores - 1);
}

/** 0 or empty means the default; anything else must be a whole number from 1 to MAX_THREADS. */
export function parseThreads(v: unknown, name = 'threads'): number {
  return numberField(name, v, 0, { min: 0, max: MAX_THREADS, integer: true, hint: '0: one per core but one' });
}
