import * as path from 'path';
import type { Detector } from '../../lib/detector';
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

/**
 * Says which of the given NMS options an end-to-end model (`[1, K, 6]`, its NMS in the graph) does not use: before,
 * `--iou 0.3` or `--agnostic` on such a model changed nothing without a word.
 */
export function warnNmsOptionsUnused(p: ReturnType<typeof parse>, detector: Detector, options: readonly string[]): void {
  if (detector.info.layout !== 'end2end') return;
  const unused = options.filter((o) => p.values[o] !== undefined);
  if (unused.length === 0) return;
  warnLine(`${unused.map((o) => `--${o}`).join(', ')} ${unused.length > 1 ? 'have' : 'has'} no effect on ${path.basename(detector.info.path)}: it is an end-to-end model, which does its own NMS`);
}
