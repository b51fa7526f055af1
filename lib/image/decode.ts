import sharp from 'sharp';
import { ImageInput, isRawImage, RawImage } from '../types';
import { YoloEdgeError } from '../errors';
import { jpegHeader, jpegScanCount, startsWith } from './jpeg-header';
import { shown } from '../config/fields';
import { MAX_IMAGE_FILE_BYTES } from './read-file';

// Frames are never the same twice: libvips' operation cache would only hold memory.
sharp.cache(false);

export interface ImageLimits {
  /** Smallest accepted width or height. */
  minSide: number;
  /** Largest accepted width * height, checked from the header before decoding. */
  maxPixels: number;
  /**
   * Largest accepted width or height. Rows longer than a camera's cost libvips far more per pixel: a 140 KB PNG of
   * 6000000x8 held a decode for 6-13 s where 7000x7000 took 0.1 s; and the annotated JPEG cannot be over 65535.
   */
  maxSide: number;
}

/** maxSide is JPEG's own limit (libjpeg-turbo reads no larger). */
export const DEFAULT_LIMITS: ImageLimits = { minSide: 8, maxPixels: 50_000_000, maxSide: 65_500 };

/**
 * Most scans a JPEG may have. Encoders write 1 to 3 (baseline) or about 10 (progressive); libvips sets no limit,
 * and each scan costs a pass over every block (jpegScanCount).
 */
export const MAX_JPEG_SCANS = 100;

export interface ImageSize {
  width: number;
  height: number;
}

const FORMATS = new Set(['jpeg', 'png', 'webp']);

/** Formats told by their first bytes: those decoded here, and some others only to name them in the error. */
const SIGNATURES: ReadonlyArray<readonly [string, (b: Uint8Array) => boolean]> = [
  ['jpeg', (b) => b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff],
  ['png', (b) => b[0] === 0x89 && startsWith(b, 1, 'PNG\r\n\x1a\n')],
  ['webp', (b) => startsWith(b, 0, 'RIFF') && startsWith(b, 8, 'WEBP')],
  ['gif', (b) => startsWith(b, 0, 'GIF8')],
  ['tiff', (b) => startsWith(b, 0, 'II*\0') || startsWith(b, 0, 'MM\0*')],
  ['heif', (b) => startsWith(b, 4, 'ftyp')],
  ['pdf', (b) => startsWith(b, 0, '%PDF')],
  ['svg', (b) => /^(\ufeff)?\s*<(\?xml|svg|!DOCTYPE svg)/i.test(Buffer.from(b.buffer, b.byteOffset, Math.min(b.length, 64)).toString('utf8'))],
];

/**
 * The format of an image told by its first bytes. Anything but JPEG, PNG and WebP is refused before libvips sees
 * it: libvips reads the header of any format it has a loader for, and for an SVG that means parsing the whole
 * document (a 17 MB one of 600000 elements took 3 s and 1 GB to be refused as 'svg'; four at once left Node-RED at
 * 4.5 GB).
 */
function checkSignature(b: Uint8Array): string {
  const format = SIGNATURES.find(([, test]) => test(b))?.[0];
  if (format && FORMATS.has(format)) return format;
  if (format) throw new YoloEdgeError(`unsupported image format '${format}' (JPEG, PNG or WebP expected)`, 'BAD_IMAGE');
  throw new YoloEdgeError('not a readable image (JPEG, PNG or WebP expected): its first bytes are none of theirs', 'BAD_IMAGE');
}

/**
 * How encoded frames are opened. Their colour profile is not applied: OpenCV, which Ultralytics reads images with,
 * applies none, nor did whatever sent the same pixels raw (a Display P3 photo was up to 51 levels off both).
 */
const OPEN: sharp.SharpOptions = { limitInputPixels: false, failOn: 'error', ignoreIcc: true };

/** An image opened for decoding. */
export interface OpenedImage {
  image: sharp.Sharp;
  size: ImageSize;
  /**
   * It has alpha or more than 8 bits: to be made 8-bit RGB before it is resized. sharp resizes first, premultiplied by
   * the alpha it drops after, and from 16 bits: other pixels (up to 4 levels) than the same RGB frame's, and than
   * its own decoded whole (annotate on). Ultralytics' imread drops alpha and bits first.
   */
  rgbFirst: boolean;
  /** Its colour profile, not applied (OPEN): outputs drawn on its pixels carry it, to be shown in its colours. */
  icc?: Buffer;
}

/** A frame that passed checkFrame: an encoded image's format ('jpeg', 'png', 'webp'), none for raw pixels. */
export interface CheckedFrame {
  format?: string;
}

/**
 * The checks that read no more than a few bytes: raw pixels' shape and size, an encoded image's length and first
 * bytes. The image worker's caller makes them before the frame is copied to it, which for a 512 MB buffer of zeros
 * held the event loop 335 ms and took 512 MB more, only to be refused there; the worker takes its answer along.
 */
export function checkFrame(input: ImageInput, limits: ImageLimits = DEFAULT_LIMITS): CheckedFrame {
  if (isRawImage(input)) {
    const { width, height, channels, data } = input;
    // sharp takes 1 to 4 (gray, gray + alpha, RGB, RGBA); its own error for others says nothing of channels
    if (!Number.isInteger(channels) || channels < 1 || channels > 4) {
      throw new YoloEdgeError(`raw image: channels must be 1 (gray), 2 (gray + alpha), 3 (RGB) or 4 (RGBA), got ${shown(channels)}`, 'BAD_IMAGE');
    }
    if (!Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0 || data.length !== width * height * channels) {
      throw new YoloEdgeError(`raw image: ${data.length} bytes do not make ${width}x${height}x${channels}${paddedRows(data.length, width, height, channels)}`, 'BAD_IMAGE');
    }
    checkSize(width, height, limits);
    return {};
  }
  if (input.length === 0) throw new YoloEdgeError('image is empty (0 bytes)', 'BAD_IMAGE');
  if (input.length > MAX_IMAGE_FILE_BYTES) {
    throw new YoloEdgeError(`image is ${input.length} bytes, over the limit of ${MAX_IMAGE_FILE_BYTES}`, 'IMAGE_TOO_LARGE');
  }
  return { format: checkSignature(input) };
}

/**
 * Why raw pixels are longer than their size says, when it is rows padded to a stride (a camera library's buffers):
 * the rows must come packed.
 */
function paddedRows(length: number, width: number, height: number, channels: number): string {
  const row = width * channels;
  const stride = length / height;
  if (!Number.isInteger(stride) || stride <= row || stride >= 2 * row) return '';
  return ` (rows of ${stride} bytes, not ${row}: pack rows padded to a stride before sending them)`;
}

/**
 * Opens an image for decoding after checking its header: format, size, limits. Orientation is applied. `checked` is
 * checkFrame's answer for these bytes when the caller has it (the image worker's); without it the checks are made.
 */
export async function openImage(input: ImageInput, limits: ImageLimits = DEFAULT_LIMITS, checked = checkFrame(input, limits)): Promise<OpenedImage> {
  const { format } = checked;
  if (isRawImage(input)) {
    const { width, height, channels, data } = input;
    return { image: sharp(data, { raw: { width, height, channels } }), size: { width, height }, rgbFirst: channels === 2 || channels === 4 };
  }
  if (format === 'jpeg' && jpegScanCount(input, MAX_JPEG_SCANS) > MAX_JPEG_SCANS) {
    throw new YoloEdgeError(`JPEG has more than ${MAX_JPEG_SCANS} scans: each would take a pass over the whole image`, 'BAD_IMAGE');
  }
  // A camera JPEG without Exif or a profile has no orientation to apply nor profile to keep: its size is read here,
  // sparing a libvips call. Otherwise the size is checked here too (the limits hold either way round), before libvips
  // refuses it in its own words.
  const jpeg = jpegHeader(input);
  if (jpeg && jpeg.width > 0 && jpeg.height > 0) {
    checkSize(jpeg.width, jpeg.height, limits);
    if (!jpeg.exif && !jpeg.icc) return { image: sharp(input, OPEN), size: { width: jpeg.width, height: jpeg.height }, rgbFirst: false };
  }
  // Header first: the size is checked against our own limits before any pixel is decoded.
  const image = sharp(input, OPEN);
  let meta: sharp.Metadata;
  try {
    meta = await image.metadata();
  } catch (err) {
    throw new YoloEdgeError(`not a readable image (JPEG, PNG or WebP expected): ${(err as Error).message}`, 'BAD_IMAGE');
  }
  if (!meta.format || !FORMATS.has(meta.format)) {
    throw new YoloEdgeError(`unsupported image format '${meta.format}' (JPEG, PNG or WebP expected)`, 'BAD_IMAGE');
  }
  if (!meta.width || !meta.height) throw new YoloEdgeError('image header has no size', 'BAD_IMAGE');
  const swap = (meta.orientation ?? 1) >= 5;
  const size = swap ? { width: meta.height, height: meta.width } : { width: meta.width, height: meta.height };
  checkSize(size.width, size.height, limits);
  return { image: image.rotate(), size, rgbFirst: !!meta.hasAlpha || meta.depth !== 'uchar', icc: meta.icc };
}

function checkSize(width: number, height: number, limits: ImageLimits): void {
  if (width * height > limits.maxPixels) {
    throw new YoloEdgeError(`image is ${width}x${height}, over the limit of ${limits.maxPixels} pixels`, 'IMAGE_TOO_LARGE');
  }
  if (width > limits.maxSide || height > limits.maxSide) {
    throw new YoloEdgeError(`image is ${width}x${height}, over the limit of ${limits.maxSide} pixels on a side`, 'IMAGE_TOO_LARGE');
  }
  if (width < limits.minSide || height < limits.minSide) {
    throw new YoloEdgeError(`image is ${width}x${height}, smaller than ${limits.minSide} pixels on a side`, 'IMAGE_TOO_SMALL');
  }
}

/** Decodes to RGB bytes at the given size (bilinear), whatever the source has: alpha dropped, gray expanded. */
export async function decodeResizedRgb(image: sharp.Sharp, width: number, height: number, srcSize: ImageSize): Promise<Buffer> {
  let pipeline = image.removeAlpha().toColourspace('srgb');
  if (width !== srcSize.width || height !== srcSize.height) {
    // No JPEG shrink-on-load: it gave other pixels (up to 14 levels at 1920x1080) than a whole decode and resize,
    // which annotation needs, so turning annotate on changed the detections; it cost 1.5 ms more at 1920x1080 only.
    // fastShrinkOnLoad: false still shrinks on load by 2 from 4 times the size down; an extract before the resize
    // (of the whole frame) is what makes sharp skip it: 7 ms more at 2560x1440, 10 ms at 3840x2160, in the worker.
    // (A pipeline colourspace skips it too, but converts a CMYK JPEG otherwise than the whole decode does.)
    pipeline = pipeline.extract({ left: 0, top: 0, width: srcSize.width, height: srcSize.height }).resize(width, height, { fit: 'fill', kernel: 'linear', fastShrinkOnLoad: false });
  }
  try {
    const { data, info } = await pipeline.raw().toBuffer({ resolveWithObject: true });
    if (info.channels !== 3 || info.width !== width || info.height !== height) {
      throw new YoloEdgeError(`decoder gave ${info.width}x${info.height}x${info.channels}`, 'BAD_IMAGE');
    }
    return data;
  } catch (err) {
    if (err instanceof YoloEdgeError) throw err;
    throw new YoloEdgeError(`image could not be decoded: ${(err as Error).message}`, 'BAD_IMAGE');
  }
}

/** The whole oriented frame as RGB bytes, with its profile (for annotation, which then needs no second decode). */
export async function decodeRgb({ image, size, icc }: OpenedImage): Promise<RawImage> {
  return { data: await decodeResizedRgb(image, size.width, size.height, size), width: size.width, height: size.height, channels: 3, icc };
}

/** Resizes RGB pixels as decodeResizedRgb resizes an encoded image (bilinear). */
export async function resizeRgb(image: RawImage, width: number, height: number): Promise<Buffer> {
  const src = sharp(image.data, { raw: { width: image.width, height: image.height, channels: image.channels } });
  return decodeResizedRgb(src, width, height, image);
}
