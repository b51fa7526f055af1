import * as fs from 'fs';
import * as path from 'path';

export interface CalibrationOptions {
  dir: string;
  /** Save one frame of every N sent. */
  every: number;
  /** Stop once the folder holds this many calibration frames. */
  max: number;
}

const NAME = /^calib-(\d+)\.jpg$/;

/**
 * Saves every Nth frame to a folder for `yolo-edge quantize`, up to a bounded count (files from earlier runs
 * count too). At most one write is in flight; frames offered meanwhile, or before the folder is counted, are
 * skipped, never queued.
 */
export class CalibrationCapture {
  private offered = 0;
  private saved = 0;
  private nextIndex = 1;
  private writing = false;
  /** False until the earlier runs' files are counted; for good when the folder cannot be listed (warned). */
  private counted = false;
  skippedBusy = 0;
  /** Settles once the folder is counted (frames are saved from then on). */
  readonly ready: Promise<void>;

  constructor(
    private readonly options: CalibrationOptions,
    private readonly warn: (message: string) => void = () => {},
  ) {
    fs.mkdirSync(options.dir, { recursive: true });
    this.ready = this.countEarlier();
  }

  /**
   * Counts the earlier runs' files in batches: the folder was listed whole and at once in the constructor, and a
   * folder of 300000 files held the event loop for half a second at every deploy.
   */
  private async countEarlier(): Promise<void> {
    try {
      for await (const e of await fs.promises.opendir(this.options.dir, { bufferSize: 256 })) {
        const m = NAME.exec(e.name);
        if (!m) continue;
        this.saved++;
        this.nextIndex = Math.max(this.nextIndex, Number(m[1]) + 1);
      }
      this.counted = true;
    } catch (err) {
      this.warn(`calibration folder ${this.options.dir} cannot be listed, no calibration frames are saved: ${(err as Error).message}`);
    }
  }

  get count(): number {
    return this.saved;
  }

  get full(): boolean {
    return this.saved >= this.options.max;
  }

  offer(jpeg: Buffer): void {
    if (!this.counted) {
      this.skippedBusy++;
      return;
    }
    if (this.full || this.offered++ % this.options.every !== 0) return;
    if (this.writing) {
      this.skippedBusy++;
      return;
    }
    const file = path.join(this.options.dir, `calib-${String(this.nextIndex++).padStart(6, '0')}.jpg`);
    this.writing = true;
    this.saved++;
    // Written beside it and renamed: `yolo-edge quantize` may list the folder while the camera still saves.
    const part = path.join(this.options.dir, `.${path.basename(file)}.part`);
    fs.writeFile(part, jpeg, (err) => {
      if (err) return this.discard(part, err);
      fs.rename(part, file, (e) => (e ? this.discard(part, e) : this.written(null)));
    });
  }

  /** A failed write or rename must not leave its hidden part file behind: no one else removes it. */
  private discard(part: string, err: NodeJS.ErrnoException): void {
    fs.unlink(part, () => this.written(err));
  }

  private written(err: NodeJS.ErrnoException | null): void {
    this.writing = false;
    if (!err) return;
    this.saved--;
    this.warn(`calibration frame not saved: ${err.message}`);
  }

  /** Resolves once the write in flight (if any) is done. */
  async flush(): Promise<void> {
    while (this.writing) await new Promise((r) => setTimeout(r, 5));
  }
}
