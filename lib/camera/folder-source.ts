import { promises as fs } from 'fs';
import * as path from 'path';
import { wholeJpeg } from './mjpeg-splitter';
import { PullResult, stoppedError } from './polling-source';
import { YoloEdgeError } from '../errors';
import { readdirProblem } from '../folder-problem';

const JPEG = /\.jpe?g$/i;
const collator = new Intl.Collator('en', { numeric: true });
const DEFAULT_SETTLE_MS = 2000;
/** A partial file unchanged over this many looks (one per settle time) is given up. */
const RETRY_UNCHANGED_LOOKS = 3;
/** Looks at one file at most, even if it keeps changing without ever becoming whole. */
const RETRY_MAX_LOOKS = 30;
/** Partial files waiting for a look again at once; more are given up at once. */
const MAX_RETRYING_FILES = 64;
/** Directory entries read per step when listing the folder. */
const LIST_BATCH = 256;

/** Why a folder cannot be listed, in plain words (status, log and the error a request gets): an errno code alone says little. */
export async function folderError(dir: string, err: NodeJS.ErrnoException): Promise<YoloEdgeError> {
  const problem = await readdirProblem(dir, err);
  const text = problem.kind === 'permission' ? `${problem.text} for the Node-RED user` : problem.text;
  return new YoloEdgeError(text, 'NO_FOLDER', { cause: err });
}

/** A file of a watched folder that was not whole JPEG when read: its writer may still be at work. */
interface Retry {
  size: number;
  mtimeMs: number;
  looks: number;
  unchanged: number;
  /** The earliest time to look again (performance.now()). */
  at: number;
}

export interface FolderReaderOptions {
  loop: boolean;
  /** At the end, wait for files whose names sort after the last one read. */
  watch: boolean;
  maxFrameBytes: number;
  /** A file changed this recently may still be being written: a partial JPEG is retried, not skipped. */
  settleMs?: number;
}

/**
 * Reads the JPEGs of a folder one by one in natural name order (frame2 before frame10). Only the position
 * is kept between reads, so a watched folder can grow for months without memory growing.
 */
export class FolderReader {
  private files: string[] = [];
  private index = 0;
  private last?: string;
  /** Files skipped because they were not whole JPEGs or too large. */
  skipped = 0;
  /** Frames delivered since the folder was last started over (loop mode). */
  private deliveredThisPass = 0;
  /** Files already warned about: a looping folder of broken files warns once per file, not once per pass. */
  private readonly warned = new Set<string>();
  /** Watch mode reads each name once: a partial file it has passed is looked at again here, bounded. */
  private readonly retries = new Map<string, Retry>();
  /** The file last waited for as maybe still being written, as it was then, and since when (this reader's clock). */
  private settling?: { name: string; size: number; mtimeMs: number; since: number };

  constructor(
    readonly dir: string,
    private readonly options: FolderReaderOptions,
    private readonly warn: (message: string) => void = () => {},
  ) {}

  /** Back to before the first file: a folder read to its end (no loop, no watch) is read again from the start. */
  rewind(): void {
    this.files = [];
    this.index = 0;
    this.last = undefined;
    this.deliveredThisPass = 0;
  }

  /** The next JPEG; the signal (the source stopping) ends the search between files. */
  async next(signal?: AbortSignal): Promise<PullResult> {
    const again = await this.retryDue();
    if (signal?.aborted) throw stoppedError(`folder ${this.dir}`);
    if (again) {
      // out of name order: the file became whole after later ones were read
      this.retries.delete(again.origin);
      return again;
    }
    for (let attempts = 0; attempts < 1000; attempts++) {
      if (signal?.aborted) throw stoppedError(`folder ${this.dir}`);
      if (this.index >= this.files.length) {
        const more = await this.refill();
        if (more !== true) return more;
      }
      const name = this.files[this.index];
      const r = await this.read(name);
      // not counted as read: the next start takes this file again
      if (signal?.aborted) throw stoppedError(`folder ${this.dir}`);
      if (r === 'wait') return 'wait';
      this.index++;
      this.last = name;
      if (r) {
        this.deliveredThisPass++;
        return { jpeg: r, origin: name };
      }
    }
    return 'wait';
  }

  private async refill(): Promise<true | 'wait' | 'end'> {
    const last = this.last;
    if (last !== undefined && !this.options.loop && !this.options.watch) return 'end';
    this.files = await this.list(last);
    if (this.files.length === 0 && this.options.loop) {
      const all = last === undefined ? this.files : await this.list();
      // a whole pass without a frame: an error (the source backs off and shows it), not a busy loop
      if (last !== undefined && this.deliveredThisPass === 0 && all.length > 0) {
        this.last = undefined;
        throw new YoloEdgeError(`no readable JPEG in ${this.dir}: ${all.length} file(s) skipped (not whole JPEGs, too large or unreadable)`, 'NO_FRAME');
      }
      this.deliveredThisPass = 0;
      this.files = all;
    }
    this.index = 0;
    if (this.files.length > 0) return true;
    if (this.options.watch) return 'wait';
    // Empty at the start, or a looped folder emptied since: an error the source shows and retries (rather than
    // ending the loop for good), and the files put back are read from the first name.
    this.last = undefined;
    throw new YoloEdgeError(`no JPEG files in ${this.dir}`, 'NO_IMAGES');
  }

  /**
   * The JPEG names of the folder that sort after `after` (all without it), sorted. A watched folder grows for
   * months: it is read in batches that let the event loop run between them, and only the new names are sorted.
   */
  private async list(after?: string): Promise<string[]> {
    const names: string[] = [];
    try {
      for await (const e of await fs.opendir(this.dir, { bufferSize: LIST_BATCH })) {
        // symlinks too: read() stats what they point to. Hidden names are files still being written (.frame.jpg,
        // renamed when whole), as the help tells writers to do.
        if (!(e.isFile() || e.isSymbolicLink()) || !JPEG.test(e.name) || e.name.startsWith('.')) continue;
        if (after === undefined || collator.compare(e.name, after) > 0) names.push(e.name);
      }
    } catch (err) {
      throw await folderError(this.dir, err as NodeJS.ErrnoException);
    }
    return names.sort(collator.compare);
  }

  private async read(name: string): Promise<Buffer | undefined | 'wait'> {
    const file = path.join(this.dir, name);
    try {
      const st = await fs.stat(file);
      if (!st.isFile()) return this.skip(name, 'not a regular file');
      if (st.size > this.options.maxFrameBytes) return this.skip(name, `${st.size} bytes, over the frame size limit`);
      const jpeg = wholeJpeg(await fs.readFile(file));
      if (jpeg) return jpeg;
      if (this.mayBeBeingWritten(name, st)) return 'wait';
      // a watched folder never reads this name again by itself: a writer that stalled would lose its file
      if (this.options.watch && !this.options.loop && this.retries.size < MAX_RETRYING_FILES) {
        this.retries.set(name, { size: st.size, mtimeMs: st.mtimeMs, looks: 0, unchanged: 0, at: performance.now() + this.settleMs });
        return undefined;
      }
      return this.skip(name, 'not a whole JPEG');
    } catch (err) {
      return this.skip(name, (err as NodeJS.ErrnoException).code ?? (err as Error).message);
    }
  }

  /**
   * A file changed within the settle time may still be being written. By its mtime, and by this reader's own clock
   * once seen: an mtime in the future (copied from a machine whose clock is ahead, or this clock set back) would
   * otherwise hold the folder at that file for good. Unchanged in size and mtime for the settle time, it is done.
   */
  private mayBeBeingWritten(name: string, st: { size: number; mtimeMs: number }): boolean {
    if (Date.now() - st.mtimeMs >= this.settleMs) return false;
    const now = performance.now();
    const w = this.settling;
    if (w?.name === name && w.size === st.size && w.mtimeMs === st.mtimeMs) return now - w.since < this.settleMs;
    this.settling = { name, size: st.size, mtimeMs: st.mtimeMs, since: now };
    return true;
  }

  private get settleMs(): number {
    return this.options.settleMs ?? DEFAULT_SETTLE_MS;
  }

  /** Looks again at the partial files due (one look per settle time each): the first that is whole now. */
  private async retryDue(): Promise<{ jpeg: Buffer; origin: string } | undefined> {
    for (const [name, r] of [...this.retries]) {
      if (performance.now() < r.at) continue;
      const jpeg = await this.lookAgain(name, r);
      if (jpeg) return { jpeg, origin: name };
    }
    return undefined;
  }

  /** The file if it is whole now (the caller forgets it once handed out); gives it up after the bounded looks. */
  private async lookAgain(name: string, r: Retry): Promise<Buffer | undefined> {
    const file = path.join(this.dir, name);
    let st;
    try {
      st = await fs.stat(file);
    } catch {
      // gone (renamed or deleted by its writer): nothing to give up on
      this.retries.delete(name);
      return undefined;
    }
    r.looks++;
    r.unchanged = st.size === r.size && st.mtimeMs === r.mtimeMs ? r.unchanged + 1 : 0;
    r.size = st.size;
    r.mtimeMs = st.mtimeMs;
    r.at = performance.now() + this.settleMs;
    let why: string;
    if (!st.isFile()) why = 'not a regular file';
    else if (st.size > this.options.maxFrameBytes) why = `${st.size} bytes, over the frame size limit`;
    else {
      const jpeg = wholeJpeg(await fs.readFile(file).catch(() => Buffer.alloc(0)));
      if (jpeg) return jpeg;
      if (r.unchanged < RETRY_UNCHANGED_LOOKS && r.looks < RETRY_MAX_LOOKS) return undefined;
      why = `not a whole JPEG, still after ${r.looks} more looks over ${((r.looks * this.settleMs) / 1000).toFixed(1)} s (have the writer write under another name and rename the file when it is complete)`;
    }
    this.retries.delete(name);
    return this.skip(name, why);
  }

  private skip(name: string, why: string): undefined {
    this.skipped++;
    if (!this.warned.has(name) && this.warned.size < 10_000) {
      this.warned.add(name);
      this.warn(`skipped ${name}: ${why}`);
    }
    return undefined;
  }
}
