export interface JpegHeader {
  width: number;
  height: number;
  /** An APP1 Exif segment came before the first scan (it may hold an orientation). */
  exif: boolean;
  /** The Exif orientation (1 to 8) of the first Exif segment that gives one; 1 without. */
  orientation: number;
  /** An APP2 ICC_PROFILE segment came before the first scan (a colour profile). */
  icc: boolean;
}

interface Segment {
  marker: number;
  /** Where the segment's 0xFF is. */
  pos: number;
  length: number;
}

/**
 * The marker segments of a JPEG after its SOI, in order, up to EOI or the first byte that is not a marker. Fill bytes
 * and standalone markers (TEM, RSTn) are passed over; after each scan (SOS), its entropy-coded data is skipped by
 * its markers (0xFF not followed by 0x00, a restart marker or more 0xFF fill).
 */
function* segments(jpeg: Uint8Array): Generator<Segment> {
  let pos = 2;
  while (pos + 3 < jpeg.length) {
    if (jpeg[pos] !== 0xff) return;
    const marker = jpeg[pos + 1];
    if (marker === 0xff) {
      pos += 1;
      continue;
    }
    if (marker === 0xd9) return;
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
      pos += 2;
      continue;
    }
    const length = (jpeg[pos + 2] << 8) | jpeg[pos + 3];
    if (length < 2) return;
    yield { marker, pos, length };
    pos += 2 + length;
    if (marker === 0xda) pos = afterEntropyData(jpeg, pos);
  }
}

/** Where the marker after a scan's entropy-coded data starting at `pos` is; past the end when there is none. */
function afterEntropyData(jpeg: Uint8Array, pos: number): number {
  for (;;) {
    pos = jpeg.indexOf(0xff, pos);
    if (pos < 0 || pos + 1 >= jpeg.length) return jpeg.length;
    const next = jpeg[pos + 1];
    if (next !== 0x00 && next !== 0xff && !(next >= 0xd0 && next <= 0xd7)) return pos;
    pos += next === 0xff ? 1 : 2;
  }
}

const ICC_TAG = 'ICC_PROFILE\0';
/** Profile bytes per APP2 segment: the segment's 65535 less its length, tag, and sequence number and count. */
const ICC_CHUNK = 65535 - 2 - ICC_TAG.length - 2;

/** The bytes at `at` are those of `text` (latin1). */
export function startsWith(b: Uint8Array, at: number, text: string): boolean {
  if (b.length < at + text.length) return false;
  for (let i = 0; i < text.length; i++) if (b[at + i] !== text.charCodeAt(i)) return false;
  return true;
}

/**
 * The JPEG with a colour profile embedded (APP2 ICC_PROFILE segments, after the JFIF segment if there is one); as it
 * was if the profile does not fit in the 255 segments a JPEG allows.
 */
export function withIccProfile(jpeg: Buffer, icc: Uint8Array): Buffer {
  const count = Math.ceil(icc.length / ICC_CHUNK);
  if (count === 0 || count > 255 || jpeg[0] !== 0xff || jpeg[1] !== 0xd8) return jpeg;
  const at = jpeg[2] === 0xff && jpeg[3] === 0xe0 ? 4 + ((jpeg[4] << 8) | jpeg[5]) : 2;
  const segments: Buffer[] = [];
  for (let k = 0; k < count; k++) {
    const chunk = icc.subarray(k * ICC_CHUNK, (k + 1) * ICC_CHUNK);
    const head = Buffer.alloc(4 + ICC_TAG.length + 2);
    head.writeUInt16BE(0xffe2, 0);
    head.writeUInt16BE(2 + ICC_TAG.length + 2 + chunk.length, 2);
    head.write(ICC_TAG, 4, 'latin1');
    head[4 + ICC_TAG.length] = k + 1;
    head[5 + ICC_TAG.length] = count;
    segments.push(head, Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length));
  }
  return Buffer.concat([jpeg.subarray(0, at), ...segments, jpeg.subarray(at)]);
}

/**
 * Reads a JPEG's frame header (SOFn) by walking its marker segments, and looks for Exif up to the first scan: libjpeg
 * (so libvips) and browsers read an orientation after the frame header too, and a photo whose Exif came there was
 * taken unturned. Undefined if it is not a readable JPEG header.
 */
export function jpegHeader(jpeg: Uint8Array): JpegHeader | undefined {
  if (jpeg.length < 4 || jpeg[0] !== 0xff || jpeg[1] !== 0xd8) return undefined;
  let exif = false;
  let orientation = 1;
  let icc = false;
  let size: { width: number; height: number } | undefined;
  for (const { marker: m, pos, length } of segments(jpeg)) {
    if (m === 0xda) break;
    // SOF0..SOF15, except DHT (C4), JPG (C8) and DAC (CC) which share the range.
    if (!size && m >= 0xc0 && m <= 0xcf && m !== 0xc4 && m !== 0xc8 && m !== 0xcc) {
      if (pos + 8 >= jpeg.length) return undefined;
      size = { height: (jpeg[pos + 5] << 8) | jpeg[pos + 6], width: (jpeg[pos + 7] << 8) | jpeg[pos + 8] };
    }
    if (m === 0xe1 && pos + 9 < jpeg.length && jpeg[pos + 4] === 0x45 && jpeg[pos + 5] === 0x78 && jpeg[pos + 6] === 0x69 && jpeg[pos + 7] === 0x66) {
      if (!exif) orientation = exifOrientation(jpeg, pos + 10, Math.min(jpeg.length, pos + 2 + length));
      exif = true;
    }
    if (m === 0xe2 && startsWith(jpeg, pos + 4, ICC_TAG)) icc = true;
  }
  return size && { ...size, exif, orientation, icc };
}

/**
 * The orientation tag (0x0112) of the Exif TIFF structure in [tiff, end): IFD0's entry, a SHORT; 1 when there is
 * none or it is out of range (as libvips takes it).
 */
function exifOrientation(b: Uint8Array, tiff: number, end: number): number {
  if (tiff + 8 > end) return 1;
  const le = b[tiff] === 0x49 && b[tiff + 1] === 0x49;
  if (!le && !(b[tiff] === 0x4d && b[tiff + 1] === 0x4d)) return 1;
  const u16 = (at: number): number => (le ? b[at] | (b[at + 1] << 8) : (b[at] << 8) | b[at + 1]);
  const u32 = (at: number): number => (le ? u16(at) + u16(at + 2) * 0x10000 : u16(at) * 0x10000 + u16(at + 2));
  const ifd = tiff + u32(tiff + 4);
  if (ifd + 2 > end) return 1;
  const entries = u16(ifd);
  for (let k = 0, at = ifd + 2; k < entries && at + 12 <= end; k++, at += 12) {
    if (u16(at) !== 0x0112) continue;
    const v = u16(at + 8);
    return u16(at + 2) === 3 && v >= 1 && v <= 8 ? v : 1;
  }
  return 1;
}

/**
 * Width and height of a JPEG as shown, its Exif orientation applied (as detection reports them: imageWidth and
 * imageHeight); undefined if it has no frame header.
 */
export function jpegSize(jpeg: Uint8Array): { width: number; height: number } | undefined {
  const h = jpegHeader(jpeg);
  if (!h) return undefined;
  return h.orientation >= 5 ? { width: h.height, height: h.width } : { width: h.width, height: h.height };
}

/**
 * How many scans (SOS segments) a JPEG has, counting no further than `stopAfter + 1`. Each scan of a progressive
 * JPEG makes the decoder walk every block of the image again, yet one EOB run covers 32767 blocks in a few bytes:
 * a 1 MB upload of 30000 scans held a decode for 32 s.
 */
export function jpegScanCount(jpeg: Uint8Array, stopAfter: number): number {
  let scans = 0;
  for (const { marker } of segments(jpeg)) {
    if (marker === 0xda && ++scans > stopAfter) break;
  }
  return scans;
}
