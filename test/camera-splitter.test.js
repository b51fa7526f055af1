'use strict';
const assert = require('assert');
const sharp = require('sharp');
const { lib } = require('./support/paths');
const { makeFrames, withExifThumbnail, junk, oddChunks } = require('./support/jpeg-fixtures');
const { MjpegSplitter, wholeJpeg, droppedFramesNote } = lib('camera/mjpeg-splitter');
const { MultipartMjpegParser, boundaryOf, BOUNDARY_SEARCH_BYTES } = lib('camera/multipart-parser');
const { parsingHandler } = lib('camera/supervised-source');
const { jpegSize } = lib('image/jpeg-header');

function split(chunks, max) {
  const out = [];
  let oversizeCalls = 0;
  const s = new MjpegSplitter((f) => out.push(f), max, () => oversizeCalls++);
  for (const c of chunks) s.push(c);
  return { frames: out, stats: s.stats, splitter: s, oversizeCalls };
}

describe('camera: MJPEG splitter', () => {
  let frames;
  let thumb;
  before(async () => {
    frames = await makeFrames(6, 160, 120);
    thumb = (await makeFrames(1, 40, 30))[0];
  });

  it('cuts frames whole across every chunk boundary, with junk between them', () => {
    const stream = Buffer.concat(frames.flatMap((f, i) => [junk(17 + i * 5, i + 1), f]));
    for (const sizes of [[1], [2], [3], [7, 1, 13], [4093], [stream.length]]) {
      const { frames: out, stats } = split(oddChunks(stream, sizes));
      assert.strictEqual(out.length, frames.length, `chunk sizes ${sizes}`);
      out.forEach((f, i) => assert.ok(f.equals(frames[i]), `frame ${i} with chunk sizes ${sizes}`));
      assert.strictEqual(stats.garbageBytes, frames.reduce((a, _, i) => a + 17 + i * 5, 0));
    }
  });

  it('does not stop at the FFD9 of an EXIF thumbnail (first-FFD9 splitting would cut the frame)', async () => {
    const withThumb = withExifThumbnail(frames[0], thumb);
    assert.ok(withThumb.indexOf(Buffer.from([0xff, 0xd9])) < withThumb.length - 2, 'the thumbnail puts an FFD9 inside the frame');
    const { frames: out } = split(oddChunks(Buffer.concat([withThumb, frames[1], withThumb])));
    assert.strictEqual(out.length, 3);
    assert.ok(out[0].equals(withThumb) && out[2].equals(withThumb) && out[1].equals(frames[1]));
    const meta = await sharp(out[0]).metadata();
    assert.deepStrictEqual([meta.width, meta.height, Boolean(meta.exif)], [160, 120, true]);
  });

  it('drops a frame cut short by the next one and counts it', () => {
    const cut = frames[1].subarray(0, Math.floor(frames[1].length * 0.7));
    const { frames: out, stats } = split(oddChunks(Buffer.concat([frames[0], cut, frames[2]])));
    assert.strictEqual(out.length, 2);
    assert.ok(out[0].equals(frames[0]) && out[1].equals(frames[2]));
    assert.strictEqual(stats.truncatedFrames, 1);
  });

  it('handles progressive JPEGs (several scans with tables between them)', async () => {
    const progressive = (await makeFrames(2, 96, 64, { progressive: true }));
    const { frames: out } = split(oddChunks(Buffer.concat(progressive)));
    assert.strictEqual(out.length, 2);
    assert.ok(out[0].equals(progressive[0]) && out[1].equals(progressive[1]));
  });

  it('keeps its buffer bounded: an oversize frame is dropped, later frames still come out', () => {
    const max = 2048;
    const big = frames[0]; // ~4 KB
    const small = wholeJpeg(Buffer.concat([Buffer.from([0xff, 0xd8]), Buffer.from([0xff, 0xda, 0, 2]), Buffer.from('entropy'), Buffer.from([0xff, 0xd9])]));
    const { frames: out, stats, splitter, oversizeCalls } = split(oddChunks(Buffer.concat([big, small, big, small])), max);
    assert.strictEqual(out.length, 2);
    assert.ok(out.every((f) => f.equals(small)));
    assert.strictEqual(stats.oversizeFrames, 2);
    assert.strictEqual(oversizeCalls, 2, 'each oversize frame is reported as it is dropped');
    assert.strictEqual(stats.garbageBytes, 0, 'the rest of an oversize frame is not counted as "not JPEG"');
    assert.ok(splitter.buffered <= max + 2);
  });

  it('says how many frames were dropped for their size or cut short, in the units of the setting', () => {
    assert.strictEqual(droppedFramesNote({ oversizeFrames: 0, truncatedFrames: 0 }, 104857), '');
    assert.strictEqual(droppedFramesNote({ oversizeFrames: 3, truncatedFrames: 0 }, 104857), '3 frames over the max frame size (0.1 MB); ');
    assert.strictEqual(droppedFramesNote({ oversizeFrames: 1, truncatedFrames: 2 }, 8 * 1048576), '1 frame over the max frame size (8 MB), 2 frames cut short; ');
  });

  it('takes a fractional max frame size as whole bytes: an oversize frame in pipe-sized chunks is dropped, not thrown on', () => {
    // SOI, then 64 KB comment segments: a frame well over 0.1 MB (104857.6 bytes)
    const seg = Buffer.alloc(65537, 0x41);
    seg.set([0xff, 0xfe], 0);
    seg.writeUInt16BE(65535, 2);
    const big = Buffer.concat([Buffer.from([0xff, 0xd8]), seg, seg, seg, seg]);
    const stream = Buffer.concat([big, frames[0], big, frames[1]]);
    for (const max of [0.1 * 1048576, 1.1 * 65536, 4096.5]) {
      const chunks = [];
      for (let o = 0; o < stream.length; o += 65536) chunks.push(stream.subarray(o, o + 65536));
      const { frames: out, stats, splitter } = split(chunks, max);
      assert.strictEqual(stats.oversizeFrames, 2, `max ${max}`);
      assert.ok(out.length === 2 && out[0].equals(frames[0]) && out[1].equals(frames[1]), `max ${max}: the frames after the oversize ones come out`);
      assert.ok(splitter.buffered <= Math.floor(max) + 2);
    }
    assert.throws(() => new MjpegSplitter(() => {}, 0), RangeError);
    assert.throws(() => new MjpegSplitter(() => {}, NaN), RangeError);
  });

  it('a throw while parsing stream data ends the run with a reason once, instead of escaping the data handler', () => {
    const reasons = [];
    let calls = 0;
    const onData = parsingHandler((chunk) => {
      calls++;
      if (chunk === 'bad') throw new RangeError('offset is out of bounds');
    }, (reason) => reasons.push(reason));
    onData('good');
    assert.doesNotThrow(() => onData('bad'));
    onData('bad');
    onData('good');
    assert.strictEqual(calls, 2, 'chunks after the failure are not parsed');
    assert.deepStrictEqual(reasons, ['the stream could not be parsed: offset is out of bounds']);
  });

  it('holds no more than a few bytes while a stream never yields a frame', () => {
    const s = new MjpegSplitter(() => assert.fail('no frame expected'), 4096);
    for (let i = 0; i < 1000; i++) s.push(junk(1000, i + 1));
    assert.strictEqual(s.stats.frames, 0);
    assert.strictEqual(s.stats.garbageBytes + s.buffered, 1000 * 1000);
    assert.ok(s.buffered < 2);
  });

  it('cuts a huge chunk of tiny frames without moving the rest of the chunk per frame (event loop not held for seconds)', () => {
    // a hostile stream or snapshot body: 2 x 8 MB of 100-byte frames took 6 s when each frame moved the rest
    const tiny = Buffer.alloc(100, 0x11);
    tiny.set([0xff, 0xd8, 0xff, 0xda, 0x00, 0x08]);
    tiny.set([0xff, 0xd9], 98);
    const chunk = Buffer.concat(Array.from({ length: 80000 }, () => tiny));
    let count = 0;
    const s = new MjpegSplitter(() => count++);
    const t0 = Date.now();
    s.push(chunk);
    s.push(chunk);
    const ms = Date.now() - t0;
    assert.deepStrictEqual([count, s.stats.garbageBytes, s.buffered], [160000, 0, 0]);
    assert.ok(ms < 2000, `${ms} ms for 16 MB`);
  });

  it('reads the frame size from the SOF header, past an EXIF thumbnail', () => {
    assert.deepStrictEqual(jpegSize(withExifThumbnail(frames[0], thumb)), { width: 160, height: 120 });
    assert.strictEqual(jpegSize(Buffer.from('not a jpeg')), undefined);
  });

  it('reads the frame size as shown, its Exif orientation applied, as detection reports it (a folder of phone photos)', async () => {
    // it was the stored size: msg.frame said 640x426 of a photo whose detections said 426x640
    const frame = frames[0];
    const stored = jpegSize(frame);
    const app1 = (order, orientation) => {
      const tiff = Buffer.alloc(26);
      const le = order === 'II';
      const u16 = (v, at) => (le ? tiff.writeUInt16LE(v, at) : tiff.writeUInt16BE(v, at));
      const u32 = (v, at) => (le ? tiff.writeUInt32LE(v, at) : tiff.writeUInt32BE(v, at));
      tiff.write(order, 0, 'latin1');
      u16(42, 2);
      u32(8, 4);
      u16(1, 8); // IFD0: one entry
      u16(0x0112, 10);
      u16(3, 12); // SHORT
      u32(1, 14);
      u16(orientation, 18);
      const body = Buffer.concat([Buffer.from('Exif\0\0', 'latin1'), tiff]);
      const head = Buffer.from([0xff, 0xe1, 0, 0]);
      head.writeUInt16BE(body.length + 2, 2);
      return Buffer.concat([frame.subarray(0, 2), head, body, frame.subarray(2)]);
    };
    const photos = [];
    for (let o = 1; o <= 8; o++) photos.push(await sharp(frame).withMetadata({ orientation: o }).jpeg().toBuffer());
    for (const order of ['II', 'MM']) for (const o of [1, 3, 6, 8, 9]) photos.push(app1(order, o));
    for (const photo of photos) {
      const { orientation } = await sharp(photo).metadata();
      const shown = (orientation ?? 1) >= 5 ? { width: stored.height, height: stored.width } : stored;
      assert.deepStrictEqual(jpegSize(photo), shown, `orientation ${orientation}`);
    }
  });

  it('wholeJpeg accepts exactly one whole frame', () => {
    assert.ok(wholeJpeg(frames[0]).equals(frames[0]));
    assert.strictEqual(wholeJpeg(frames[0].subarray(0, 100)), undefined);
  });
});

describe('camera: multipart MJPEG parser', () => {
  let frames;
  before(async () => {
    frames = await makeFrames(4, 120, 90);
  });

  function body(boundary, withLength, leadingDashes = true) {
    const parts = frames.map((f) => {
      const headers = `Content-Type: image/jpeg\r\n${withLength ? `Content-Length: ${f.length}\r\n` : ''}\r\n`;
      return Buffer.concat([Buffer.from(`${leadingDashes ? '--' : ''}${boundary}\r\n${headers}`), f, Buffer.from('\r\n')]);
    });
    return Buffer.concat(parts);
  }

  for (const withLength of [true, false]) {
    for (const dashes of [true, false]) {
      it(`${withLength ? 'uses Content-Length' : 'falls back to the JPEG splitter without Content-Length'}, boundary ${dashes ? 'with' : 'without'} "--"`, () => {
        const out = [];
        const p = new MultipartMjpegParser('frame', (f) => out.push(f), 1 << 20);
        for (const c of oddChunks(body('frame', withLength, dashes))) p.push(c);
        assert.strictEqual(out.length, frames.length);
        out.forEach((f, i) => assert.ok(f.equals(frames[i])));
        assert.strictEqual(p.mode, withLength ? 'content-length' : 'jpeg-scan');
      });
    }
  }

  it('rejects a Content-Length part that is not one whole JPEG: a truncated frame, an understated length', () => {
    const part = (bytes, length) => Buffer.concat([Buffer.from(`--frame\r\nContent-Type: image/jpeg\r\nContent-Length: ${length}\r\n\r\n`), bytes, Buffer.from('\r\n')]);
    const cut = frames[0].subarray(0, Math.floor(frames[0].length / 2));
    const out = [];
    const p = new MultipartMjpegParser('frame', (f) => out.push(f), 1 << 20);
    const stream = Buffer.concat([part(cut, cut.length), part(frames[1], frames[1].length), part(frames[2], frames[2].length - 100), part(frames[3], frames[3].length)]);
    for (const c of oddChunks(stream)) p.push(c);
    assert.strictEqual(out.length, 2);
    assert.ok(out[0].equals(frames[1]) && out[1].equals(frames[3]), 'only the whole frames are sent');
    assert.strictEqual(p.rejectedParts, 2);
  });

  it('skips a part whose Content-Length is over the max frame size, counted as oversize and reported', () => {
    const head = (f) => Buffer.from(`--frame\r\nContent-Type: image/jpeg\r\nContent-Length: ${f.length}\r\n\r\n`);
    const big = frames[0].length > frames[1].length ? frames[0] : frames[1];
    const small = big === frames[0] ? frames[1] : frames[0];
    const out = [];
    let reported = 0;
    const p = new MultipartMjpegParser('frame', (f) => out.push(f), small.length + 10, () => reported++);
    for (const c of oddChunks(Buffer.concat([head(big), big, Buffer.from('\r\n'), head(small), small, Buffer.from('\r\n')]))) p.push(c);
    assert.ok(out.length === 1 && out[0].equals(small));
    assert.deepStrictEqual([p.oversizeFrames, p.rejectedParts, reported], [1, 0, 1]);
  });

  it('a stream that never uses its declared boundary is scanned for JPEGs: raw frames, another boundary', () => {
    const other = Buffer.concat(frames.map((f) => Buffer.concat([Buffer.from(`--other\r\nContent-Type: image/jpeg\r\nContent-Length: ${f.length}\r\n\r\n`), f, Buffer.from('\r\n')])));
    for (const [what, stream] of [['raw JPEGs', Buffer.concat(frames)], ['another boundary', other]]) {
      const out = [];
      const p = new MultipartMjpegParser('declared', (f) => out.push(f), 1 << 20);
      for (const c of oddChunks(stream)) p.push(c);
      assert.strictEqual(out.length, frames.length, what);
      out.forEach((f, i) => assert.ok(f.equals(frames[i]), `${what}: frame ${i}`));
      assert.strictEqual(p.mode, 'jpeg-scan', what);
    }
  });

  it('looks for a missing boundary in bounded bytes, then scans; every byte that was no frame is counted', () => {
    const noise = junk(BOUNDARY_SEARCH_BYTES + 5000, 3);
    const out = [];
    const p = new MultipartMjpegParser('declared', (f) => out.push(f), 1 << 20);
    for (const c of oddChunks(Buffer.concat([noise, frames[0]]))) p.push(c);
    assert.strictEqual(p.mode, 'jpeg-scan');
    assert.ok(out.length === 1 && out[0].equals(frames[0]), 'the frame after the noise is not lost');
    assert.strictEqual(p.garbageBytes, noise.length, 'the stall message counts the noise as not JPEG');
  });

  it('a Content-Length that overstates the part (it takes in the next part\'s start) loses no frame: the rest is scanned', () => {
    const over = 200; // past the next part's headers, into its JPEG
    const stream = Buffer.concat(frames.map((f) => Buffer.concat([Buffer.from(`--frame\r\nContent-Type: image/jpeg\r\nContent-Length: ${f.length + over}\r\n\r\n`), f, Buffer.from('\r\n')])));
    for (const sizes of [[1], [7, 1, 13], [stream.length]]) {
      const out = [];
      const p = new MultipartMjpegParser('frame', (f) => out.push(f), 1 << 20);
      for (const c of oddChunks(stream, sizes)) p.push(c);
      assert.strictEqual(out.length, frames.length, `chunk sizes ${sizes}`);
      out.forEach((f, i) => assert.ok(f.equals(frames[i]), `frame ${i}`));
      assert.strictEqual(p.mode, 'jpeg-scan');
    }
  });

  it('a stream trickled one byte per chunk gives the same frames, in every framing', () => {
    for (const withLength of [true, false]) {
      const stream = body('frame', withLength);
      const out = [];
      const p = new MultipartMjpegParser('frame', (f) => out.push(f), 1 << 20);
      for (let i = 0; i < stream.length; i++) p.push(stream.subarray(i, i + 1));
      assert.strictEqual(out.length, frames.length);
      out.forEach((f, i) => assert.ok(f.equals(frames[i]), `frame ${i}`));
    }
  });

  it('a hostile server trickling boundary lines that never end their headers does not hold the event loop', () => {
    // 200 KB of "--frame" lines, one byte per TCP segment: each byte searched and copied the 16 KB held (6 s here)
    const spam = Buffer.from('--frame\r\n'.repeat(20000));
    const tail = Buffer.concat([Buffer.from(`--frame\r\nContent-Type: image/jpeg\r\nContent-Length: ${frames[0].length}\r\n\r\n`), frames[0], Buffer.from('\r\n')]);
    const out = [];
    const p = new MultipartMjpegParser('frame', (f) => out.push(f), 1 << 20);
    // this thread's CPU time where Node has it (23.9+): another process's load does not stretch it
    const cpuMs = typeof process.threadCpuUsage === 'function'
      ? () => { const u = process.threadCpuUsage(); return (u.user + u.system) / 1000; }
      : () => performance.now();
    const started = cpuMs();
    for (let i = 0; i < spam.length; i++) p.push(spam.subarray(i, i + 1));
    const ms = cpuMs() - started;
    assert.ok(ms < 1500, `${spam.length} bytes took ${ms.toFixed(0)} ms`);
    assert.ok(p.buffered <= 16384 + 16, `${p.buffered} bytes held`);
    for (const c of oddChunks(tail)) p.push(c);
    assert.ok(out.length === 1 && out[0].equals(frames[0]), 'a real part after the spam is still read');
  });

  it('finds the boundary in Content-Type, quoted or not', () => {
    assert.strictEqual(boundaryOf('multipart/x-mixed-replace; boundary=--myboundary'), '--myboundary');
    assert.strictEqual(boundaryOf('multipart/x-mixed-replace;boundary="a b"'), 'a b');
    assert.strictEqual(boundaryOf('image/jpeg'), undefined);
  });
});
