'use strict';
const assert = require('assert');
const sharp = require('sharp');
const { lib } = require('./support/paths');
const { annotateImage, annotatePixels, drawDetections } = lib('image/annotate');
const { textMask } = lib('image/label-masks');
const { annotatedThumbnail } = lib('image/thumbnail');
const { cocoImage } = require('./support/paths');

const gray = (w, h, v = 100) => ({ data: new Uint8Array(w * h * 3).fill(v), width: w, height: h, channels: 3 });
const det = (x1, y1, x2, y2, cls = 'person', classId = 0, score = 0.87) => ({ class: cls, classId, score, box: { x1, y1, x2, y2 } });
const px = (img, x, y) => Array.from(img.data.subarray((y * img.width + x) * 3, (y * img.width + x) * 3 + 3));
const RED = [0xff, 0x38, 0x38]; // class 0
const GRAY = [100, 100, 100];

describe('annotation drawing (boxes and labels on the pixels)', () => {
  it('draws the outline in the class colour centred on the box edges, a label bar above it with white text, nothing else', async () => {
    const img = gray(320, 240);
    await drawDetections(img, 320, 240, [det(60, 80, 200, 200)]);
    for (const [x, y] of [[130, 79], [130, 80], [59, 150], [60, 150], [200, 150], [130, 200]]) assert.deepStrictEqual(px(img, x, y), RED, `${x},${y}`);
    for (const [x, y] of [[130, 82], [62, 150], [130, 140], [10, 10], [130, 202], [300, 230]]) assert.deepStrictEqual(px(img, x, y), GRAY, `${x},${y}`);
    // the bar is font 12 + 4 px high on the box's top edge, as wide as "person 0.87" and its margins
    let white = 0, bar = 0, right = 0;
    for (let y = 64; y < 79; y++) for (let x = 59; x < 200; x++) {
      const p = px(img, x, y);
      if (p[1] > 150 && p[2] > 150) white++;
      else if (p.join() === RED.join()) { bar++; right = Math.max(right, x); }
    }
    assert.ok(white > 40 && bar > 400, `white ${white}, bar ${bar}`);
    assert.ok(right > 110 && right < 160, `bar ends at ${right}`);
    assert.deepStrictEqual(px(img, 130, 63), GRAY, 'nothing above the bar');
  });

  it('puts the label inside the box when there is no room above, clips at the frame and skips non-finite boxes', async () => {
    const img = gray(160, 120);
    await drawDetections(img, 160, 120, [det(-20, 0, 500, 90, 'zebra', 22, 0.5), det(NaN, 5, 10, Infinity, 'car', 2, 0.3)]);
    const orange = [0xff, 0x70, 0x1f]; // class 22: palette 22 % 20 = 2
    assert.deepStrictEqual(px(img, 140, 0), orange, 'the top edge, clipped to the frame');
    let bar = 0;
    for (let y = 1; y < 17; y++) for (let x = 0; x < 50; x++) if (px(img, x, y).join() === orange.join()) bar++;
    assert.ok(bar > 300, `label bar inside the top of the box: ${bar} px`);
    assert.deepStrictEqual(px(img, 5, 60), GRAY, 'the left edge is outside the frame');
    assert.deepStrictEqual(px(img, 5, 89), orange, 'the bottom edge');
    assert.deepStrictEqual(px(img, 5, 110), GRAY);
  });

  it('scales boxes given in another size to the pixels it draws on', async () => {
    const img = gray(320, 240);
    await drawDetections(img, 640, 480, [det(120, 160, 400, 400)]);
    assert.deepStrictEqual(px(img, 130, 80), RED);
    assert.deepStrictEqual(px(img, 200, 150), RED);
    assert.deepStrictEqual(px(img, 130, 150), GRAY);
  });

  it('cuts a class name of thousands of characters to a label that fits (it failed every annotated frame with BAD_IMAGE)', async () => {
    const img = gray(640, 480);
    const long = det(60, 80, 400, 400, 'x'.repeat(130000));
    await drawDetections(img, 640, 480, [long, det(300, 300, 600, 470, `${'\u4eba'.repeat(47)}\ud83d\ude97${'y'.repeat(60)}`, 1)]);
    const cut = await textMask(`${'x'.repeat(47)}\u2026`, 12);
    assert.ok(cut.width > 100 && cut.width < 640, `label ${cut.width} px wide`);
    const jpeg = await annotateImage(await sharp({ create: { width: 640, height: 480, channels: 3, background: '#646464' } }).jpeg().toBuffer(), 640, 480, [long]);
    assert.strictEqual((await sharp(jpeg).metadata()).width, 640);
  });

  it('renders each label text once, as wide as its ink, for any script', async () => {
    const a = textMask('person', 12);
    assert.strictEqual(textMask('person', 12), a, 'cached');
    const [person, longer, cjk] = await Promise.all([a, textMask('person person', 12), textMask('欠陥', 16)]);
    assert.strictEqual(person.height, 16);
    assert.ok(person.width > 20 && person.width < 60, `person: ${person.width}`);
    assert.ok(longer.width > 2 * person.width, `${longer.width}`);
    assert.ok(cjk.width > 16 && cjk.alpha.some((v) => v > 200), `cjk ${cjk.width}`);
    assert.ok((await textMask('<a & "b">', 12)).width > 20, 'XML characters are escaped');
  });

  it('draws a class name holding characters XML cannot (a control character, U+FFFF) with U+FFFD for them (it failed every annotated frame with BAD_IMAGE)', async () => {
    const shown = await textMask('car\ufffd\ufffdbus', 12);
    for (const name of ['car\u0001\u001fbus', 'car\u0000\uffffbus']) {
      const m = await textMask(name, 12);
      assert.deepStrictEqual([m.width, Buffer.from(m.alpha).equals(Buffer.from(shown.alpha))], [shown.width, true], JSON.stringify(name));
    }
    const jpeg = await annotatePixels(gray(320, 240), 320, 240, [det(60, 80, 200, 200, 'a\u000bb')]);
    assert.strictEqual((await sharp(jpeg).metadata()).width, 320);
  });
});

describe('annotated JPEG', () => {
  const decode = async (jpeg) => sharp(jpeg).raw().toBuffer({ resolveWithObject: true });

  it('encodes the drawn frame at quality 80 by default and leaves the caller\'s pixels alone', async () => {
    const img = gray(320, 240);
    const dets = [det(60, 80, 200, 200)];
    const [q80, q100] = await Promise.all([annotateImage(img, 320, 240, dets), annotateImage(img, 320, 240, dets, 100)]);
    assert.ok(q80[0] === 0xff && q80[1] === 0xd8 && q80.length < q100.length);
    assert.ok(img.data.every((v) => v === 100));
    const buf = { ...img, data: Buffer.alloc(320 * 240 * 3, 100) }; // sharp's pixels are Buffers, whose slice() is a view
    await annotateImage(buf, 320, 240, dets);
    assert.ok(buf.data.every((v) => v === 100), 'a Buffer of pixels is left alone too');
    const { data, info } = await decode(q100);
    assert.deepStrictEqual([info.width, info.height], [320, 240]);
    const i = (150 * 320 + 60) * 3;
    assert.ok(data[i] > 160 && data[i + 1] < 110, `left edge ${Array.from(data.subarray(i, i + 3))}`);
  });

  it('draws in place for pixels nothing else reads, with the JPEG annotateImage makes, and RGB only', async () => {
    const dets = [det(60, 80, 200, 200), det(10, 10, 50, 40, 'car', 2, 0.41)];
    const want = await annotateImage(gray(320, 240), 320, 240, dets);
    const img = gray(320, 240);
    const got = await annotatePixels(img, 320, 240, dets);
    assert.ok(got.equals(want), 'the same JPEG');
    assert.deepStrictEqual(px(img, 60, 150), RED, 'drawn on the given pixels');
    await assert.rejects(annotatePixels({ ...gray(10, 10), data: new Uint8Array(400), channels: 4 }, 10, 10, dets), RangeError);
  });

  it('annotates encoded images and 1- or 4-channel raw pixels', async () => {
    const png = await sharp({ create: { width: 200, height: 100, channels: 3, background: '#646464' } }).png().toBuffer();
    for (const input of [png,
      { data: new Uint8Array(200 * 100).fill(100), width: 200, height: 100, channels: 1 },
      { data: new Uint8Array(200 * 100 * 4).fill(100), width: 200, height: 100, channels: 4 }]) {
      const { data, info } = await decode(await annotateImage(input, 200, 100, [det(20, 30, 120, 90)], 100));
      assert.deepStrictEqual([info.width, info.height, info.channels], [200, 100, 3]);
      const edge = (60 * 200 + 20) * 3, inside = (60 * 200 + 70) * 3;
      assert.ok(data[edge] > 160 && data[edge + 1] < 110, `edge ${Array.from(data.subarray(edge, edge + 3))}`);
      assert.ok(Math.abs(data[inside] - 100) < 6, `inside ${Array.from(data.subarray(inside, inside + 3))}`);
    }
  });

  it('makes the thumbnail of a frame with alpha from its RGB, as the model gets it: raw RGBA, gray + alpha and a PNG with alpha', async () => {
    // it was resized first, premultiplied by the alpha it dropped after: up to 37 levels off the same frame in RGB
    const { data: rgb, info } = await sharp(cocoImage('000000000025.jpg')).raw().toBuffer({ resolveWithObject: true });
    const size = { width: info.width, height: info.height };
    const withAlpha = (px, channels) => {
      const out = Buffer.alloc((px.length / channels) * (channels + 1));
      for (let i = 0, o = 0; i < px.length; i += channels) {
        for (let c = 0; c < channels; c++) out[o++] = px[i + c];
        out[o++] = 60 + (i % 150); // partly transparent, varying
      }
      return out;
    };
    const gray = await sharp(rgb, { raw: { ...size, channels: 3 } }).greyscale().raw().toBuffer();
    const rgba = { data: withAlpha(rgb, 3), ...size, channels: 4 };
    const dets = [det(100, 50, 400, 400, 'giraffe', 23, 0.9)];
    const thumb = (image) => annotatedThumbnail(image, size.width, size.height, dets, 160);
    const want = await thumb({ data: rgb, ...size, channels: 3 });
    const grayRgb = Buffer.alloc(gray.length * 3);
    gray.forEach((v, i) => grayRgb.fill(v, 3 * i, 3 * i + 3));
    const wantGray = await thumb({ data: grayRgb, ...size, channels: 3 });
    const png = await sharp(rgba.data, { raw: { ...size, channels: 4 } }).png().toBuffer();
    for (const [name, image, expected] of [['raw RGBA', rgba, want], ['PNG with alpha', png, want], ['raw gray + alpha', { data: withAlpha(gray, 1), ...size, channels: 2 }, wantGray]]) {
      assert.ok((await thumb(image)).equals(expected), name);
    }
  });

  it('embeds a colour profile of any size in the annotated JPEG, split over APP2 segments as a JPEG holds one', async () => {
    const { withIccProfile } = lib('image/jpeg-header');
    const plain = await annotateImage(gray(320, 240), 320, 240, [det(60, 80, 200, 200)]);
    const p3 = (await sharp(plain).withIccProfile('p3').jpeg().toBuffer().then((j) => sharp(j).metadata())).icc;
    const big = Buffer.concat([p3, Buffer.alloc(150000 - p3.length, 7)]); // three segments
    for (const icc of [p3, big]) {
      const jpeg = await annotateImage({ ...gray(320, 240), icc }, 320, 240, [det(60, 80, 200, 200)]);
      const meta = await sharp(jpeg).metadata();
      assert.ok(meta.icc?.equals(icc), `a profile of ${icc.length} bytes`);
      assert.ok((await sharp(jpeg, { ignoreIcc: true }).raw().toBuffer()).equals(await sharp(plain).raw().toBuffer()), 'the same pixels');
    }
    assert.strictEqual(withIccProfile(plain, Buffer.alloc(256 * 65519)), plain, 'one over 255 segments is left out');
    // the editor's thumbnail, sent to every open editor each second, carries a display profile but not a megabyte
    const { THUMBNAIL_MAX_ICC } = lib('image/thumbnail');
    for (const [icc, kept] of [[p3, true], [Buffer.concat([p3, Buffer.alloc(THUMBNAIL_MAX_ICC - p3.length, 7)]), true], [big, false]]) {
      const thumb = await annotatedThumbnail({ ...gray(320, 240), icc }, 320, 240, [det(60, 80, 200, 200)], 160);
      const meta = await sharp(thumb).metadata();
      assert.strictEqual(!!meta.icc?.equals(icc), kept, `a profile of ${icc.length} bytes`);
      assert.ok(thumb.length < 20000 + (kept ? icc.length : 0), `a thumbnail of ${thumb.length} bytes`);
    }
  });
});
