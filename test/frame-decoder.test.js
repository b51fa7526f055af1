'use strict';
// The image worker: frames are decoded and letterboxed off the event loop's heap, and written into the detector's
// shared slot as the model's input tensor, exactly as in-process; a worker that dies fails only the frames in it,
// and it ends with its last user.
const assert = require('assert');
const fs = require('fs');
const vm = require('vm');
const { cocoImage, lib } = require('./support/paths');
const fx = require('./support/fixtures');
const { until } = require('./support/wait');

const { FrameDecoder } = lib('runtime/frame-decoder');
const { Preprocessor } = lib('image/preprocess');
const { DEFAULT_LIMITS } = lib('image/decode');
const { annotateImage } = lib('image/annotate');
const { annotatedThumbnail } = lib('image/thumbnail');
const { letterboxGeometry } = lib('image/letterbox');
const sharp = require('sharp');

const slotOf = (key, width = 640, height = 640, stride = 0, tensor = 'uint8') =>
  ({ key, buffer: new SharedArrayBuffer(3 * width * height * (tensor === 'uint8' ? 1 : 4)), tensor, width, height, stride, limits: DEFAULT_LIMITS });
/**
 * The input tensor Ultralytics' letterbox makes, built apart from the code under test: the whole image decoded, then
 * resized by sharp (bilinear, as the detector asks of it), the padding is 114, the planes laid out value by value.
 */
async function referenceTensor(jpeg, dstWidth, dstHeight, tensor = 'uint8') {
  const meta = await sharp(jpeg).metadata();
  const g = letterboxGeometry(meta.width, meta.height, dstWidth, dstHeight);
  let rgb = await sharp(jpeg).removeAlpha().raw().toBuffer();
  if (g.width !== meta.width || g.height !== meta.height) {
    rgb = await sharp(rgb, { raw: { width: meta.width, height: meta.height, channels: 3 } }).resize(g.width, g.height, { fit: 'fill', kernel: 'linear' }).raw().toBuffer();
  }
  const plane = dstWidth * dstHeight;
  const t = tensor === 'uint8' ? new Uint8Array(3 * plane) : new Float32Array(3 * plane);
  for (let c = 0; c < 3; c++) {
    for (let y = 0; y < dstHeight; y++) {
      for (let x = 0; x < dstWidth; x++) {
        const inside = x >= g.left && x < g.left + g.width && y >= g.top && y < g.top + g.height;
        const byte = inside ? rgb[3 * ((y - g.top) * g.width + x - g.left) + c] : 114;
        t[c * plane + y * dstWidth + x] = tensor === 'uint8' ? byte : byte / 255;
      }
    }
  }
  return Buffer.from(t.buffer);
}
const slotBytes = (slot, width = 640, height = 640) => Buffer.from(slot.buffer, 0, 3 * width * height * (slot.tensor === 'uint8' ? 1 : 4));

describe('image worker', function () {
  this.timeout(60000);
  let jpeg;
  let decoder;
  before(() => {
    jpeg = fs.readFileSync(cocoImage('000000000025.jpg')); // 640x426
  });
  beforeEach(() => {
    decoder = new FrameDecoder();
    decoder.acquire();
  });
  afterEach(async () => {
    await decoder.release();
  });

  it('writes into the shared slot the input tensor of the letterboxed frame, uint8 or float32', async () => {
    let key = 1;
    const portrait = await sharp(jpeg).resize(300, 700, { fit: 'fill' }).jpeg().toBuffer(); // 274x640 at left 183: row by row
    // large enough for JPEG shrink-on-load, which gave other pixels than the whole decode annotation ('full') needs
    const big = await sharp(jpeg).resize(1920, 1080, { fit: 'fill' }).jpeg().toBuffer();
    const sizeOf = new Map([[jpeg, [640, 426]], [portrait, [300, 700]], [big, [1920, 1080]]]);
    for (const image of [jpeg, portrait, big]) {
      for (const tensor of ['uint8', 'float32']) {
        const want = await referenceTensor(image, 640, 640, tensor);
        for (const keep of ['none', 'model', 'full']) {
          const slot = slotOf(key++, 640, 640, 0, tensor);
          const got = await decoder.prepare(slot, image, keep);
          assert.deepStrictEqual(got.geometry, letterboxGeometry(...sizeOf.get(image), 640, 640));
          assert.deepStrictEqual([got.width, got.height], [640, 640]);
          assert.ok(slotBytes(slot).equals(want), `${sizeOf.get(image).join('x')} ${tensor} tensor, keep ${keep}`);
          if (keep !== 'none') decoder.drop(got.frame);
        }
      }
    }
  });

  it('letterboxes a camera JPEG of 4 or more times the input size from its whole decode, kept or not (no shrink-on-load)', async () => {
    // libjpeg decoded it at half size first with fastShrinkOnLoad off too (sharp leaves a factor of 2 to resize):
    // up to 14 levels off the whole frame resized, so annotate on (the whole frame kept) changed the detections
    let key = 400;
    for (const [width, height] of [[2560, 1440], [3840, 2160]]) {
      const big = await sharp(jpeg).resize(width, height, { fit: 'fill' }).jpeg().toBuffer();
      const want = await referenceTensor(big, 640, 640);
      for (const keep of ['none', 'model', 'full']) {
        const slot = slotOf(key++);
        const got = await decoder.prepare(slot, big, keep);
        assert.ok(slotBytes(slot).equals(want), `${width}x${height}, keep ${keep}`);
        if (keep !== 'none') decoder.drop(got.frame);
      }
    }
    const cmyk = await sharp(jpeg).resize(3840, 2160, { fit: 'fill' }).toColourspace('cmyk').jpeg().toBuffer();
    const [none, full] = [slotOf(key++), slotOf(key++)];
    await decoder.prepare(none, cmyk, 'none');
    decoder.drop((await decoder.prepare(full, cmyk, 'full')).frame);
    assert.ok(slotBytes(none).equals(slotBytes(full)), 'a CMYK JPEG, kept or not');
  });

  it('letterboxes raw pixels as it does the same pixels encoded: at the model scale or resized, RGB or RGBA', async () => {
    let key = 100;
    const raw = async (img) => {
      const { data, info } = await img.raw().toBuffer({ resolveWithObject: true });
      return { data, width: info.width, height: info.height, channels: info.channels };
    };
    const frames = [await raw(sharp(jpeg)), await raw(sharp(jpeg).resize(960, 639, { fit: 'fill' })), await raw(sharp(jpeg).ensureAlpha())];
    for (const frame of frames) {
      const png = await sharp(frame.data, { raw: { width: frame.width, height: frame.height, channels: frame.channels } }).png().toBuffer();
      const want = await referenceTensor(png, 640, 640);
      for (const keep of ['none', 'model', 'full']) {
        const slot = slotOf(key++);
        const got = await decoder.prepare(slot, frame, keep);
        assert.ok(slotBytes(slot).equals(want), `${frame.width}x${frame.height}x${frame.channels}, keep ${keep}`);
        if (keep !== 'none') decoder.drop(got.frame);
      }
    }
  });

  it('letterboxes a frame with alpha or of 16 bits as the same pixels in 8-bit RGB, kept or not (they were resized before their alpha and bits went)', async () => {
    // sharp resized first, premultiplied by the alpha it dropped after, and in 16 bits: up to 4 levels off, moving
    // scores by up to 0.1, and other pixels with annotate on (decoded whole first) than off
    const size = { width: 960, height: 639 };
    const rgb = await sharp(jpeg).resize(size.width, size.height, { fit: 'fill' }).raw().toBuffer();
    const gray = await sharp(rgb, { raw: { ...size, channels: 3 } }).greyscale().raw().toBuffer();
    const withAlpha = (px, channels) => {
      const out = Buffer.alloc((px.length / channels) * (channels + 1));
      for (let i = 0, o = 0; i < px.length; i += channels) {
        for (let c = 0; c < channels; c++) out[o++] = px[i + c];
        out[o++] = 60 + (i % 150); // partly transparent, varying
      }
      return out;
    };
    const rawOf = (data, channels) => ({ data, ...size, channels });
    const png = (frame, colourspace) => {
      const img = sharp(frame.data, { raw: { ...size, channels: frame.channels } });
      return (colourspace ? img.toColourspace(colourspace) : img).png().toBuffer();
    };
    const rgbWant = await referenceTensor(await png(rawOf(rgb, 3)), 640, 640);
    const grayWant = await referenceTensor(await png(rawOf(gray, 1)), 640, 640);
    const frames = [
      ['RGBA raw', rawOf(withAlpha(rgb, 3), 4), rgbWant],
      ['RGBA PNG', await png(rawOf(withAlpha(rgb, 3), 4)), rgbWant],
      ['RGBA WebP', await sharp(withAlpha(rgb, 3), { raw: { ...size, channels: 4 } }).webp({ lossless: true, exact: true }).toBuffer(), rgbWant],
      ['16-bit PNG', await png(rawOf(rgb, 3), 'rgb16'), rgbWant],
      ['gray + alpha raw', rawOf(withAlpha(gray, 1), 2), grayWant],
      ['16-bit gray PNG', await png(rawOf(gray, 1), 'grey16'), grayWant],
    ];
    let key = 200;
    for (const [name, frame, want] of frames) {
      for (const keep of ['none', 'model', 'full']) {
        const slot = slotOf(key++);
        const got = await decoder.prepare(slot, frame, keep);
        assert.ok(slotBytes(slot).equals(want), `${name}, keep ${keep}`);
        if (keep !== 'none') decoder.drop(got.frame);
      }
    }
  });

  it('letterboxes a JPEG or PNG with a colour profile (a phone\'s Display P3) as its pixels, as OpenCV reads them for Ultralytics', async () => {
    // the profile was applied: up to 51 levels off the same pixels sent raw, and off what the model was trained on
    let key = 300;
    for (const format of ['jpeg', 'png']) {
      const tagged = await sharp(jpeg).withIccProfile('p3')[format]().toBuffer();
      const { data, info } = await sharp(tagged, { ignoreIcc: true }).raw().toBuffer({ resolveWithObject: true });
      assert.ok((await sharp(tagged).metadata()).icc, 'the file has a profile');
      for (const keep of ['none', 'full']) {
        const [fromFile, fromPixels] = [slotOf(key++), slotOf(key++)];
        const a = await decoder.prepare(fromFile, tagged, keep);
        const b = await decoder.prepare(fromPixels, { data, width: info.width, height: info.height, channels: 3 }, keep);
        assert.ok(slotBytes(fromFile).equals(slotBytes(fromPixels)), `${format}, keep ${keep}`);
        if (keep !== 'none') [a, b].forEach((r) => decoder.drop(r.frame));
      }
    }
  });

  it('gives the annotated JPEG and thumbnail of a photo with a colour profile (Display P3) that profile, on the pixels the model got', async () => {
    // they had the file's pixels without its profile: viewers showed them less saturated than the photo
    const { data, info } = await sharp(jpeg).raw().toBuffer({ resolveWithObject: true });
    const dets = [{ class: 'giraffe', classId: 23, score: 0.9, box: { x1: 100, y1: 50, x2: 400, y2: 400 } }];
    const drawn = async (image, keep) => {
      const r = await decoder.prepare(slotOf(1), image, keep);
      return decoder.draw(r.frame, { detections: dets, width: info.width, height: info.height, annotate: keep === 'full', thumbnail: 160 });
    };
    const pixelsOf = async (jpg) => (await sharp(jpg, { ignoreIcc: true }).raw().toBuffer());
    for (const format of ['jpeg', 'png', 'webp']) {
      const tagged = await sharp(data, { raw: info }).withIccProfile('p3')[format]().toBuffer();
      const { icc } = await sharp(tagged).metadata();
      assert.ok(icc, `the ${format} has a profile`);
      const full = await drawn(tagged, 'full');
      const model = await drawn(tagged, 'model');
      for (const [what, out] of [['annotated', full.annotated], ['thumbnail', full.thumbnail], ['thumbnail without annotation', model.thumbnail]]) {
        assert.ok((await sharp(out).metadata()).icc?.equals(icc), `${format} ${what}: the photo's profile`);
      }
      // the same as the file's pixels sent raw give, which have no profile to keep
      const untagged = await drawn({ data: await sharp(tagged, { ignoreIcc: true }).raw().toBuffer(), width: info.width, height: info.height, channels: 3 }, 'full');
      assert.strictEqual((await sharp(untagged.annotated).metadata()).icc, undefined);
      assert.ok((await pixelsOf(full.annotated)).equals(await pixelsOf(untagged.annotated)), `${format}: the file's pixels, not converted`);
    }
  });

  it('draws the annotated frame and a thumbnail on the kept pixels as in-process drawing does, then drops them', async () => {
    const dets = [{ class: 'person', classId: 0, score: 0.9, box: { x1: 100, y1: 80, x2: 300, y2: 400 } }];
    const full = await decoder.prepare(slotOf(1), jpeg, 'full');
    const drawn = await decoder.draw(full.frame, { detections: dets, width: 640, height: 426, annotate: true, thumbnail: 160 });
    const pixels = (await new Preprocessor(new ArrayBuffer(3 * 640 * 640), 'uint8', 640, 640).run(jpeg, 'full')).pixels;
    assert.ok(Buffer.isBuffer(drawn.annotated) && Buffer.isBuffer(drawn.thumbnail));
    assert.ok(drawn.annotated.equals(await annotateImage(pixels, 640, 426, dets)), 'annotated JPEG');
    assert.ok(drawn.thumbnail.equals(await annotatedThumbnail(pixels, 640, 426, dets, 160)), 'thumbnail JPEG');
    await assert.rejects(decoder.draw(full.frame, { detections: dets, width: 640, height: 426, annotate: true, thumbnail: 0 }), (e) => e.code === 'WORKER_DIED');
    const alone = await decoder.prepare(slotOf(3), jpeg, 'full'); // no thumbnail: drawn in place, the same JPEG
    const only = await decoder.draw(alone.frame, { detections: dets, width: 640, height: 426, annotate: true, thumbnail: 0 });
    assert.ok(only.annotated.equals(drawn.annotated) && only.thumbnail === undefined, 'annotated alone');
    const model = await decoder.prepare(slotOf(2), jpeg, 'model');
    const thumb = await decoder.draw(model.frame, { detections: dets, width: 640, height: 426, annotate: false, thumbnail: 160 });
    assert.strictEqual(thumb.annotated, undefined);
    assert.deepStrictEqual(await sharp(thumb.thumbnail).metadata().then((m) => [m.format, m.width, m.height]), ['jpeg', 160, 107]);
  });

  it('keeps each slot\'s padding apart, and follows a dynamic-shape model\'s input size', async () => {
    const a = slotOf(1);
    const b = slotOf(2, 640, 640, 32);
    const tall = await sharpJpeg(300, 600);
    await decoder.prepare(a, tall, 'none');
    const r = await decoder.prepare(b, jpeg, 'none'); // 640x426: a 640x448 input for stride 32
    assert.deepStrictEqual([r.width, r.height], [640, 448]);
    assert.ok(slotBytes(b, 640, 448).equals(await referenceTensor(jpeg, 640, 448)), 'slot b holds a 640x448 tensor');
    const again = await decoder.prepare(a, jpeg, 'none');
    assert.deepStrictEqual(again.geometry, letterboxGeometry(640, 426, 640, 640));
    assert.ok(slotBytes(a).equals(await referenceTensor(jpeg, 640, 640)), 'slot a repadded for the new geometry');
  });

  it('takes a frame cut out of a larger buffer (only the frame\'s bytes go to the worker)', async () => {
    const chunk = Buffer.concat([Buffer.alloc(5000, 7), jpeg, Buffer.alloc(3000, 9)]);
    const frame = chunk.subarray(5000, 5000 + jpeg.length);
    const r = await decoder.prepare(slotOf(1), frame, 'none');
    assert.strictEqual(r.geometry.srcHeight, 426);
    assert.strictEqual(r.geometry.srcWidth, 640);
    assert.strictEqual(chunk[0], 7, 'the caller\'s buffer is untouched');
  });

  it('copies a large frame for the worker across turns of the event loop and hands the copy over; a smaller one is posted as it is: the caller\'s bytes stay as they were', async () => {
    // posted as it was, a frame was copied in one go on the event loop (23 ms for a 48 MB JPEG); a copy of its own
    // made a 6 MB frame's longer
    const { Worker } = require('worker_threads');
    const { SLICED_FROM } = require('../dist/lib/runtime/frame-decoder');
    const size = { width: 3840, height: 2160 };
    const rgb = await sharp(jpeg).resize(size.width, size.height, { fit: 'fill' }).raw().toBuffer();
    const png = await sharp(rgb, { raw: { ...size, channels: 3 } }).png({ compressionLevel: 1 }).toBuffer();
    assert.ok(png.length >= SLICED_FROM && jpeg.length < SLICED_FROM, `a PNG of ${png.length} bytes, a JPEG of ${jpeg.length}`);
    const post = Worker.prototype.postMessage;
    const posted = [];
    let turns = 0;
    Worker.prototype.postMessage = function (m, transfer) {
      if (m.type === 'prepare') posted.push({ turns, bytes: m.image.data ?? m.image, transfer });
      return post.call(this, m, transfer);
    };
    let spinning = true;
    const spin = () => { turns++; if (spinning) setImmediate(spin); };
    setImmediate(spin);
    try {
      for (const [image, sliced, want] of [[{ data: rgb, ...size, channels: 3 }, true, png], [png, true, png], [jpeg, false, jpeg]]) {
        const bytes = image.data ?? image;
        const before = Buffer.from(bytes);
        const slot = slotOf(posted.length + 1);
        const start = turns;
        await decoder.prepare(slot, image, 'none');
        const sent = posted.at(-1);
        if (sliced) {
          assert.ok(sent.turns - start >= 2, `the event loop turned ${sent.turns - start} times before the frame was posted`);
          assert.ok(sent.bytes !== bytes && sent.bytes.byteLength === 0 && sent.transfer.length === 1, 'a copy was handed over, not cloned');
        } else {
          assert.ok(sent.turns === start && sent.transfer.length === 0 && sent.bytes.byteLength === bytes.byteLength, 'posted as it is (cloned), in the same turn');
        }
        assert.ok(bytes.byteLength === before.length && bytes.equals(before), 'the caller\'s bytes are neither detached nor changed');
        assert.ok(slotBytes(slot).equals(await referenceTensor(want, 640, 640)), 'the frame\'s input tensor');
      }
    } finally {
      spinning = false;
      Worker.prototype.postMessage = post;
    }
  });

  it('sends only the pixels of a raw image: a method or a buffer a source attached is neither copied nor an error', async () => {
    const { data, info } = await sharp(jpeg).removeAlpha().raw().toBuffer({ resolveWithObject: true });
    const plain = { data, width: info.width, height: info.height, channels: 3 };
    const [a, b] = [slotOf(1), slotOf(3)];
    await decoder.prepare(a, plain, 'none');
    const decorated = { ...plain, release() {}, source: Buffer.alloc(64 << 20) };
    const r = await decoder.prepare(b, decorated, 'none');
    assert.strictEqual(r.geometry.srcWidth, 640);
    assert.ok(slotBytes(b).equals(slotBytes(a)), 'the same input tensor');
    // a request that cannot be posted at all fails with a code of its own and leaves nothing waiting for an answer
    await assert.rejects(decoder.prepare({ ...slotOf(2), describe() {} }, jpeg, 'none'), (e) => e.code === 'BAD_PAYLOAD');
    assert.strictEqual(decoder.pending.size, 0);
  });

  it('leaves a caller\'s pixels in a SharedArrayBuffer as they were: the boxes are drawn on the worker\'s own copy', async () => {
    const { data, info } = await sharp(jpeg).removeAlpha().raw().toBuffer({ resolveWithObject: true });
    // ours, and one made in a function node (its sandbox has a SharedArrayBuffer of its own, not ours by instanceof)
    const made = { ours: new Uint8Array(new SharedArrayBuffer(data.length)), sandbox: vm.runInNewContext(`new Uint8Array(new SharedArrayBuffer(${data.length}))`) };
    for (const [where, shared] of Object.entries(made)) {
      shared.set(data);
      const r = await decoder.prepare(slotOf(1), { data: shared, width: info.width, height: info.height, channels: 3 }, 'full');
      const box = { x1: 10, y1: 10, x2: 300, y2: 200 };
      const drawn = await decoder.draw(r.frame, { detections: [{ class: 'zebra', classId: 22, score: 0.9, box }], width: info.width, height: info.height, annotate: true, thumbnail: 0 });
      assert.ok(drawn.annotated.length > 0);
      assert.ok(Buffer.from(shared).equals(data), `the frame a flow may still use has no boxes on it (${where})`);
    }
  });

  it('gives bad images their error code across the thread', async () => {
    await assert.rejects(decoder.prepare(slotOf(1), fx.corruptJpeg(jpeg), 'none'), (e) => e.code === 'BAD_IMAGE');
    await assert.rejects(decoder.prepare(slotOf(1), Buffer.from('not an image'), 'none'), (e) => e.code === 'BAD_IMAGE');
    await assert.rejects(decoder.prepare(slotOf(1), fx.pngClaiming(20000, 20000), 'none'), (e) => e.code === 'IMAGE_TOO_LARGE');
  });

  it('refuses an image over 65500 pixels on a side (IMAGE_TOO_LARGE) before decoding, whatever its format and orientation', async () => {
    // a 6000000x8 PNG of 140 KB held a decode for seconds; a JPEG with Exif was refused by libvips as BAD_IMAGE
    const wide = await sharp(Buffer.alloc(6000000 * 8), { raw: { width: 6000000, height: 8, channels: 1 } }).png().toBuffer();
    const exif = await sharp(jpeg).withMetadata({ orientation: 6 }).jpeg().toBuffer();
    const t0 = Date.now();
    for (const [image, size] of [[wide, '6000000x8'], [fx.pngClaiming(8, 70000), '8x70000'], [fx.jpegClaiming(exif, 65535, 600), '65535x600'],
      [{ data: Buffer.alloc(70000 * 8), width: 70000, height: 8, channels: 1 }, '70000x8']]) {
      await assert.rejects(decoder.prepare(slotOf(1), image, 'full'), (e) => e.code === 'IMAGE_TOO_LARGE' && e.message === `image is ${size}, over the limit of 65500 pixels on a side`);
    }
    assert.ok(Date.now() - t0 < 2000, `took ${Date.now() - t0} ms`);
    const r = await decoder.prepare(slotOf(1), exif, 'none');
    assert.deepStrictEqual([r.geometry.srcWidth, r.geometry.srcHeight], [426, 640], 'an Exif JPEG within the limits is still turned');
  });

  it('refuses a JPEG of many scans at once, which would hold a decode for as long as its sender likes', async () => {
    // 3000 scans of 4000x4000 are 120 KB and took about 3 s to decode (0.8 ms a scan); 20 MB would take minutes
    const bomb = await fx.jpegWithScans(4000, 4000, 3000);
    const t = performance.now();
    await assert.rejects(decoder.prepare(slotOf(1), bomb, 'none'), (e) => e.code === 'BAD_IMAGE' && /more than 100 scans/.test(e.message));
    assert.ok(performance.now() - t < 1000, `refused after ${(performance.now() - t).toFixed(0)} ms`);
    // what encoders write passes: a progressive JPEG with the optimized scan script, and one of 60 scans (sharp's 10 and 50 more)
    for (const ok of [await sharp(jpeg).jpeg({ progressive: true, optimizeScans: true }).toBuffer(), await fx.jpegWithScans(64, 64, 50)]) {
      const r = await decoder.prepare(slotOf(2), ok, 'none');
      assert.ok(r.geometry.srcWidth > 0);
    }
  });

  it('refuses an SVG, GIF, TIFF or HEIF by its first bytes, without libvips reading it', async () => {
    // libvips parsed a whole SVG to read its size before it was refused as 'svg': this one took 3 s and 1 GB
    const svg = Buffer.from(`<svg xmlns="http://www.w3.org/2000/svg" width="100" height="100">${'<rect width="1" height="1"/>'.repeat(600000)}</svg>`);
    const other = [
      ['gif', await sharp(jpeg).gif().toBuffer()],
      ['tiff', await sharp(jpeg).tiff().toBuffer()],
      ['heif', await sharp(jpeg).resize(64).avif().toBuffer()],
      ['svg', Buffer.from('<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="64" height="64"><image xlink:href="file:///etc/passwd"/></svg>')],
    ];
    global.gc?.();
    const before = process.memoryUsage().rss;
    const t = performance.now();
    await assert.rejects(decoder.prepare(slotOf(1), svg, 'none'), (e) => e.code === 'BAD_IMAGE' && /unsupported image format 'svg'/.test(e.message));
    assert.ok(performance.now() - t < 500, `refused after ${(performance.now() - t).toFixed(0)} ms`);
    assert.ok(process.memoryUsage().rss - before < 100 * 2 ** 20, `RSS grew by ${((process.memoryUsage().rss - before) / 2 ** 20).toFixed(0)} MB`);
    for (const [format, bytes] of other) {
      await assert.rejects(decoder.prepare(slotOf(1), bytes, 'none'), (e) => e.code === 'BAD_IMAGE' && e.message.includes(`unsupported image format '${format}'`), format);
    }
  });

  it('refuses a frame its first bytes or its shape rule out before copying it to the worker; encoded bytes over 64 MB are IMAGE_TOO_LARGE', async () => {
    // it was copied whole first: a 512 MB buffer of zeros held the event loop 335 ms and took 512 MB more
    const { MAX_IMAGE_FILE_BYTES } = lib('image/read-file');
    const refused = [
      [Buffer.alloc(MAX_IMAGE_FILE_BYTES + 1, 0xff).fill(jpeg.subarray(0, 4), 0, 4), 'IMAGE_TOO_LARGE', /image is 67108865 bytes, over the limit of 67108864/],
      [Buffer.alloc(4 * 2 ** 20), 'BAD_IMAGE', /its first bytes are none of theirs/],
      [{ data: Buffer.alloc(4 * 2 ** 20), width: 1e9, height: 1e9, channels: 3 }, 'BAD_IMAGE', /do not make 1000000000x1000000000x3/],
      [{ data: Buffer.alloc(4 * 2 ** 20), width: 1024, height: 1024, channels: 5 }, 'BAD_IMAGE', /channels must be/],
      // a camera library's rows padded to 64 bytes: the message says so
      [{ data: Buffer.alloc(1920 * 1080), width: 638, height: 1080, channels: 3 }, 'BAD_IMAGE', /do not make 638x1080x3 \(rows of 1920 bytes, not 1914: pack rows/],
      [{ data: Buffer.alloc(3 * 70000 * 8), width: 70000, height: 8, channels: 3 }, 'IMAGE_TOO_LARGE', /over the limit of 65500 pixels on a side/],
    ];
    for (const [image, code, message] of refused) {
      await assert.rejects(decoder.prepare(slotOf(1), image, 'none'), (e) => e.code === code && message.test(e.message), message.source);
    }
    assert.strictEqual(decoder.threadId, undefined, 'no image worker was started for them');
    assert.ok((await decoder.prepare(slotOf(1), jpeg, 'none')).geometry.srcWidth > 0);
  });

  it('checks a frame once, before copying it: the worker takes the answer along; a preprocessor called without it checks', async () => {
    const { Worker } = require('worker_threads');
    const { data, info } = await sharp(jpeg).raw().toBuffer({ resolveWithObject: true });
    const raw = { data, width: info.width, height: info.height, channels: 3 };
    const post = Worker.prototype.postMessage;
    const checked = [];
    Worker.prototype.postMessage = function (m, transfer) {
      if (m.type === 'prepare') checked.push(m.checked);
      return post.call(this, m, transfer);
    };
    try {
      for (const image of [jpeg, raw]) assert.strictEqual((await decoder.prepare(slotOf(1), image, 'none')).geometry.srcWidth, 640);
    } finally {
      Worker.prototype.postMessage = post;
    }
    assert.deepStrictEqual(checked, [{ format: 'jpeg' }, {}]);
    // the command line's calibration runs a Preprocessor in its own thread, with no caller's check before it
    const pre = new Preprocessor(new ArrayBuffer(3 * 640 * 640), 'uint8', 640, 640);
    await assert.rejects(pre.run({ ...raw, channels: 5 }), (e) => e.code === 'BAD_IMAGE' && /channels must be/.test(e.message));
    await assert.rejects(pre.run(Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64"/>')), (e) => e.code === 'BAD_IMAGE' && /'svg'/.test(e.message));
  });

  it('fails the frames in a worker that dies with WORKER_DIED; the next frame starts a new worker', async () => {
    await decoder.prepare(slotOf(1), jpeg, 'none');
    const first = decoder.threadId;
    const inFlight = [2, 3, 4].map((k) => decoder.prepare(slotOf(k), jpeg, 'none').then(() => 'ok', (e) => e));
    decoder.simulateCrash();
    const ends = await Promise.all(inFlight);
    assert.ok(ends.every((e) => e === 'ok' || (e.code === 'WORKER_DIED' && /image worker stopped/.test(e.message))), ends.map(String).join('; '));
    assert.ok(ends.some((e) => e !== 'ok'), 'a frame was in the worker when it died');
    const r = await decoder.prepare(slotOf(5), jpeg, 'none');
    assert.strictEqual(r.geometry.srcWidth, 640);
    assert.notStrictEqual(decoder.threadId, first, 'a new worker');
  });

  it('ends its worker once idle, and the memory of the large frames it decoded with it; kept pixels hold it', async () => {
    const idle = new FrameDecoder(300);
    idle.acquire();
    try {
      const big = await fx.solidImage(7000, 7000); // 147 MB of pixels, kept whole for drawing
      await idle.prepare(slotOf(1), jpeg, 'none');
      global.gc?.();
      const before = process.memoryUsage().rss;
      for (let i = 0; i < 3; i++) {
        const r = await idle.prepare(slotOf(1), big, 'full');
        await idle.draw(r.frame, { detections: [], width: 7000, height: 7000, annotate: true, thumbnail: 0 });
      }
      // the worker's garbage waited for a collection that an idle worker never makes: RSS stayed 300 MB up
      await until(() => idle.threadId === undefined, 'the idle image worker to end', 10000);
      await until(() => process.memoryUsage().rss - before < 100 * 2 ** 20, 'RSS back near where it was', 10000)
        .catch(() => assert.fail(`RSS stayed ${((process.memoryUsage().rss - before) / 2 ** 20).toFixed(0)} MB up`));
      // a frame whose pixels wait to be drawn keeps the worker past the idle time; then the next frame starts one
      const kept = await idle.prepare(slotOf(1), jpeg, 'full');
      const first = idle.threadId;
      await new Promise((r) => setTimeout(r, 900)); // three times the idle time: it must not end meanwhile
      assert.strictEqual(idle.threadId, first);
      const drawn = await idle.draw(kept.frame, { detections: [], width: 640, height: 426, annotate: true, thumbnail: 0 });
      assert.ok(drawn.annotated.length > 0);
      await until(() => idle.threadId === undefined, 'the idle image worker to end', 10000);
      const again = await idle.prepare(slotOf(1), jpeg, 'none');
      assert.strictEqual(again.geometry.srcWidth, 640);
    } finally {
      await idle.release();
    }
  });

  it('ends its worker with its last user', async () => {
    decoder.acquire();
    await decoder.prepare(slotOf(1), jpeg, 'none');
    await decoder.release();
    assert.ok(decoder.threadId !== undefined, 'one user left: the worker runs');
    await decoder.release();
    assert.strictEqual(decoder.threadId, undefined);
    // a late frame of a closed detector starts no worker that nobody would end
    await assert.rejects(decoder.prepare(slotOf(2), jpeg, 'none'), (e) => e.code === 'CLOSED');
    assert.strictEqual(decoder.threadId, undefined);
    decoder.acquire(); // for afterEach
  });
});

function sharpJpeg(width, height) {
  return sharp({ create: { width, height, channels: 3, background: { r: 200, g: 30, b: 30 } } }).jpeg().toBuffer();
}
