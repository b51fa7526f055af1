'use strict';
const assert = require('assert');
const fs = require('fs');
const path = require('path');
const sharp = require('sharp');
const { requireModel, requireCoco128, cocoImage, lib } = require('./support/paths');
const fx = require('./support/fixtures');
const { Detector } = lib('detector');
const { loadModelInfo, parseNames } = lib('model/model-info');
const { hasValidDefaultModel, fetchDefaultModel, DEFAULT_MODEL } = { ...lib('model/default-model'), ...lib('model/fetch-default-model') };
const { onnx } = require('onnx-proto');
const { namesMetadata, declaredOutput, repeatedClasses, logitScores, float16Copy, endToEnd } = require('./support/model-variants');
const { quantizeModel } = lib('tools/quantize/quantize');
const { resizeModelFile } = lib('tools/graph-edit/resize-input');
const { performance } = require('perf_hooks');
const { sha256File } = lib('model/sha256');

describe('Detector', function () {
  this.timeout(120000);
  let detector;
  let zebra;
  before(async () => {
    detector = await Detector.create(requireModel(), { threads: 2 });
    zebra = fs.readFileSync(cocoImage('000000000034.jpg'));
  });
  after(() => detector.close());

  it('reads the Ultralytics metadata of the default model', () => {
    const i = detector.info;
    assert.deepStrictEqual([i.layout, i.numClasses, i.inputWidth, i.inputHeight, i.inputType, i.precision], ['yolov8', 80, 640, 640, 'float32', 'fp32']);
    assert.deepStrictEqual([i.names[0], i.names[79]], ['person', 'toothbrush']);
    assert.deepStrictEqual([i.metadata.task, i.metadata.version, i.metadata.stride], ['detect', '8.0.175', 32]);
    assert.deepStrictEqual(i.metadata.imgsz, [640, 640]);
  });

  it('applies EXIF orientation: a rotated photo gives the same boxes in rotated coordinates', async () => {
    const base = await detector.detect(zebra);
    // Store the pixels turned 90 degrees counter-clockwise with orientation 6 (display: rotate 90 clockwise).
    const turned = await sharp(zebra).rotate(-90).withMetadata({ orientation: 6 }).jpeg({ quality: 95 }).toBuffer();
    const r = await detector.detect(turned);
    assert.deepStrictEqual([r.imageWidth, r.imageHeight], [base.imageWidth, base.imageHeight]);
    assert.strictEqual(r.detections[0].class, 'zebra');
    for (const k of ['x1', 'y1', 'x2', 'y2']) assert.ok(Math.abs(r.detections[0].box[k] - base.detections[0].box[k]) < 6, k);
    // Exif after the frame header is read as libvips and browsers read it: the frame was taken unturned (640x425 boxes)
    const late = await detector.detect(fx.exifAfterFrameHeader(turned));
    assert.deepStrictEqual(late.detections, r.detections);
  });

  it('takes raw RGB frames and gives the same result as the encoded image', async () => {
    const { data, info } = await sharp(zebra).raw().toBuffer({ resolveWithObject: true });
    const raw = await detector.detect({ data, width: info.width, height: info.height, channels: info.channels });
    const enc = await detector.detect(zebra);
    assert.strictEqual(raw.detections.length, enc.detections.length);
    assert.ok(Math.abs(raw.detections[0].score - enc.detections[0].score) < 1e-6);
    // channels other than 1 to 4: refused by name (sharp said 'Input Bit Array is empty' for 0)
    for (const channels of [0, 5, 1.5, '3']) {
      const n = typeof channels === 'number' && channels > 0 ? Math.ceil(16 * 16 * channels) : 0;
      await assert.rejects(detector.detect({ data: new Uint8Array(n), width: 16, height: 16, channels }),
        (e) => e.code === 'BAD_IMAGE' && /raw image: channels must be 1 \(gray\), 2 \(gray \+ alpha\), 3 \(RGB\) or 4 \(RGBA\)/.test(e.message), String(channels));
    }
  });

  it('takes PNG and WebP, grayscale and alpha', async () => {
    for (const img of [await sharp(zebra).png().toBuffer(), await sharp(zebra).webp({ quality: 95 }).toBuffer(), await sharp(zebra).ensureAlpha().png().toBuffer()]) {
      assert.strictEqual((await detector.detect(img)).detections[0].class, 'zebra');
    }
    const gray = await detector.detect(await sharp(zebra).grayscale().jpeg().toBuffer());
    assert.ok(gray.imageWidth === 640 && Array.isArray(gray.detections));
  });

  it('reuses its buffers: 50 frames leave the heap where it was', async () => {
    for (let i = 0; i < 5; i++) await detector.detect(zebra);
    global.gc?.();
    const before = process.memoryUsage().heapUsed;
    for (let i = 0; i < 50; i++) await detector.detect(zebra);
    global.gc?.();
    assert.ok(process.memoryUsage().heapUsed - before < 16e6);
  });

  it('close() lets the calls made before it finish, and refuses later ones with CLOSED', async () => {
    const d = await Detector.create(requireModel(), { threads: 1 });
    const calls = [1, 2, 3].map(() => d.detect(zebra).then((r) => r.detections[0].class, (e) => e.code));
    await d.close();
    assert.deepStrictEqual(await Promise.all(calls), ['zebra', 'zebra', 'zebra']);
    await assert.rejects(d.detect(zebra), (e) => e.code === 'CLOSED');
  });
});

describe('models without Ultralytics metadata', () => {
  it('fall back to class0.. names, and a names override replaces them', async () => {
    const dir = fx.tmpDir();
    const model = onnx.ModelProto.decode(fs.readFileSync(requireModel()));
    model.metadataProps = [];
    const file = path.join(dir, 'bare.onnx');
    fs.writeFileSync(file, onnx.ModelProto.encode(model).finish());
    const { info } = await loadModelInfo(file);
    assert.deepStrictEqual([info.numClasses, info.names[0], info.names[79], info.metadata.task], [80, 'class0', 'class79', undefined]);
    const names = Array.from({ length: 80 }, (_, i) => `part${i}`);
    const { info: named } = await loadModelInfo(file, { names });
    assert.strictEqual(named.names[22], 'part22');
  });

  it('reads names dicts with number or JSON string keys, and ignores one with an index no model has', () => {
    assert.deepStrictEqual(parseNames("{0: 'person', 2: 'car'}"), ['person', 'class1', 'car']);
    assert.deepStrictEqual(parseNames('{"0": "person", "1": "bicycle"}'), ['person', 'bicycle']);
    // one such key made an array of 2e9 entries: the model picker, which reads every model, ran out of memory
    for (const bad of ["{0: 'person', 2000000000: 'x'}", "{-1: 'x'}", "{0.5: 'x'}", "{'a': 'x'}"]) assert.strictEqual(parseNames(bad), undefined, bad);
    // a name that is no text (a class was named 'null', '1,2' or '[object Map]') makes the names unreadable: the load warns
    for (const bad of ["{0: 'a', 1: None}", "{0: [1, 2]}", "{0: {'a': 1}}", "['a', True]", "['a', ['b']]"]) assert.strictEqual(parseNames(bad), undefined, bad);
    assert.deepStrictEqual(parseNames("{0: 'a', 1: 7}"), ['a', '7']);
  });

  it('warns when a names override does not name exactly the model\'s classes', async () => {
    const warnings = [];
    const d = await Detector.create(requireModel(), { threads: 1, names: ['ok', 'scratch', 'dent'], warn: (m) => warnings.push(m) });
    await d.close();
    assert.deepStrictEqual(warnings, ['3 class names given for yolov8n.onnx, which has 80 classes: classes 3 to 79 are named class3...']);
  });

  it("warns when the model's own names metadata cannot be read or names other than its classes (they were named class0... without a word)", async () => {
    const dir = fx.tmpDir();
    const cases = [
      ['bad.onnx', "{0: 'person', 1: 'bicycle'", /^the class names in bad\.onnx's metadata cannot be read: its classes are named class0 to class79; the yolo-model node's Class names setting can name them$/],
      ['two.onnx', "['scratch', 'dent']", /^2 class names in the metadata of two\.onnx, which has 80 classes: classes 2 to 79 are named class2\.\.\.; the yolo-model/],
    ];
    for (const [file, text, why] of cases) {
      const model = namesMetadata(requireModel(), path.join(dir, file), text);
      const warnings = [];
      const d = await Detector.create(model, { threads: 1, warn: (m) => warnings.push(m) });
      await d.close();
      assert.strictEqual(warnings.length, 1, warnings.join('\n'));
      assert.match(warnings[0], why);
      // a names override has the last word: no warning about the metadata it replaces
      const named = [];
      const n = await Detector.create(model, { threads: 1, names: Array.from({ length: 80 }, (_, i) => `c${i}`), warn: (m) => named.push(m) });
      await n.close();
      assert.deepStrictEqual(named, []);
    }
  });
});

describe('models whose file declares another output than they give', function () {
  this.timeout(120000);
  it('are refused at the warm-up with BAD_OUTPUT naming both shapes, before the output is preallocated from the declared one', async () => {
    const dir = fx.tmpDir();
    // 200 million anchors asked for a 67 GB output buffer ('Array buffer allocation failed'); 2100 failed in onnxruntime's words
    for (const n of [200000000, 2100]) {
      const file = declaredOutput(requireModel(), path.join(dir, `n${n}.onnx`), [1, 84, n]);
      await assert.rejects(Detector.create(file, { threads: 1 }),
        (e) => e.code === 'BAD_OUTPUT' && e.message === `${file}: the model declares its output as [1,84,${n}] but gives [1,84,8400]: the file does not describe its own output (an edited or broken export); export it again`);
    }
    // an unknown anchor count (0, as some tools write it) takes the size the model gives
    const d = await Detector.create(declaredOutput(requireModel(), path.join(dir, 'n0.onnx'), [1, 84, 0]), { threads: 1 });
    try {
      const r = await d.detect(fs.readFileSync(cocoImage('000000000034.jpg')));
      assert.ok(r.detections.some((x) => x.class === 'zebra'));
    } finally {
      await d.close();
    }
  });
});

describe('output layouts', function () {
  this.timeout(120000);
  const zebra = () => fs.readFileSync(cocoImage('000000000034.jpg'));
  const detectWith = async (file, options = {}) => {
    const d = await Detector.create(file, { threads: 1, ...options });
    try {
      return { info: d.info, detections: (await d.detect(zebra(), { confidence: 0.1 })).detections };
    } finally {
      await d.close();
    }
  };

  it('reads a YOLOv8 head of more channels than anchors at a small input as YOLOv8 (it was read as YOLOv5)', async () => {
    const dir = fx.tmpDir();
    const small = path.join(dir, 'n96.onnx');
    await resizeModelFile(requireModel(), small, 96, 96);
    // 240 classes without names at 96x96: [1, 244, 189]
    const many = await detectWith(repeatedClasses(small, path.join(dir, 'n96x3.onnx'), 3));
    assert.deepStrictEqual([many.info.layout, many.info.numClasses, many.info.names[239]], ['yolov8', 240, 'class239']);
    const base = await detectWith(small);
    assert.ok(base.detections.length > 0);
    assert.deepStrictEqual(many.detections.map((x) => [x.classId, x.score, x.box]), base.detections.map((x) => [x.classId, x.score, x.box]));
  });

  it('reads the layout and classes of an output declared with a symbolic class axis from its first run (it was YOLOv5 with 8395 classes)', async () => {
    const dir = fx.tmpDir();
    const base = await detectWith(requireModel());
    const bare = namesMetadata(requireModel(), path.join(dir, 'bare.onnx'), '');
    // 0 is an unknown dim too, as some tools write it (refused as NOT_DETECTOR without names)
    for (const dims of [[1, -1, 8400], [1, 'classes', 8400], [1, 'c', 'anchors'], [1, 0, 8400], [1, 0, 0]]) {
      for (const [src, names] of [[requireModel(), 'person'], [bare, 'class0']]) {
        const file = declaredOutput(src, path.join(dir, `${dims.join('_')}-${names}.onnx`), dims);
        const { info: declared } = await loadModelInfo(file);
        const open = names === 'class0' || dims[2] !== 8400;
        assert.strictEqual(declared.layoutFromRun, open, `${dims} ${names}`);
        const r = await detectWith(file);
        assert.deepStrictEqual([r.info.layout, r.info.numClasses, r.info.names[0], r.info.layoutFromRun], ['yolov8', 80, names, false], `${dims} ${names}`);
        assert.deepStrictEqual(r.detections.map((x) => [x.classId, x.score, x.box]), base.detections.map((x) => [x.classId, x.score, x.box]));
      }
    }
    // the graph tools, which do not run it first, refuse one left open
    const open = declaredOutput(bare, path.join(dir, 'open.onnx'), [1, 'c', 'anchors']);
    await assert.rejects(resizeModelFile(open, path.join(dir, 'r.onnx'), 320, 320),
      (e) => e.code === 'UNSUPPORTED_MODEL' && /its output shape \[1,-1,-1\] leaves the layout or the class count to the first run/.test(e.message));
    await assert.rejects(quantizeModel({ model: open, out: path.join(dir, 'q.onnx'), calib: dir }), (e) => e.code === 'NOT_DETECTOR' && /leaves the layout or the class count to the first run/.test(e.message));
  });
});

describe('scores that are not probabilities', function () {
  this.timeout(300000);

  it('fail the frame of a head exported without its final sigmoid with BAD_OUTPUT (its logits passed as scores: a zebra at 2.57)', async () => {
    const d = await Detector.create(logitScores(requireModel(), path.join(fx.tmpDir(), 'logits.onnx')), { threads: 1 });
    try {
      for (const multiLabel of [false, true]) {
        await assert.rejects(d.detect(fs.readFileSync(cocoImage('000000000034.jpg')), { multiLabel }),
          (e) => e.code === 'BAD_OUTPUT' && /^the model's scores are not probabilities: anchor \d+ has [\d.]+, over 1 \(its head was exported without its final sigmoid/.test(e.message));
      }
    } finally {
      await d.close();
    }
  });

  it("never trip on yolov8n's own output, FP32 or FP16, over coco128 (every class score at most 1)", async function () {
    const images = path.join(requireCoco128(this), 'images');
    const files = fs.readdirSync(images).filter((f) => f.endsWith('.jpg'));
    for (const file of [requireModel(), float16Copy(requireModel(), path.join(fx.tmpDir(), 'fp16.onnx'))]) {
      const d = await Detector.create(file, { threads: 2 });
      try {
        let top = 0;
        for (const f of files) {
          const r = await d.detect(fs.readFileSync(path.join(images, f)), { confidence: 0.001, keepRaw: true });
          const scores = r.raw.subarray(4 * 8400);
          for (let i = 0; i < scores.length; i++) if (scores[i] > top) top = scores[i];
        }
        assert.ok(top > 0.9 && top <= 1, `${path.basename(file)}: top score ${top}`);
      } finally {
        await d.close();
      }
    }
  });
});

describe('end-to-end classes past the names', function () {
  this.timeout(120000);

  it('fail the frame with BAD_OUTPUT, as msg.classes refuses the id (the box was named class22 without a word)', async () => {
    const dir = fx.tmpDir();
    const twoNames = namesMetadata(endToEnd(requireModel(), path.join(dir, 'e2e.onnx')), path.join(dir, 'e2e-2.onnx'), "['person', 'bicycle']");
    const zebra = fs.readFileSync(cocoImage('000000000034.jpg'));
    const d = await Detector.create(twoNames, { threads: 1 });
    try {
      await assert.rejects(d.detect(zebra), (e) => e.code === 'BAD_OUTPUT' && /^end-to-end output row 0 has class 22, past the model's 2 classes/.test(e.message));
      await assert.rejects(d.detect(zebra, { classes: [22] }), (e) => e.code === 'BAD_CLASS');
    } finally {
      await d.close();
    }
    // named in full, the class is read and filtered by
    const names = Array.from({ length: 80 }, (_, i) => `c${i}`);
    const named = await Detector.create(twoNames, { threads: 1, names });
    try {
      const r = await named.detect(zebra, { classes: [22] });
      assert.ok(r.detections.length > 0 && r.detections.every((x) => x.classId === 22 && x.class === 'c22'));
    } finally {
      await named.close();
    }
  });
});

describe('model load and the event loop', () => {
  it('hashes a large model without holding the event loop (a 5 ms probe sees no gap over 50 ms)', async () => {
    const dir = fx.tmpDir();
    const model = onnx.ModelProto.decode(fs.readFileSync(requireModel()));
    // 200 MB more weights, as a large export has: hashed in one call they held the loop about 100 ms here
    model.graph.initializer.push(onnx.TensorProto.create({ name: 'unused', dataType: 1, dims: [50 * 1048576], rawData: Buffer.alloc(200 * 1048576, 1) }));
    const file = path.join(dir, 'large.onnx');
    fs.writeFileSync(file, onnx.ModelProto.encode(model).finish());
    try {
      let last = performance.now();
      let worst = 0;
      const probe = setInterval(() => { const now = performance.now(); worst = Math.max(worst, now - last); last = now; }, 5);
      const { info } = await loadModelInfo(file);
      clearInterval(probe);
      assert.strictEqual(info.sha256, await sha256File(file));
      assert.ok(worst < 50, `event loop held ${worst.toFixed(0)} ms`);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('model files that are not regular files', function () {
  this.timeout(60000);
  const { readNamesFile } = lib('model/model-info');
  const { execFileSync } = require('child_process');
  const settled = (p) => Promise.race([p.then(() => 'loaded', (e) => e), new Promise((r) => setTimeout(() => r('still reading'), 10000))]);

  it('refuses a FIFO, a device or a folder as the model (a FIFO held the load for ever) and a FIFO as the names file', async () => {
    const dir = fx.tmpDir();
    try {
      const fifo = path.join(dir, 'model.onnx');
      execFileSync('mkfifo', [fifo]);
      for (const [file, says] of [[fifo, /is not a model file \(not a regular file/], ['/dev/zero', /is not a model file \(not a regular file/], [dir, /is a folder, not a model file/]]) {
        const r = await settled(Detector.create(file, { threads: 1 }));
        assert.ok(r instanceof Error, `${file}: ${r}`);
        assert.strictEqual(r.code, 'MODEL_UNREADABLE', r.message);
        assert.match(r.message, says);
      }
      // the names file is the model's too: the same code, and the words say which file
      const names = await settled(readNamesFile(fifo));
      assert.ok(names instanceof Error && names.code === 'MODEL_UNREADABLE' && /is not a names file \(not a regular file/.test(names.message), String(names));
      const folder = await settled(readNamesFile(dir));
      assert.ok(folder instanceof Error && folder.code === 'MODEL_UNREADABLE' && /is a folder, not a names file/.test(folder.message), String(folder));
      const missing = await settled(readNamesFile(path.join(dir, 'none.txt')));
      assert.ok(missing instanceof Error && missing.code === 'MODEL_UNREADABLE' && /names file not found: /.test(missing.message), String(missing));
      // a symlink loop exists: it was MODEL_NOT_FOUND, 'model file not found'
      fs.symlinkSync('loop-b.onnx', path.join(dir, 'loop-a.onnx'));
      fs.symlinkSync('loop-a.onnx', path.join(dir, 'loop-b.onnx'));
      const loop = await settled(Detector.create(path.join(dir, 'loop-a.onnx'), { threads: 1 }));
      assert.ok(loop instanceof Error && loop.code === 'MODEL_UNREADABLE' && /cannot read model file .*loop-a\.onnx: ELOOP/.test(loop.message), String(loop));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('default model fetch', function () {
  this.timeout(300000);
  it('detects a corrupt file and fetches a verified copy again', async () => {
    const dir = fx.tmpDir();
    const file = path.join(dir, DEFAULT_MODEL.file);
    fs.writeFileSync(file, fs.readFileSync(requireModel()).subarray(0, 1000000)); // a partial download
    assert.strictEqual(await hasValidDefaultModel(dir), false);
    await fetchDefaultModel(dir);
    assert.strictEqual(await hasValidDefaultModel(dir), true);
    assert.deepStrictEqual(fs.readdirSync(dir), [DEFAULT_MODEL.file], 'no temporary files left');
  });
});
