import { promises as fs } from 'fs';
import * as path from 'path';
import { wholeJpeg } from './mjpeg-splitter';
import { PullResult, stoppedError } from './polling-source';
import { YoloEdgeError } from '../errors';

const JPEG = /\.jpe?g$/i;
const collator = new Intl.Collator('en', { numeric: true });

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

  constructor(
    readonly dir: string,
    private readonly options: FolderReaderOptions,
    private readonly warn: (message: string) => void = () => {},
  ) {}

  /** The next JPEG; the signal (the source stopping) ends the search between files. */
  async next(signal?: AbortSignal): Promise<PullResult> {
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
    const all = await this.list();
    this.files = last === undefined ? all : all.filter((n) => collator.compare(n, last) > 0);
    if (this.files.length === 0 && this.options.loop) {
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
    if (last === undefined) throw new YoloEdgeError(`no JPEG files in ${this.dir}`, 'NO_IMAGES');
    return 'end';
  }

  private async list(): Promise<string[]> {
    let entries;
    try {
      entries = await fs.readdir(this.dir, { withFileTypes: true });
    } catch (err) {
      throw new YoloEdgeError(`folder ${this.dir}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, 'NO_FOLDER');
    }
    // symlinks too: read() stats what they point to
    return entries.filter((e) => (e.isFile() || e.isSymbolicLink()) && JPEG.test(e.name)).map((e) => e.name).sort(collator.compare);
  }

  private async read(name: string): Promise<Buffer | undefined | 'wait'> {
    const file = path.join(this.dir, name);
    try {
      const st = await fs.stat(file);
      if (!st.isFile()) return this.skip(name, 'not a regular file');
      if (st.size > this.options.maxFrameBytes) return this.skip(name, `${st.size} bytes, over the frame size limit`);
      const jpeg = wholeJpeg(await fs.readFile(file));
      if (jpeg) return jpeg;
      if (Date.now() - st.mtimeMs < (this.options.settleMs ?? 2000)) return 'wait';
      return this.skip(name, 'not a whole JPEG');
    } catch (err) {
      return this.skip(name, (err as NodeJS.ErrnoException).code ?? (err as Error).message);
    }
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
