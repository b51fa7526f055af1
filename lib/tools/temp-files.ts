import { rmSync } from 'fs';

/** Scratch files in use (a model's size each), removed when the process is interrupted before it removes them. */
const inUse = new Set<string>();

/** Counts `file` as scratch until the returned function is called (once it is removed or renamed into place). */
export function holdScratch(file: string): () => void {
  inUse.add(file);
  return () => inUse.delete(file);
}

/** Removes the scratch files still in use: for a Ctrl-C or a kill, which end the process without its finally blocks. */
export function removeScratch(): void {
  for (const file of inUse) rmSync(file, { force: true });
  inUse.clear();
}
