export interface JpegHeader {
  width: number;
  height: number;
  /** An APP1 Exif segment came before the frame header (it may hold an orientation). */
  exif: boolean;
}

/** Reads a JPEG's frame header (SOFn) by walking its marker segments; undefined if it is not a readable JPEG header. */
export function jpegHeader(jpeg: Uint8Array): JpegHeader | undefined {
  if (jpeg.length < 4 || jpeg[0] !== 0xff || jpeg[1] !== 0xd8) return undefined;
  let pos = 2;
  let exif = false;
  while (pos + 3 < jpeg.length) {
    if (jpeg[pos] !== 0xff) return undefined;
    const m = jpeg[pos + 1];
    if (m === 0xff) {
      pos += 1;
      continue;
    }
    if (m === 0xd9 || m === 0xda) return undefined;
    if (m === 0x01 || (m >= 0xd0 && m <= 0xd7)) {
      pos += 2;
      continue;
    }
    const length = (jpeg[pos + 2] << 8) | jpeg[pos + 3];
    // SOF0..SOF15, except DHT (C4), JPG (C8) and DAC (CC) which share the range.
    if (m >= 0xc0 && m <= 0xcf && m !== 0xc4 && m !== 0xc8 && m !== 0xcc) {
      if (pos + 8 >= jpeg.length) return undefined;
      return { height: (jpeg[pos + 5] << 8) | jpeg[pos + 6], width: (jpeg[pos + 7] << 8) | jpeg[pos + 8], exif };
    }
    if (m === 0xe1 && pos + 9 < jpeg.length && jpeg[pos + 4] === 0x45 && jpeg[pos + 5] === 0x78 && jpeg[pos + 6] === 0x69 && jpeg[pos + 7] === 0x66) exif = true;
    if (length < 2) return undefined;
    pos += 2 + length;
  }
  return undefined;
}

/** Width and height from a JPEG's frame header; undefined if absent. */
export function jpegSize(jpeg: Uint8Array): { width: number; height: number } | undefined {
  const h = jpegHeader(jpeg);
  return h && { width: h.width, height: h.height };
}
