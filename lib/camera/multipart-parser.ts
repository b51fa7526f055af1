import { MjpegSplitter, wholeJpeg } from './mjpeg-splitter';

/** Bytes searched for the declared boundary before the stream is taken as plain JPEGs; bounds what is held. */
export const BOUNDARY_SEARCH_BYTES = 64 * 1024;
/** Part headers longer than this are not part headers. */
const MAX_PART_HEADER_BYTES = 16384;
const SOI = Buffer.from([0xff, 0xd8]);

/** A byte buffer that grows by doubling: appending a byte at a time does not copy what is held each time. */
class HeldBytes {
  private buf = Buffer.alloc(0);
  length = 0;

  /** Appends and returns all bytes held; the view is valid until the next change. */
  append(bytes: Buffer): Buffer {
    const need = this.length + bytes.length;
    if (need > this.buf.length) {
      const grown = Buffer.allocUnsafe(Math.max(need, this.buf.length * 2, 4096));
      this.buf.copy(grown, 0, 0, this.length);
      this.buf = grown;
    }
    bytes.copy(this.buf, this.length);
    this.length = need;
    return this.buf.subarray(0, need);
  }

  dropFront(n: number): void {
    if (n <= 0) return;
    this.buf.copy(this.buf, 0, n, this.length);
    this.length -= n;
  }

  clear(): void {
    this.length = 0;
    // one large chunk held once is not kept for the life of the stream
    if (this.buf.length > 4 * BOUNDARY_SEARCH_BYTES) this.buf = Buffer.alloc(0);
  }
}

/**
 * Parses a multipart/x-mixed-replace MJPEG body. Parts with a Content-Length are taken exactly; the first part
 * without one switches the rest of the stream to the JPEG splitter, for which boundaries and part headers are
 * just bytes between frames. Boundaries are matched with or without their leading "--". A stream that does not use
 * its declared boundary (raw JPEGs, another boundary) is scanned for JPEGs too: when a JPEG starts before the
 * boundary, or the boundary is not within BOUNDARY_SEARCH_BYTES.
 */
export class MultipartMjpegParser {
  private readonly token: Buffer;
  private readonly splitter: MjpegSplitter;
  private state: 'boundary' | 'headers' | 'body' | 'skip' | 'scan';
  /** Bytes held while looking for a boundary or the end of part headers, across chunks. */
  private readonly held = new HeldBytes();
  private body: Buffer[] = [];
  private bodyBytes = 0;
  private need = 0;
  /** Bytes at the start of the held bytes already searched for the boundary. */
  private searched = 0;
  /** Where the search for the blank line after the part headers goes on, in the held bytes. */
  private headerSearched = 0;
  /** Bytes before a boundary: not in any part. */
  private skippedBytes = 0;
  /** Parts that were not one whole JPEG. */
  rejectedParts = 0;
  /** Parts whose Content-Length is over the max frame size. */
  private oversizeParts = 0;
  bytes = 0;

  constructor(
    boundary: string | undefined,
    private readonly onFrame: (jpeg: Buffer) => void,
    private readonly maxFrameBytes: number,
    private readonly onOversize: () => void = () => {},
  ) {
    const b = (boundary ?? '').replace(/^--/, '');
    this.token = Buffer.from(b, 'latin1');
    this.splitter = new MjpegSplitter(onFrame, maxFrameBytes, onOversize);
    this.state = b ? 'boundary' : 'scan';
  }

  /** Bytes that were in no frame and no part (part headers aside). */
  get garbageBytes(): number {
    return this.splitter.stats.garbageBytes + this.skippedBytes;
  }

  /** Frames over the max frame size: parts by their Content-Length, or as the JPEG splitter found them. */
  get oversizeFrames(): number {
    return this.oversizeParts + this.splitter.stats.oversizeFrames;
  }

  get truncatedFrames(): number {
    return this.splitter.stats.truncatedFrames;
  }

  get mode(): 'content-length' | 'jpeg-scan' {
    return this.state === 'scan' ? 'jpeg-scan' : 'content-length';
  }

  /** Bytes held between chunks, at most about BOUNDARY_SEARCH_BYTES plus one chunk. */
  get buffered(): number {
    return this.held.length;
  }

  push(chunk: Buffer): void {
    this.bytes += chunk.length;
    let rest: Buffer | undefined = chunk;
    while (rest && rest.length > 0) {
      switch (this.state) {
        case 'scan':
          this.splitter.push(rest);
          return;
        case 'boundary':
        case 'headers':
          rest = this.header(rest);
          break;
        case 'body':
        case 'skip':
          rest = this.bodyBytesFrom(rest);
          break;
      }
    }
  }

  /**
   * Finds the boundary, then the blank line after the part headers; returns the bytes after them. Each search
   * goes on where the last one ended, so a stream trickled a byte at a time costs no more per byte than a fast one.
   */
  private header(chunk: Buffer): Buffer | undefined {
    const fromHeld = this.held.length > 0;
    const head = fromHeld ? this.held.append(chunk) : chunk;
    let start = 0;
    if (this.state === 'boundary') {
      const found = this.seekBoundary(head);
      if (found === 'scan') {
        // the stream does not use its boundary: all of it goes to the JPEG splitter, what was held first
        this.state = 'scan';
        return this.handOver(head, 0, fromHeld);
      }
      if (found === 'more') return this.hold(head, 0, fromHeld);
      start = found;
      this.state = 'headers';
    }
    const end = this.headerEnd(head, start);
    if (end < 0) {
      if (head.length - start <= MAX_PART_HEADER_BYTES) return this.hold(head, start, fromHeld);
      // Part headers are short; anything longer is not a part header: skip it, and look for the next boundary
      // from its last bytes (they may begin it).
      const keep = Math.max(start, head.length - this.token.length);
      this.skippedBytes += keep - start;
      this.state = 'boundary';
      this.searched = 0;
      return this.hold(head, keep, fromHeld);
    }
    const headers = head.toString('latin1', start, end);
    const rest = this.handOver(head, end, fromHeld);
    const m = /content-length\s*:\s*(\d+)/i.exec(headers);
    if (!m) {
      this.state = 'scan';
      return rest;
    }
    this.need = Number(m[1]);
    this.state = this.need > this.maxFrameBytes ? 'skip' : 'body';
    if (this.state === 'skip') {
      this.oversizeParts++;
      this.onOversize();
    }
    return rest;
  }

  /** Index just after the boundary in head, or 'more' / 'scan' (the stream does not use it). */
  private seekBoundary(head: Buffer): number | 'more' | 'scan' {
    const i = head.indexOf(this.token, Math.max(0, this.searched - this.token.length + 1));
    const soi = head.indexOf(SOI, Math.max(0, this.searched - 1));
    if (soi >= 0 && (i < 0 || soi < i)) return 'scan';
    if (i < 0) {
      this.searched = head.length;
      return head.length > BOUNDARY_SEARCH_BYTES ? 'scan' : 'more';
    }
    this.skippedBytes += i;
    this.searched = 0;
    this.headerSearched = i + this.token.length;
    return i + this.token.length;
  }

  /** Index just after the blank line that ends the part headers starting at start, or -1. */
  private headerEnd(head: Buffer, start: number): number {
    const from = Math.max(start, this.headerSearched - 3);
    const crlf = head.indexOf('\r\n\r\n', from);
    const lf = head.indexOf('\n\n', from);
    const end = crlf >= 0 && (lf < 0 || crlf < lf) ? crlf + 4 : lf >= 0 ? lf + 2 : -1;
    this.headerSearched = end < 0 ? head.length : 0;
    return end;
  }

  /** Keeps head from `from` on for the next chunk. */
  private hold(head: Buffer, from: number, fromHeld: boolean): undefined {
    if (fromHeld) this.held.dropFront(from);
    else this.held.append(head.subarray(from));
    this.searched = Math.max(0, this.searched - from);
    this.headerSearched = Math.max(0, this.headerSearched - from);
    return undefined;
  }

  /** The bytes of head from `from` on, for the next state; a copy when they are held (the held buffer is reused). */
  private handOver(head: Buffer, from: number, fromHeld: boolean): Buffer {
    const rest = fromHeld ? Buffer.from(head.subarray(from)) : head.subarray(from);
    this.held.clear();
    this.searched = 0;
    this.headerSearched = 0;
    return rest;
  }

  private bodyBytesFrom(chunk: Buffer): Buffer | undefined {
    const take = Math.min(chunk.length, this.need - this.bodyBytes);
    if (this.state === 'body') this.body.push(chunk.subarray(0, take));
    this.bodyBytes += take;
    if (this.bodyBytes < this.need) return undefined;
    if (this.state === 'body') {
      // A truncated part or an understated Content-Length is not a frame. wholeJpeg copies the frame out, so it
      // does not keep the socket's larger chunk alive.
      const part = this.body.length === 1 ? this.body[0] : Buffer.concat(this.body, this.need);
      const jpeg = wholeJpeg(part);
      if (jpeg) this.onFrame(jpeg);
      else this.rejectedParts++;
      const after = jpeg ? part.indexOf(jpeg.subarray(0, 64)) + jpeg.length : -1;
      if (after > 0 && part.indexOf(this.token, after) >= 0) {
        // An overstated Content-Length took in the next part's start: trusted, it would drop every other frame.
        // The JPEG splitter takes the rest of the stream, from the end of this frame.
        this.body = [];
        this.bodyBytes = 0;
        this.state = 'scan';
        this.splitter.push(part.subarray(after));
        return chunk.subarray(take);
      }
    }
    this.body = [];
    this.bodyBytes = 0;
    this.state = 'boundary';
    return chunk.subarray(take);
  }
}

/** The boundary parameter of a multipart Content-Type, unquoted. */
export function boundaryOf(contentType: string | undefined): string | undefined {
  const m = /boundary\s*=\s*(?:"([^"]+)"|([^;\s]+))/i.exec(contentType ?? '');
  return m ? (m[1] ?? m[2]) : undefined;
}
