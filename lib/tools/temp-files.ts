import { rmSync } from 'fs';

/** Scratch files and folders in use (a model's size each), removed when the process is interrupted before it removes them. */
const inUse = new Set<string>();

const interrupt = new AbortController();

/**
 * Aborted by removeScratch(): work that runs a child process (fetch-model's npm) passes it on to stop the child, which
 * the kill that ends this process would leave running.
 */
export const interrupted: AbortSignal = interrupt.signal;

/** Counts `file` (or a folder) as scratch until the returned function is called (once it is removed or renamed into place). */
export function holdScratch(file: string): () => void {
  inUse.add(file);
  return () => inUse.delete(file);
}

/** Stops child processes and removes the scratch still in use: for a Ctrl-C or a kill, which end the process without its finally blocks. */
export function removeScratch(): void {
  interrupt.abort(new Error('interrupted'));
  for (const file of inUse) rmSync(file, { force: true, recursive: true });
  inUse.clear();
}
