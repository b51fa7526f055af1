import { int, list, parse } from '../args';
import { MAX_THREADS } from '../../lib/runtime/threads';

export interface Command {
  summary: string;
  usage: string;
  run(argv: string[]): Promise<void>;
}

let lineOpen = false;

/** Writes to stderr, noting whether a `\r` progress line is left without its end. */
export const err = (m: string): boolean => {
  if (m.length) lineOpen = !m.endsWith('\n');
  return process.stderr.write(m);
};

/** Ends a progress line left open, so that what follows (the error of a failed run) starts a line of its own. */
export function endLine(): void {
  if (lineOpen) err('\n');
}

/** A warning on stderr, on a line of its own (after a `\r` progress line when `afterProgress`). */
export const warnLine = (m: string, afterProgress = false): boolean => err(`${afterProgress ? '\n' : ''}warning: ${m}\n`);

/** Options every command that opens a model session takes. */
export const sessionOptions = { threads: { type: 'string' }, provider: { type: 'string', multiple: true } } as const;

export function detectorOptions(p: ReturnType<typeof parse>): { threads: number; executionProviders?: string[]; warn: (m: string) => void } {
  const providers = list(p, 'provider');
  return { threads: int(p, 'threads', 0, 0, MAX_THREADS), executionProviders: providers.length ? providers : undefined, warn: (m) => warnLine(m) };
}
