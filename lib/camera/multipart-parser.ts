import { MjpegSplitter, wholeJpeg } from './mjpeg-splitter';

/** Bytes searched for the declared boundary before the stream is taken as plain JPEGs; bounds what is held. */
export const BOUNDARY_SEARCH_BYTES = 64 * 1024;
const SOI = Buffer.from([0xff, 0xd8]);

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
  private head: Buffer = Buffer.alloc(0);
  private body: Buffer[] = [];
  private bodyBytes = 0;
  private need = 0;
  /** Bytes at the start of head already searched for the boundary. */
  private searched = 0;
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

  /** Finds the boundary, then the blank line after the part headers; returns the bytes after them. */
  private header(chunk: Buffer): Buffer | undefined {
    this.head = this.head.length ? Buffer.concat([this.head, chunk]) : chunk;
    if (this.state === 'boundary') {
      const found = this.seekBoundary();
      if (found === 'scan') return this.scanFromHere();
      if (found === 'more') return undefined;
    }
    const crlf = this.head.indexOf('\r\n\r\n');
    const lf = this.head.indexOf('\n\n');
    const end = crlf >= 0 && (lf < 0 || crlf < lf) ? crlf + 4 : lf >= 0 ? lf + 2 : -1;
    if (end < 0) {
      // Part headers are short; anything longer is not a part header, so look for the next boundary.
      if (this.head.length > 16384) this.state = 'boundary';
      return undefined;
    }
    const headers = this.head.subarray(0, end).toString('latin1');
    const rest = this.head.subarray(end);
    this.head = Buffer.alloc(0);
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

  /** Looks for the boundary in head, from where the last search ended; 'scan' when the stream does not use it. */
  private seekBoundary(): 'found' | 'more' | 'scan' {
    const i = this.head.indexOf(this.token, Math.max(0, this.searched - this.token.length + 1));
    const soi = this.head.indexOf(SOI, Math.max(0, this.searched - 1));
    if (soi >= 0 && (i < 0 || soi < i)) return 'scan';
    if (i < 0) {
      this.searched = this.head.length;
      return this.head.length > BOUNDARY_SEARCH_BYTES ? 'scan' : 'more';
    }
    this.skippedBytes += i;
    this.head = this.head.subarray(i + this.token.length);
    this.searched = 0;
    this.state = 'headers';
    return 'found';
  }

  /** The rest of the stream goes to the JPEG splitter, starting with what was held while looking for a boundary. */
  private scanFromHere(): Buffer {
    const held = this.head;
    this.head = Buffer.alloc(0);
    this.searched = 0;
    this.state = 'scan';
    return held;
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
