import { promises as fs } from 'fs';
import { load } from 'js-yaml';

// Class names as files hold them: one a line (classes.txt, obj.names), a JSON list or id mapping, or an Ultralytics
// data.yaml's `names:`. Read by a yolo-model's *Class names* and by the offline tools' dataset check.

/** The endings of a names file, and how each is read. */
export const NAMES_FILE = /\.(txt|names|json|ya?ml)$/i;
export const NAMES_FILE_RULE = 'a names file ending in .txt or .names (one name a line), .json (a list or an id mapping of names) or .yaml (an Ultralytics data.yaml\'s names:)';
/** A data.yaml by its name, as Ultralytics tells it from a folder. */
export const DATA_YAML = /\.ya?ml$/i;

/** A name a person wrote: no control characters (NUL, line breaks) and no bytes that are not UTF-8 (U+FFFD). */
const NOT_A_NAME = /[\0-\x1f\x7f\ufffd]/;

/** The first of `names` that is not a name a person wrote (a binary or system file read as names), or -1. */
export function firstOddName(names: readonly (string | undefined)[]): number {
  return names.findIndex((n) => n !== undefined && NOT_A_NAME.test(n));
}

/** A line list's names: blank lines and the space around names dropped. */
export function lineNames(text: string): string[] {
  return text.split(/\r\n|\r|\n/).map((s) => s.trim()).filter((s) => s.length > 0);
}

/**
 * Names from a list, or from a mapping of class id to name as Ultralytics writes `names:` (a hole stays undefined).
 * Throws an Error saying what is not a name or an id.
 */
export function namesOf(v: unknown): (string | undefined)[] {
  if (Array.isArray(v)) return v.map(nameText);
  if (v === null || typeof v !== 'object') throw new Error(`names must be a list or a mapping of class ids to names, got ${v === null ? 'null' : typeof v}`);
  const out: (string | undefined)[] = [];
  for (const [k, n] of Object.entries(v as Record<string, unknown>)) {
    const id = Number(k);
    if (!/^\d+$/.test(k) || id >= 100_000) throw new Error(`names has the key ${shownName(k)}, not a class id`);
    out[id] = nameText(n);
  }
  return Array.from(out);
}

/** `names:` of a data.yaml: a list, or a map of class id to name (Ultralytics writes the map). */
export function yamlNames(text: string): (string | undefined)[] {
  const doc = load(text);
  const names = doc !== null && typeof doc === 'object' ? (doc as { names?: unknown }).names : undefined;
  if (names === null || typeof names !== 'object') throw new Error('it has no names: list or map');
  return namesOf(names);
}

function nameText(v: unknown): string {
  if (typeof v === 'string' || (typeof v === 'number' && Number.isFinite(v))) return String(v);
  throw new Error(`a class name is ${v === null ? 'null' : Array.isArray(v) ? 'a list' : typeof v}`);
}

export function shownName(s: string): string {
  return JSON.stringify(s.length > 48 ? `${s.slice(0, 48)}...` : s);
}

/** Folders of the kernel's files: their text is the system's (a process's environment, a device), never class names. */
const SYSTEM_FOLDERS = ['/proc', '/sys', '/dev'];

/** The system folder `file` is in once its links are followed, or undefined (also when it is not there: the read says so). */
export async function systemFolderOf(file: string): Promise<string | undefined> {
  const real = await fs.realpath(file).catch(() => file);
  return SYSTEM_FOLDERS.find((d) => real === d || real.startsWith(`${d}/`));
}
