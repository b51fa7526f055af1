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
 * count too). At most one write is in flight; frames offered meanwhile are skipped, never queued.
 */
export class CalibrationCapture {
  private offered = 0;
  private saved: number;
  private nextIndex: number;
  private writing = false;
  skippedBusy = 0;

  constructor(
    private readonly options: CalibrationOptions,
    private readonly warn: (message: string) => void = () => {},
  ) {
    fs.mkdirSync(options.dir, { recursive: true });
    const existing = fs.readdirSync(options.dir).map((n) => NAME.exec(n)).filter((m): m is RegExpExecArray => m !== null);
    this.saved = existing.length;
    this.nextIndex = existing.reduce((acc, m) => Math.max(acc, Number(m[1]) + 1), 1);
  }

  get count(): number {
    return this.saved;
  }

  get full(): boolean {
    return this.saved >= this.options.max;
  }

  offer(jpeg: Buffer): void {
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
