import type { Worker } from 'worker_threads';

/** Asks a worker to close (it ends its work and exits) and terminates it if it has not exited after graceMs. */
export async function endWorker(w: Worker, graceMs: number): Promise<void> {
  // a worker that has exited already (one whose model failed to load) emits no second 'exit' to wait for
  if (w.threadId === -1) return;
  const exited = new Promise<void>((resolve) => w.once('exit', () => resolve()));
  w.postMessage({ type: 'close' });
  const timer = setTimeout(() => void w.terminate(), graceMs);
  await exited;
  clearTimeout(timer);
}
