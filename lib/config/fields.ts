import * as path from 'path';
import { ErrorCode, YoloEdgeError } from '../errors';

// Field parsers for values from edit dialogs (strings), flow files and the admin API (anything), and msg
// properties. Each engine part's parse...Config uses these; a bad value fails with a YoloEdgeError naming the
// field, the rule and the value: BAD_CONFIG for settings, BAD_OPTION for per-message overrides.

export type FieldCode = Extract<ErrorCode, 'BAD_CONFIG' | 'BAD_OPTION'>;

export interface NumberRule {
  min: number;
  max: number;
  integer?: boolean;
  code?: FieldCode;
  /** Said after the range, e.g. what 0 means. */
  hint?: string;
}

/** Empty in an edit dialog: missing, null or only white space. */
export function isBlank(v: unknown): boolean {
  return v === undefined || v === null || (typeof v === 'string' && v.trim() === '');
}

/**
 * A value as the error shows it: strings quoted, numbers as JavaScript prints them (NaN stays NaN), arrays and
 * objects by kind (String([0.5]) would read as the number 0.5; an object's contents may be large or circular).
 */
export function shown(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (Array.isArray(v)) return `an array of ${v.length}`;
  if (v !== null && typeof v === 'object') {
    // a typed array or ArrayBuffer by its name ('an object' says nothing of what was sent); 'a Uint8Array' as it is read
    const name = (v as object).constructor?.name;
    return name && name !== 'Object' ? `${/^[AEIO]/.test(name) ? 'an' : 'a'} ${name}` : 'an object';
  }
  return String(v);
}

/** A value as shown(), a text cut to its first `max` characters and its length when longer: a payload may be megabytes. */
export function shownStart(v: unknown, max = 40): string {
  return typeof v === 'string' && v.length > max ? `${shown(v.slice(0, max))}... (${v.length} characters)` : shown(v);
}

/** Longest text of a node's status: a badge does not wrap (the whole message is in the log and the Catch msg). */
export const STATUS_MAX = 100;

/** A status text cut to `max` characters, the cut marked: a status badge does not wrap. */
export function statusText(text: string, max: number): string {
  return text.length <= max ? text : text.slice(0, max - 1) + '…';
}

/**
 * A message from a library cut in its middle when over `max` characters: onnxruntime quotes a model's node names
 * whole (a name of a megabyte made a megabyte error for every frame), and what failed is said at the start, why at
 * the end.
 */
export function cutMiddle(text: string, max = 1000): string {
  if (text.length <= max) return text;
  const tail = Math.floor(max / 3);
  return `${text.slice(0, max - tail)}… (${text.length - max} characters left out) …${text.slice(-tail)}`;
}

/** A value's kind and, for a number or flag, the value: for errors about a value of the wrong type. */
export function kindOf(v: unknown): string {
  return typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint' ? `${typeof v} ${String(v)}` : shown(v);
}

/**
 * How much of a wrong text value an error shows: a path or URL whole, not a flow file's megabyte, which went into the
 * log and into every refused msg's error.
 */
export const SHOWN_MAX = 200;

/** A node id as an error names it: whole as Node-RED makes them (16 characters), a flow file's megabyte cut. */
export function shownId(id: string): string {
  return id.length > SHOWN_MAX ? shownStart(id, SHOWN_MAX) : id;
}

export function fieldError(field: string, rule: string, v: unknown, code: FieldCode = 'BAD_CONFIG'): YoloEdgeError {
  return new YoloEdgeError(`${field} must be ${rule}, got ${shownStart(v, SHOWN_MAX)}`, code);
}

function rangeText(r: NumberRule): string {
  const what = r.integer ? 'a whole number' : 'a number';
  const range = r.max === Infinity ? `${what} >= ${r.min}` : `${what} from ${r.min} to ${r.max}`;
  return r.hint ? `${range} (${r.hint})` : range;
}

/** A number (or numeric string) within the rule; undefined when blank. */
export function optionalNumber(field: string, v: unknown, r: NumberRule): number | undefined {
  if (isBlank(v)) return undefined;
  return requiredNumber(field, v, r);
}

/** A number, or a numeric string as edit dialogs give it; NaN for anything else (arrays, blank strings, objects). */
export function numberOf(v: unknown): number {
  return typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v.trim()) : NaN;
}

/** A number (or numeric string) within the rule; blank is an error too. */
export function requiredNumber(field: string, v: unknown, r: NumberRule): number {
  const n = numberOf(v);
  if (!Number.isFinite(n) || n < r.min || n > r.max || (r.integer && !Number.isInteger(n))) throw fieldError(field, rangeText(r), v, r.code);
  return n;
}

/** A number within the rule, or the fallback when blank. */
export function numberField(field: string, v: unknown, fallback: number, r: NumberRule): number {
  return optionalNumber(field, v, r) ?? fallback;
}

export function oneOf<T extends string>(field: string, v: unknown, allowed: readonly T[], fallback: T, code: FieldCode = 'BAD_CONFIG'): T {
  if (isBlank(v)) return fallback;
  const s = String(v).trim();
  if (!(allowed as readonly string[]).includes(s)) throw fieldError(field, `one of ${allowed.join(', ')}`, v, code);
  return s as T;
}

export function optionalOneOf<T extends string>(field: string, v: unknown, allowed: readonly T[], code: FieldCode = 'BAD_CONFIG'): T | undefined {
  return isBlank(v) ? undefined : oneOf(field, v, allowed, allowed[0], code);
}

/** true/false, also as the strings and numbers a change node or an import may give; blank is the fallback. */
export function flag(field: string, v: unknown, fallback: boolean, code: FieldCode = 'BAD_CONFIG'): boolean {
  if (isBlank(v)) return fallback;
  if (v === true || v === 'true' || v === 1 || v === '1' || v === 'on') return true;
  if (v === false || v === 'false' || v === 0 || v === '0' || v === 'off') return false;
  throw fieldError(field, 'true or false', v, code);
}

/** Trimmed text, or the fallback when blank. */
export function text(v: unknown, fallback = ''): string {
  return isBlank(v) ? fallback : String(v).trim();
}

/**
 * text() of a setting, naming it when it holds an object (JSON in a flow file): String() made '[object Object]' a
 * program to run, an argument, a model file or a class name. A list is read as the editor would store it ('a,b').
 */
export function textField(field: string, v: unknown, fallback = '', code: FieldCode = 'BAD_CONFIG'): string {
  if (v !== null && typeof v === 'object' && !Array.isArray(v)) throw fieldError(field, 'text', v, code);
  return text(v, fallback);
}

/** A control character (NUL, a line break): not in a name or path a person typed on one line. */
export const CONTROL_CHAR = /[\0-\x1f\x7f]/;

/** Linux's longest path: a longer path setting (a flow file's megabyte) is not a path, and was repeated whole in every error. */
export const PATH_MAX = 4096;

/**
 * A path setting's text checked as a path: at most PATH_MAX characters, one line and no NUL (a path with a line
 * break or NUL is a paste gone wrong, and would split the log line that names it). `v` is the value as given, for
 * the error.
 */
export function checkPath(field: string, s: string, v: unknown = s, code: FieldCode = 'BAD_CONFIG'): string {
  if (s.length > PATH_MAX) throw fieldError(field, `a path of at most ${PATH_MAX} characters`, v, code);
  if (CONTROL_CHAR.test(s)) throw fieldError(field, 'a path on one line, without control characters', v, code);
  return s;
}

/** textField() of a path setting (a model, names file, folder, device or program): checkPath() once trimmed. */
export function pathField(field: string, v: unknown, fallback = '', code: FieldCode = 'BAD_CONFIG'): string {
  return checkPath(field, textField(field, v, fallback, code), v, code);
}

/** What folder and program fields must be, in the words of the error and of the editor's message. */
export const FOLDER_RULE = 'a full folder path starting with /';
export const PROGRAM_RULE = "a program name or path, not starting with '-'";

/** A folder given as a full path (trimmed), or the fallback when blank: a relative one would depend on Node-RED's working folder. */
export function folderPath(field: string, v: unknown, fallback: string, code: FieldCode = 'BAD_CONFIG'): string {
  const s = pathField(field, v, fallback, code);
  if (!path.isAbsolute(s)) throw fieldError(field, `${FOLDER_RULE} (like ${fallback})`, v, code);
  return s;
}

/** A folder given as a full path (trimmed), or blank: `~/calib` or `calib` would be a folder under Node-RED's working folder. */
export function optionalFolderPath(field: string, v: unknown, example: string, code: FieldCode = 'BAD_CONFIG'): string {
  const s = pathField(field, v, '', code);
  if (s && !path.isAbsolute(s)) throw fieldError(field, `${FOLDER_RULE} (like ${example})`, v, code);
  return s;
}

/** A program to run (trimmed; blank stays blank): a name looked up in PATH, or a path. */
export function programName(field: string, v: unknown, code: FieldCode = 'BAD_CONFIG'): string {
  const s = pathField(field, v, '', code);
  if (s.startsWith('-')) throw fieldError(field, PROGRAM_RULE, v, code);
  return s;
}
