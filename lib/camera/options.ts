import { SHOWN_MAX, shownStart, textField } from '../config/fields';
import { YoloEdgeError } from '../errors';
import { redactUrl } from './redact';

/** Camera-only checks of configuration values; the general field parsers are in lib/config/fields. */

function bad(field: string, why: string): YoloEdgeError {
  return new YoloEdgeError(`${field} ${why}`, 'BAD_CONFIG');
}

/** Text that ends up as one argument of a program: must not be taken for an option. */
export function argument(field: string, v: unknown, fallback = ''): string {
  const s = textField(field, v, fallback);
  if (s.startsWith('-')) throw bad(field, `must not start with '-', got ${shownStart(s, SHOWN_MAX)}`);
  if (/[\0\r\n]/.test(s)) throw bad(field, 'must be one line');
  return s;
}

/**
 * Longest "extra arguments" text: far beyond an option list (a long filter graph is a few KB), and well under what
 * Linux takes for a program's arguments (128 KB each, about 2 MB in all). A flow file's megabyte failed every start
 * with 'spawn E2BIG', retried for ever.
 */
export const MAX_EXTRA_ARGS = 65536;

/** Splits the "extra arguments" field on whitespace; double quotes group words. No shell is involved. */
export function splitArgs(v: unknown): string[] {
  const s = textField('extra arguments', v);
  if (s.length > MAX_EXTRA_ARGS) throw bad('extra arguments', `must be at most ${MAX_EXTRA_ARGS} characters, got ${s.length}`);
  const out: string[] = [];
  const re = /"([^"]*)"|(\S+)/g;
  for (let m = re.exec(s); m; m = re.exec(s)) out.push(m[1] ?? m[2]);
  if (out.some((a) => /[\0\r\n]/.test(a))) throw bad('extra arguments', 'must be one line');
  return out;
}

/**
 * Longest camera URL: what web servers take in a request line (8 KB). A flow file's megabyte URL was named whole in
 * every failed snapshot's error.
 */
export const MAX_URL = 8192;

export function url(field: string, v: unknown, protocols: readonly string[]): URL {
  const s = textField(field, v);
  if (s.length > MAX_URL) throw bad(field, `must be at most ${MAX_URL} characters, got ${shownStart(redactUrl(s), SHOWN_MAX)}`);
  let u: URL;
  try {
    u = new URL(s);
  } catch {
    throw bad(field, `is not a URL: ${shownStart(redactUrl(s), SHOWN_MAX)}`);
  }
  if (!protocols.includes(u.protocol)) throw bad(field, `must start with ${protocols.map((p) => p + '//').join(' or ')}, got '${u.protocol}//'`);
  return u;
}
