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

/**
 * The intra-op threads a session gets: the configured count (0: the default), at most one per core. onnxruntime's
 * threads spin while they wait for each other, so more threads than cores slow every run down (2 cores here: INT8
 * 14.0 ms at 2 threads, 40.8 ms at 4, 86.5 ms at 8). A flow written for a larger machine then still runs well.
 */
export function sessionThreads(configured: number, cores = coreCount()): { threads: number; capped?: string } {
  if (configured <= 0) return { threads: defaultThreads(cores) };
  if (configured <= cores) return { threads: configured };
  return {
    threads: cores,
    capped: `threads ${configured} is more than the ${cores} cores of this machine: using ${cores} (more threads than cores make every inference slower)`,
  };
}

/** 0 or empty means the default; anything else must be a whole number from 1 to MAX_THREADS. */
export function parseThreads(v: unknown, name = 'threads'): number {
  return numberField(name, v, 0, { min: 0, max: MAX_THREADS, integer: true, hint: '0: one per core but one' });
}

/**
 * Nice steps the inference worker and its intra-op threads run below the rest of Node-RED (Linux). With every core
 * busy, the event loop, image decoding and the flow's other nodes then get a core before inference does.
 * YOLO_EDGE_INFERENCE_NICE (0 to 19) in Node-RED's environment sets another; 0 keeps one priority for all.
 */
export function inferenceNiceness(env: NodeJS.ProcessEnv = process.env): number {
  return numberField('YOLO_EDGE_INFERENCE_NICE', env.YOLO_EDGE_INFERENCE_NICE, DEFAULT_NICENESS, { min: 0, max: 19, integer: true });
}

export const DEFAULT_NICENESS = 10;
