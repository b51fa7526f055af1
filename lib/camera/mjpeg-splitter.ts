/**
 * Cuts a byte stream of concatenated JPEGs (MJPEG) into whole frames.
 *
 * Frames are found by walking the JPEG structure, not by looking for the first FFD9: after SOI the marker
 * segments are skipped by their lengths (so an EXIF thumbnail inside APP1 is never mistaken for the end),
 * then the entropy-coded data is scanned for a marker other than stuffing (FF00) or restarts (FFD0..D7).
 * Bytes between frames are counted as garbage; a frame cut short by a new SOI is counted as truncated;
 * a frame longer than maxFrameBytes is dropped, so the buffer never grows past that bound.
 */

export interface SplitterStats {
  frames: number;
  bytes: number;
  garbageBytes: number;
  truncatedFrames: number;
  oversizeFrames: number;
}

type Phase = 'soi' | 'markers' | 'entropy';

const SOI = 0xd8;
const EOI = 0xd9;
const SOS = 0xda;

export const DEFAULT_MAX_FRAME_BYTES = 8 * 1024 * 1024;

export class MjpegSplitter {
  readonly stats: SplitterStats = { frames: 0, bytes: 0, garbageBytes: 0, truncatedFrames: 0, oversizeFrames: 0 };
  private buf: Buffer;
  /** The bytes held are buf[head, len): frames are cut off the front by moving head, not by moving the rest. */
  private head = 0;
  private len = 0;
  /** Where the walk continues (an index into buf); the current frame (if any) starts at head. */
  private pos = 0;
  private phase: Phase = 'soi';
  /** After an oversize frame was dropped: its rest, up to the next SOI, is not counted as garbage. */
  private dropping = false;
  /** Largest frame, in whole bytes: buffer sizes and offsets must be integers. */
  private readonly maxFrameBytes: number;

  constructor(
    private readonly onFrame: (jpeg: Buffer) => void,
    maxFrameBytes = DEFAULT_MAX_FRAME_BYTES,
    private readonly onOversize: () => void = () => {},
  ) {
    if (!(maxFrameBytes >= 1)) throw new RangeError(`max frame size must be at least 1 byte, got ${maxFrameBytes}`);
    this.maxFrameBytes = Math.floor(maxFrameBytes);
    this.buf = Buffer.allocUnsafe(Math.min(64 * 1024, this.maxFrameBytes + 2));
  }

  /** Bytes held for an unfinished frame. */
  get buffered(): number {
    return this.len - this.head;
  }

  reset(): void {
    this.head = 0;
    this.len = 0;
    this.pos = 0;
    this.phase = 'soi';
    this.dropping = false;
  }

  push(chunk: Uint8Array): void {
    this.stats.bytes += chunk.length;
    let offset = 0;
    while (offset < chunk.length) {
      // Copy only as much as may belong to one frame, then walk it; the walk frees space again.
      const room = this.maxFrameBytes + 2 - this.buffered;
      const n = Math.min(room, chunk.length - offset);
      this.append(chunk.subarray(offset, offset + n));
      offset += n;
      this.walk();
      if (this.buffered >= this.maxFrameBytes + 2) this.dropOversize();
    }
  }

  private append(bytes: Uint8Array): void {
    if (this.len + bytes.length > this.buf.length) this.compact();
    const need = this.len + bytes.length;
    if (need > this.buf.length) {
      const grown = Buffer.allocUnsafe(Math.min(Math.max(need, this.buf.length * 2), this.maxFrameBytes + 2));
      this.buf.copy(grown, 0, 0, this.len);
      this.buf = grown;
    }
    this.buf.set(bytes, this.len);
    this.len = need;
  }

  /** Moves the unfinished frame to the front; only when a chunk needs the room, so each byte moves at most once or twice. */
  private compact(): void {
    if (this.head === 0) return;
    this.buf.copy(this.buf, 0, this.head, this.len);
    this.len -= this.head;
    this.pos -= this.head;
    this.head = 0;
  }

  private walk(): void {
    for (;;) {
      const progressed = this.phase === 'soi' ? this.seekSoi() : this.phase === 'markers' ? this.walkMarkers() : this.scanEntropy();
      if (!progressed) return;
    }
  }

  /** Drops everything before the next FFD8; keeps a trailing FF that may start one. */
  private seekSoi(): boolean {
    let i = this.findFF(this.pos);
    while (i >= 0 && i + 1 < this.len && this.buf[i + 1] !== SOI) i = this.findFF(i + 1);
    if (i < 0 || i + 1 >= this.len) {
      this.discardTo(i >= 0 ? i : this.len, !this.dropping);
      return false;
    }
    this.discardTo(i, !this.dropping);
    this.dropping = false;
    this.pos = this.head + 2;
    this.phase = 'markers';
    return true;
  }

  /** Walks marker segments by their lengths until the start of scan. */
  private walkMarkers(): boolean {
    for (;;) {
      if (this.pos + 1 >= this.len) return false;
      if (this.buf[this.pos] !== 0xff) return this.restartAfterCorruption();
      const m = this.buf[this.pos + 1];
      if (m === 0xff) {
        this.pos += 1; // fill byte
        continue;
      }
      if (m === SOI) return this.truncatedAt(this.pos);
      if (m === EOI) return this.complete(this.pos + 2);
      if (m === 0x01 || (m >= 0xd0 && m <= 0xd7)) {
        this.pos += 2;
        continue;
      }
      if (this.pos + 3 >= this.len) return false;
      const length = this.buf.readUInt16BE(this.pos + 2);
      if (length < 2) return this.restartAfterCorruption();
      this.pos += 2 + length;
      if (m === SOS) {
        this.phase = 'entropy';
        return true;
      }
    }
  }

  /** Scans entropy-coded data for the next real marker. */
  private scanEntropy(): boolean {
    for (;;) {
      const i = this.findFF(this.pos);
      if (i < 0) {
        this.pos = Math.max(this.pos, this.len);
        return false;
      }
      if (i + 1 >= this.len) {
        this.pos = i;
        return false;
      }
      const m = this.buf[i + 1];
      if (m === 0x00 || (m >= 0xd0 && m <= 0xd7)) {
        this.pos = i + 2;
      } else if (m === 0xff) {
        this.pos = i + 1;
      } else if (m === EOI) {
        return this.complete(i + 2);
      } else if (m === SOI) {
        return this.truncatedAt(i);
      } else {
        // Another segment (progressive scans, tables between scans): back to walking markers.
        this.pos = i;
        this.phase = 'markers';
        return true;
      }
    }
  }

  /** Index of the next 0xFF in the filled part of the buffer, or -1. */
  private findFF(from: number): number {
    if (from >= this.len) return -1;
    return this.buf.subarray(0, this.len).indexOf(0xff, from);
  }

  private complete(end: number): boolean {
    const frame = Buffer.allocUnsafe(end - this.head);
    this.buf.copy(frame, 0, this.head, end);
    this.discardTo(end, false);
    this.stats.frames++;
    this.phase = 'soi';
    this.onFrame(frame);
    return true;
  }

  /** A new SOI before this frame ended: the frame was cut short (camera restart, lost bytes). */
  private truncatedAt(soi: number): boolean {
    this.stats.truncatedFrames++;
    this.discardTo(soi, false);
    this.pos = this.head + 2;
    this.phase = 'markers';
    return true;
  }

  /** The segment structure broke: count the frame as truncated and look for the next SOI after its start. */
  private restartAfterCorruption(): boolean {
    this.stats.truncatedFrames++;
    this.discardTo(this.head + 2, false);
    this.pos = this.head; // look for the next SOI from just after this one
    this.phase = 'soi';
    return true;
  }

  private dropOversize(): void {
    this.stats.oversizeFrames++;
    this.discardTo(this.len, false);
    this.phase = 'soi';
    this.dropping = true;
    this.onOversize();
  }

  /** Lets go of the bytes before `end`; the walk goes on from there. */
  private discardTo(end: number, garbage: boolean): void {
    if (garbage && end > this.head) this.stats.garbageBytes += end - this.head;
    this.head = Math.max(this.head, end);
    this.pos = Math.max(this.pos, this.head);
    if (this.head === this.len) this.head = this.len = this.pos = 0;
  }
}

/** What the "no frame" message says about frames dropped whole: over the size limit, or cut short. */
export interface DroppedFrameCounts {
  oversizeFrames: number;
  truncatedFrames: number;
}

/** MB as the settings show them: 104857 bytes is 0.1 MB. */
export function formatMB(bytes: number): string {
  return String(Number((bytes / 1048576).toPrecision(3)));
}

/** 'N frames over the max frame size (X MB), M cut short; ' or '' when none was dropped: leads the progress text. */
export function droppedFramesNote(c: DroppedFrameCounts, maxFrameBytes: number): string {
  const parts: string[] = [];
  if (c.oversizeFrames > 0) parts.push(`${frames(c.oversizeFrames)} over the max frame size (${formatMB(maxFrameBytes)} MB)`);
  if (c.truncatedFrames > 0) parts.push(`${frames(c.truncatedFrames)} cut short`);
  return parts.length ? `${parts.join(', ')}; ` : '';
}

/** The warning on the first oversize frame, naming the setting to change. */
export function oversizeWarning(maxFrameBytes: number): string {
  return `a frame over the max frame size (${formatMB(maxFrameBytes)} MB) was dropped; if the camera sends larger frames, raise "Max frame MB" in the node's settings`;
}

/** Why one image (a snapshot) is refused for its size, naming the setting to change. */
export function overMaxFrameSize(maxFrameBytes: number): string {
  return `over the max frame size (${formatMB(maxFrameBytes)} MB); if the camera sends larger images, raise "Max frame MB" in the node's settings`;
}

function frames(n: number): string {
  return n === 1 ? '1 frame' : `${n} frames`;
}

/** Splits a buffer that should hold exactly one JPEG; undefined unless it is one whole frame (trailing bytes allowed). */
export function wholeJpeg(bytes: Uint8Array): Buffer | undefined {
  let frame: Buffer | undefined;
  const splitter = new MjpegSplitter((f) => {
    frame ??= f;
  }, Math.max(bytes.length, 1));
  splitter.push(bytes);
  return frame;
}
