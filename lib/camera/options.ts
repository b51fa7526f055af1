import { YoloEdgeError } from '../errors';
import { redactUrl } from './redact';

/** Checks of values that come from a node's configuration (strings from the editor, or numbers). */

function bad(field: string, why: string): YoloEdgeError {
  return new YoloEdgeError(`${field} ${why}`, 'BAD_CONFIG');
}

function blank(v: unknown): boolean {
  return v === undefined || v === null || (typeof v === 'string' && v.trim() === '');
}

/** A number in [min, max]; undefined when left empty and no fallback is given. */
export function optionalNumber(field: string, v: unknown, min: number, max: number, integer = false): number | undefined {
  if (blank(v)) return undefined;
  const n = typeof v === 'number' ? v : typeof v === 'string' ? Number(v.trim()) : NaN;
  if (!Number.isFinite(n) || n < min || n > max || (integer && !Number.isInteger(n))) {
    throw bad(field, `must be ${integer ? 'a whole number' : 'a number'} from ${min} to ${max}, got '${String(v)}'`);
  }
  return n;
}

export function numberIn(field: string, v: unknown, min: number, max: number, fallback: number, integer = false): number {
  return optionalNumber(field, v, min, max, integer) ?? fallback;
}

export function oneOf<T extends string>(field: string, v: unknown, allowed: readonly T[], fallback: T): T {
  if (blank(v)) return fallback;
  const s = String(v).trim();
  if (!(allowed as readonly string[]).includes(s)) throw bad(field, `must be one of ${allowed.join(', ')}, got '${s}'`);
  return s as T;
}

export function optionalOneOf<T extends string>(field: string, v: unknown, allowed: readonly T[]): T | undefined {
  return blank(v) ? undefined : oneOf(field, v, allowed, allowed[0]);
}

export function bool(v: unknown, fallback = false): boolean {
  if (blank(v)) return fallback;
  return v === true || v === 'true' || v === 1 || v === '1' || v === 'on';
}

export function text(v: unknown, fallback = ''): string {
  return blank(v) ? fallback : String(v).trim();
}

/** Text that ends up as one argument of a program: must not be taken for an option. */
export function argument(field: string, v: unknown, fallback = ''): string {
  const s = text(v, fallback);
  if (s.startsWith('-')) throw bad(field, `must not start with '-', got '${s}'`);
  if (/[\0\r\n]/.test(s)) throw bad(field, 'must be one line');
  return s;
}

/** Splits the "extra arguments" field on whitespace; double quotes group words. No shell is involved. */
export function splitArgs(v: unknown): string[] {
  const s = text(v);
  const out: string[] = [];
  const re = /"([^"]*)"|(\S+)/g;
  for (let m = re.exec(s); m; m = re.exec(s)) out.push(m[1] ?? m[2]);
  if (out.some((a) => /[\0\r\n]/.test(a))) throw bad('extra arguments', 'must be one line');
  return out;
}

export function url(field: string, v: unknown, protocols: readonly string[]): URL {
  const s = text(v);
  let u: URL;
  try {
    u = new URL(s);
  } catch {
    throw bad(field, `is not a URL: '${redactUrl(s)}'`);
  }
  if (!protocols.includes(u.protocol)) throw bad(field, `must start with ${protocols.map((p) => p + '//').join(' or ')}, got '${u.protocol}//'`);
  return u;
}
