'use strict';
// Dynamic-shape models (dynamic=True exports): letterboxed to the smallest stride-multiple rectangle, any grid decoded.
const assert = require('assert');
const fs = require('fs');
const path = require('path');
const { execFile } = require('child_process');
const sharp = require('sharp');
const { onnx } = require('onnx-proto');
const { DIST, ROOT, requireModel, requireCoco128, cocoImage, lib } = require('./support/paths');
const { tmpDir } = require('./support/fixtures');
const { makeDynamic } = require('./support/dynamic-model');
const { cropDataset } = require(path.join(ROOT, 'scripts', 'crop-dataset.js'));
const { Detector } = lib('detector');
const { stridedInputSize } = lib('image/letterbox');
const { resizeModelFile } = lib('tools/graph-edit/resize-input');

const CLI = path.join(DIST, 'cli', 'main.js');

function cli(args) {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => resolve({ code: error ? error.code : 0, stdout, stderr }));
  });
}

function assertSameDetections(a, b, what) {
  assert.strictEqual(a.length, b.length, `${what}: ${a.length} vs ${b.length} detections`);
  assert.ok(a.length > 0, what);
  a.forEach((d, i) => {
    assert.strictEqual(d.classId, b[i].classId, what);
    assert.ok(Math.abs(d.score - b[i].score) < 1e-4, what);
    for (const k of ['x1', 'y1', 'x2', 'y2']) assert.ok(Math.abs(d.box[k] - b[i].box[k]) < 0.05, `${what} ${k}`);
  });
}

describe('strided input size (Ultralytics auto letterbox)', () => {
  it('pads only to the next multiple of the stride', () => {
    const s = (w, h) => Object.values(stridedInputSize(w, h, 640, 640, 32)).join('x');
    assert.deepStrictEqual([s(1280, 720), s(1920, 1080), s(640, 480), s(480, 640), s(1000, 333), s(640, 640), s(100, 100), s(640, 427)],
      ['640x384', '640x384', '640x480', '480x640', '640x224', '640x640', '640x640', '640x448']);
  });
});

describe('dynamic-shape models', function () {
  this.timeout(300000);
  const tmp = tmpDir('yolo-edge-dynamic-');
  let dynamic;
  let rect;
  let crops;
  before(async function () {
    dynamic = makeDynamic(requireModel(), path.join(tmp, 'yolov8n-dynamic.onnx'));
    rect = path.join(tmp, 'yolov8n-384x640.onnx');
    await resizeModelFile(requireModel(), rect, 384, 640);
    crops = path.join(tmp, 'crops');
    await cropDataset(requireCoco128(this), crops, 16 / 9, { limit: 8 });
  });
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('reads a symbolic input as dynamic, with the metadata size as the largest', async () => {
    const d = await Detector.create(dynamic, { threads: 1 });
    try {
      assert.deepStrictEqual([d.info.dynamicInput, d.info.inputWidth, d.info.inputHeight, d.info.outputDims], [true, 640, 640, [1, 84, -1]]);
    } finally {
      await d.close();
    }
  });

  it('runs a 16:9 frame at 384x640, as the resized static model does, and 4:3 frames at 480x640 (frame sizes may change)', async () => {
    const tall = path.join(tmp, 'yolov8n-480x640.onnx');
    await resizeModelFile(requireModel(), tall, 480, 640);
    const d = await Detector.create(dynamic, { threads: 1 });
    const r = await Detector.create(rect, { threads: 1 });
    const t = await Detector.create(tall, { threads: 1 });
    try {
      const frames = fs.readdirSync(path.join(crops, 'images')).sort().slice(0, 4).map((n) => fs.readFileSync(path.join(crops, 'images', n)));
      const hd = await sharp(frames[0]).resize(1280, 720).jpeg().toBuffer();
      const fourThree = fs.readFileSync(cocoImage('000000000009.jpg')); // 640x480
      for (const [i, img] of [...frames, fourThree, hd, fourThree].entries()) {
        const ref = img === fourThree ? t : r;
        assertSameDetections((await d.detect(img)).detections, (await ref.detect(img)).detections, `frame ${i}`);
      }
    } finally {
      await Promise.all([d.close(), r.close(), t.close()]);
    }
  });

  it('is taken by yolo-edge eval and bench, with the same mAP as the resized model on 16:9 frames', async () => {
    const ev = async (m) => JSON.parse((await cli(['eval', '--model', m, '--data', crops, '--threads', '1', '--json'])).stdout);
    const [a, b] = [await ev(dynamic), await ev(rect)];
    assert.ok(a.labels > 0);
    assert.ok(Math.abs(a.map50_95 - b.map50_95) < 1e-4, `${a.map50_95} vs ${b.map50_95}`);
    const bench = await cli(['bench', '--model', dynamic, '--model', rect, '--images', path.join(crops, 'images'), '--threads', '1', '--runs', '3', '--warmup', '1', '--no-accuracy', '--json']);
    assert.strictEqual(bench.code, 0, bench.stderr);
    const rows = JSON.parse(bench.stdout).rows;
    assert.deepStrictEqual(rows.map((x) => path.basename(x.model)), ['yolov8n-dynamic.onnx', 'yolov8n-384x640.onnx']);
    assert.ok(rows.every((x) => x.session.median > 0));
  });

  it('is not resized: resize-input says a dynamic model takes any size', async () => {
    await assert.rejects(resizeModelFile(dynamic, path.join(tmp, 'x.onnx'), 384, 640), (e) => e.code === 'UNSUPPORTED_MODEL' && /dynamic/.test(e.message));
  });

  it('refuses an input over 4096 on a side before any session (its first run would take gigabytes), and reads no malformed imgsz', async () => {
    const withImgsz = (name, imgsz) => {
      const model = onnx.ModelProto.decode(fs.readFileSync(dynamic));
      model.metadataProps.find((p) => p.key === 'imgsz').value = imgsz;
      const file = path.join(tmp, name);
      fs.writeFileSync(file, onnx.ModelProto.encode(model).finish());
      return file;
    };
    await assert.rejects(Detector.create(withImgsz('huge.onnx', '[8192, 8192]'), { threads: 1 }),
      (e) => e.code === 'BAD_SIZE' && /metadata imgsz .* is 8192x8192, over 4096 on a side/.test(e.message));
    // a static input declared that large is refused the same way, not left to onnxruntime
    const model = onnx.ModelProto.decode(fs.readFileSync(requireModel()));
    const dims = model.graph.input[0].type.tensorType.shape.dim;
    dims[2] = onnx.TensorShapeProto.Dimension.create({ dimValue: 640 });
    dims[3] = onnx.TensorShapeProto.Dimension.create({ dimValue: 5000 });
    const wide = path.join(tmp, 'wide.onnx');
    fs.writeFileSync(wide, onnx.ModelProto.encode(model).finish());
    await assert.rejects(Detector.create(wide, { threads: 1 }), (e) => e.code === 'BAD_SIZE' && /input 'images' is 640x5000/.test(e.message));
    // sizes that are no sizes are malformed metadata: the default 640 is used, as for an imgsz that does not parse
    for (const [i, bad] of ['[0, 0]', '[-32, 640]', '[640.5, 640]'].entries()) {
      const d = await Detector.create(withImgsz(`bad${i}.onnx`, bad), { threads: 1 });
      try {
        assert.deepStrictEqual([d.info.inputWidth, d.info.inputHeight, d.info.metadata.imgsz], [640, 640, undefined], bad);
      } finally {
        await d.close();
      }
    }
  });

  it('refuses a metadata imgsz that is not a multiple of the stride, and reads no stride a YOLO head does not have', async () => {
    const withMetadata = (name, props) => {
      const model = onnx.ModelProto.decode(fs.readFileSync(dynamic));
      for (const [key, value] of Object.entries(props)) model.metadataProps.find((p) => p.key === key).value = value;
      const file = path.join(tmp, name);
      fs.writeFileSync(file, onnx.ModelProto.encode(model).finish());
      return file;
    };
    // every frame is letterboxed to imgsz less multiples of the stride: it failed at the warm-up in onnxruntime's words, after 1 GB
    await assert.rejects(Detector.create(withMetadata('odd.onnx', { imgsz: '[3000, 4000]' }), { threads: 1 }),
      (e) => e.code === 'BAD_SIZE' && /metadata imgsz .* is 3000x4000, not a multiple of its stride 32 on each side/.test(e.message));
    for (const [i, stride] of ['7', '100000000', '0', '48'].entries()) {
      const d = await Detector.create(withMetadata(`stride${i}.onnx`, { stride }), { threads: 1 });
      try {
        assert.strictEqual(d.info.metadata.stride, undefined, stride);
        const r = await d.detect(fs.readFileSync(cocoImage('000000000034.jpg')));
        assert.ok(r.detections.some((x) => x.class === 'zebra'), stride);
      } finally {
        await d.close();
      }
    }
  });
});
