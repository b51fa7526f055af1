import { int, list, parse } from '../args';
import { MAX_THREADS } from '../../lib/runtime/threads';

export interface Command {
  summary: string;
  usage: string;
  run(argv: string[]): Promise<void>;
}

/** Width of the progress line on the terminal, so a shorter step blanks what the longer one before it left. */
let progressWidth = 0;

/** Writes to stderr. */
export const err = (m: string): boolean => process.stderr.write(m);

/**
 * Progress of a long step, rewritten in place on a terminal. Elsewhere (a CI log, `2> file`) nothing: carriage
 * returns there pile every step into one endless line.
 */
export function progress(m: string): void {
  if (!process.stderr.isTTY) return;
  err(`\r${m.padEnd(progressWidth)}`);
  progressWidth = Math.max(progressWidth, m.length);
}

/** Ends a progress line left open, so that what follows (a warning, the output, an error) starts a line of its own. */
export function endLine(): void {
  if (progressWidth) err('\n');
  progressWidth = 0;
}

/** A warning on stderr, on a line of its own. */
export const warnLine = (m: string): boolean => {
  endLine();
  return err(`warning: ${m}\n`);
};

/** Options every command that opens a model session takes. */
export const sessionOptions = { threads: { type: 'string' }, provider: { type: 'string', multiple: true } } as const;

export function detectorOptions(p: ReturnType<typeof parse>): { threads: number; executionProviders?: string[]; warn: (m: string) => void } {
  const providers = list(p, 'provider');
  return { threads: int(p, 'threads', 0, 0, MAX_THREADS), executionProviders: providers.length ? providers : undefined, warn: (m) => warnLine(m) };
}
