import { parseArgs, ParseArgsConfig } from 'util';
import { ErrorCode, YoloEdgeError } from '../lib/errors';
import { checkSplitFor, parseSplit, Split } from '../lib/tools/eval/dataset';

export type Options = NonNullable<ParseArgsConfig['options']>;

export interface Parsed {
  values: Record<string, string | boolean | string[] | undefined>;
  positionals: string[];
}

export function parse(argv: string[], options: Options): Parsed {
  const { values, positionals, tokens } = parseArgs({ args: argv, options: { ...options, help: { type: 'boolean', short: 'h' } }, allowPositionals: true, strict: true, tokens: true });
  refuseRepeated(tokens, options);
  return { values: values as Parsed['values'], positionals };
}

/**
 * A one-value option given twice kept the last value without a word (`detect --classes bowl --classes cup` kept
 * cups only, `--model a --model b` ran b): refused, naming both values. Options declared `multiple` collect them.
 */
function refuseRepeated(tokens: NonNullable<ReturnType<typeof parseArgs>['tokens']>, options: Options): void {
  const seen = new Map<string, string[]>();
  for (const t of tokens) {
    if (t.kind !== 'option' || options[t.name]?.type !== 'string' || options[t.name]?.multiple) continue;
    seen.set(t.name, [...(seen.get(t.name) ?? []), t.value ?? '']);
  }
  for (const [name, given] of seen) {
    if (given.length > 1) throw new UsageError(`--${name} is given ${given.length} times ('${given.join("', '")}'); it takes one value`);
  }
}

/** An option's value; one given empty (`--model "$M"` with M unset) is refused, not taken as left out. */
export function str(p: Parsed, key: string, fallback?: string): string | undefined {
  const v = given(p, key);
  if (v !== undefined && v.trim() === '') throw emptyValue(key);
  return v ?? fallback;
}

/** An option's value as given, empty too: for the few options where empty means something (--vcgencmd ''). */
export function given(p: Parsed, key: string): string | undefined {
  const v = p.values[key];
  return typeof v === 'string' ? v : undefined;
}

function emptyValue(key: string): UsageError {
  return new UsageError(`--${key} is given an empty value: give one, or leave the option out for its default`);
}

export function required(p: Parsed, key: string): string {
  const v = str(p, key);
  if (!v) throw new UsageError(`--${key} is required`);
  return v;
}

export function num(p: Parsed, key: string, fallback: number, min = -Infinity, max = Infinity): number {
  return bounded(p, key, fallback, min, max, 'a number');
}

/** A count (images, runs, threads, a seed): 2.5 is refused, not rounded or used as a loop bound. */
export function int(p: Parsed, key: string, fallback: number, min = -Infinity, max = Infinity): number {
  return bounded(p, key, fallback, min, max, 'a whole number');
}

type Kind = 'a number' | 'a whole number';

function bounded(p: Parsed, key: string, fallback: number, min: number, max: number, kind: Kind): number {
  const v = given(p, key);
  if (v === undefined) return fallback;
  // Number('') is 0: `--conf "$CONF"` with CONF unset would keep every box, `--max-images=` would take all
  const n = v.trim() === '' ? NaN : Number(v);
  const ok = (kind === 'a whole number' ? Number.isInteger(n) : Number.isFinite(n)) && n >= min && n <= max;
  if (!ok) throw new UsageError(`--${key} must be ${rangeText(min, max, kind)}, got '${v}'`);
  return n;
}

/** An open end is not spelled out: users read 'between 1 and Infinity' as a bug. */
function rangeText(min: number, max: number, kind: Kind): string {
  if (max === Infinity) return min === -Infinity ? kind : `${kind} of at least ${min}`;
  return min === -Infinity ? `${kind} of at most ${max}` : `${kind} between ${min} and ${max}`;
}

/** A repeatable option's values as given (file paths may hold commas); an empty one is refused as in str(). */
export function repeated(p: Parsed, key: string): string[] {
  const v = p.values[key];
  const items = (Array.isArray(v) ? v : typeof v === 'string' ? [v] : []).map((s) => s.trim());
  if (items.some((s) => s === '')) throw emptyValue(key);
  return items;
}

/** A list option: repeated, or comma-separated (class names, providers, node names). */
export function list(p: Parsed, key: string): string[] {
  return repeated(p, key).flatMap((s) => {
    const items = s.split(',').map((x) => x.trim()).filter((x) => x.length > 0);
    // `--classes "$A,$B"` with both unset is ',': refused as an empty value is, not taken as the option left out
    if (items.length === 0) throw new UsageError(`--${key} is given '${s}', which names nothing: give one, or leave the option out for its default`);
    return items;
  });
}

export function flag(p: Parsed, key: string): boolean {
  return p.values[key] === true;
}

export class UsageError extends Error {}

/** Options that a mode or another option's value makes meaningless would be ignored without a word: refuse them. */
export function refuseUnused(p: Parsed, keys: readonly string[], where: string): void {
  const unused = keys.filter((k) => p.values[k] !== undefined);
  if (unused.length) throw new UsageError(`--${unused.join(', --')} ${unused.length === 1 ? 'does' : 'do'} not apply ${where}`);
}

/**
 * A lib error with one of `codes` is the user's mistake in an option's value: exit 2 with the usage line.
 * `hint`, a line of its own after the message, says what the option takes where the lib's message cannot.
 */
export function asUsageError(e: unknown, codes: readonly ErrorCode[], hint?: string): unknown {
  if (!(e instanceof YoloEdgeError && codes.includes(e.code))) return e;
  return new UsageError(hint ? `${e.message}\n${hint}` : e.message);
}

/** --split all|even|odd (default all), or train|val|test of the data.yaml given as `source` (a folder has none). */
export function split(p: Parsed, source: string): Split {
  try {
    const s = parseSplit(str(p, 'split'));
    checkSplitFor(source, s);
    return s;
  } catch (e) {
    throw asUsageError(e, ['BAD_SPLIT']);
  }
}
