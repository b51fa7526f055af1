'use strict';
// Real JPEG frames for the camera tests, made with sharp at test time, and EXIF thumbnails built by hand.
const sharp = require('sharp');

/** n distinct JPEG frames (a colour gradient with the frame number's pattern), width x height. */
async function makeFrames(n, width = 160, height = 120, options = {}) {
  const frames = [];
  for (let i = 0; i < n; i++) {
    const data = Buffer.alloc(width * height * 3);
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const o = (y * width + x) * 3;
        data[o] = (x * 255) / width;
        data[o + 1] = (y * 255) / height;
        data[o + 2] = ((x ^ y) * (i + 1) * 37) & 0xff;
      }
    }
    frames.push(await sharp(data, { raw: { width, height, channels: 3 } }).jpeg({ quality: 80, ...options }).toBuffer());
  }
  return frames;
}

/** An EXIF APP1 segment (TIFF, IFD0 empty, IFD1 pointing at the thumbnail) that embeds a whole JPEG. */
function exifApp1(thumbnail) {
  const ifd1 = 8 + 6; // header 8, IFD0: count(2) + next(4)
  const entries = 2;
  const ifd1Size = 2 + entries * 12 + 4;
  const thumbOffset = ifd1 + ifd1Size;
  const tiff = Buffer.alloc(thumbOffset + thumbnail.length);
  tiff.write('II', 0, 'latin1');
  tiff.writeUInt16LE(42, 2);
  tiff.writeUInt32LE(8, 4);
  tiff.writeUInt16LE(0, 8); // IFD0: no entries
  tiff.writeUInt32LE(ifd1, 10); // next IFD: IFD1
  tiff.writeUInt16LE(entries, ifd1);
  const entry = (k, tag, value) => {
    const o = ifd1 + 2 + k * 12;
    tiff.writeUInt16LE(tag, o);
    tiff.writeUInt16LE(4, o + 2); // LONG
    tiff.writeUInt32LE(1, o + 4);
    tiff.writeUInt32LE(value, o + 8);
  };
  entry(0, 0x0201, thumbOffset); // JPEGInterchangeFormat
  entry(1, 0x0202, thumbnail.length); // JPEGInterchangeFormatLength
  tiff.writeUInt32LE(0, ifd1 + 2 + entries * 12);
  thumbnail.copy(tiff, thumbOffset);
  const body = Buffer.concat([Buffer.from('Exif\0\0', 'latin1'), tiff]);
  if (body.length + 2 > 0xffff) throw new Error('thumbnail too large for one APP1 segment');
  const head = Buffer.from([0xff, 0xe1, 0, 0]);
  head.writeUInt16BE(body.length + 2, 2);
  return Buffer.concat([head, body]);
}

/** The frame with an EXIF thumbnail (a whole JPEG, FFD9 included) inserted right after SOI. */
function withExifThumbnail(jpeg, thumbnail) {
  return Buffer.concat([jpeg.subarray(0, 2), exifApp1(thumbnail), jpeg.subarray(2)]);
}

/** Bytes that are not JPEG and contain no 0xFF (so no marker): what cameras and proxies put between frames. */
function junk(n, seed = 1) {
  const out = Buffer.alloc(n);
  let s = seed;
  for (let i = 0; i < n; i++) {
    s = (s * 1103515245 + 12345) & 0x7fffffff;
    out[i] = (s >> 16) % 255;
  }
  return out;
}

/** Splits a buffer into chunks of awkward sizes (1, 2, 3, 7, 13 ... bytes), deterministically. */
function oddChunks(buf, sizes = [1, 2, 3, 7, 13, 64, 251, 1021, 4093]) {
  const out = [];
  for (let o = 0, k = 0; o < buf.length; k++) {
    const n = sizes[(k * 7 + 3) % sizes.length];
    out.push(buf.subarray(o, o + n));
    o += n;
  }
  return out;
}

module.exports = { makeFrames, exifApp1, withExifThumbnail, junk, oddChunks };
