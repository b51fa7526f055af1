'use strict';
// Float16 models (a half-precision export): made from the default model by the package's own graph conversion.
const assert = require('assert');
const fs = require('fs');
const path = require('path');
const { onnx } = require('onnx-proto');
const { requireModel, cocoImage, lib, FIXTURES } = require('./support/paths');
const { tmpDir } = require('./support/fixtures');
const { float16Copy, firstClasses, endToEnd, convInteger, pairDetections } = require('./support/model-variants');
const { makeDynamic } = require('./support/dynamic-model');
const { Detector } = lib('detector');
const { loadModelInfo } = lib('model/model-info');
const { halfBits, fromFloat16, toFloat16 } = lib('model/float16');
const { quantizeModel, writeFloatModel } = lib('tools/quantize/quantize');
const { withFloat32Edges } = lib('model/float32-edges');
const { convertToFloat16 } = lib('tools/graph-edit/convert-float16');
const { resizeModelFile } = lib('tools/graph-edit/resize-input');

const IMAGES = ['000000000009.jpg', '000000000025.jpg', '000000000030.jpg', '000000000034.jpg', '000000000089.jpg'];

/**
 * The float16 model `b` detects on the fixture images what the float32 model `a` does: same classes, boxes within
 * 2 px, scores within 0.01. A detection near the 0.25 threshold may fall on either side in float16: only those may
 * be unpaired.
 */
async function sameDetections(a, b) {
  let compared = 0;
  for (const name of IMAGES) {
    const img = fs.readFileSync(cocoImage(name));
    const ref = (await a.detect(img)).detections;
    const got = (await b.detect(img)).detections;
    assert.ok(ref.length > 0, name);
    for (const p of pairDetections(ref, got)) {
      if (!p.b) {
        assert.ok(p.a.score < 0.26, `${name}: ${p.a.class} ${p.a.score} has no float16 twin`);
        continue;
      }
      for (const k of ['x1', 'y1', 'x2', 'y2']) assert.ok(Math.abs(p.a.box[k] - p.b.box[k]) <= 2, `${name} ${p.a.class} ${k}: ${p.a.box[k]} vs ${p.b.box[k]}`);
      assert.ok(Math.abs(p.a.score - p.b.score) <= 0.01, `${name} ${p.a.class}: ${p.a.score} vs ${p.b.score}`);
      compared++;
    }
    for (const p of pairDetections(got, ref)) if (!p.b) assert.ok(p.a.score < 0.26, `${name}: float16 ${p.a.class} ${p.a.score} is not in float32`);
  }
  assert.ok(compared >= 15, `${compared} pairs`);
}

describe('float16 conversion', () => {
  const bitsOf = (x) => new Uint32Array(new Float32Array([x]).buffer)[0];

  it('rounds to the nearest half, ties to even, with overflow, subnormals and NaN', () => {
    const cases = [[1, 0x3c00], [-2, 0xc000], [65504, 0x7bff], [65520, 0x7c00], [1e6, 0x7c00], [2 ** -24, 0x0001], [2 ** -26, 0x0000],
      [1 / 3, 0x3555], [1 + 2 ** -11, 0x3c00], [1 + 3 * 2 ** -11, 0x3c02], [0.1, 0x2e66], [-0, 0x8000], [Infinity, 0x7c00]];
    for (const [x, h] of cases) assert.strictEqual(halfBits(bitsOf(x)), h, `${x}`);
    assert.strictEqual(halfBits(bitsOf(NaN)) & 0x7c00, 0x7c00);
    assert.ok(halfBits(bitsOf(NaN)) & 0x3ff);
  });

  it('round-trips every letterbox value k/255 within half a half-ulp', () => {
    const src = Float32Array.from({ length: 256 }, (_, k) => k / 255);
    const h = new Uint16Array(256);
    const back = new Float32Array(256);
    toFloat16(src, h);
    fromFloat16(h, back);
    for (let k = 1; k < 256; k++) assert.ok(Math.abs(back[k] - src[k]) <= src[k] * 2 ** -11, `${k}`);
  });
});

describe('float16 models', function () {
  this.timeout(180000);
  const tmp = tmpDir('yolo-edge-fp16-');
  let fp16;
  let a;
  let b;
  before(async () => {
    fp16 = float16Copy(requireModel(), path.join(tmp, 'yolov8n-fp16.onnx'));
    a = await Detector.create(requireModel(), { threads: 1 });
    b = await Detector.create(fp16, { threads: 1 });
  });
  after(async () => {
    await a?.close();
    await b?.close();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('reads a float16 input and output as an fp16 model', () => {
    const i = b.info;
    assert.deepStrictEqual([i.sessionInput, i.sessionOutput, i.inputType, i.precision, i.layout, i.numClasses, i.inputWidth], ['float16', 'float16', 'float32', 'fp16', 'yolov8', 80, 640]);
  });

  it('detects what the float32 model detects: same classes, boxes within 2 px, scores within 0.01', async () => {
    await sameDetections(a, b);
  });

  it('keeps overlapping frames apart (two detect calls in flight)', async () => {
    const imgs = IMAGES.map((n) => fs.readFileSync(cocoImage(n)));
    const one = [];
    for (const img of imgs) one.push((await b.detect(img)).detections);
    const together = await Promise.all(imgs.map((img) => b.detect(img)));
    together.forEach((r, i) => assert.deepStrictEqual(r.detections, one[i], IMAGES[i]));
  });

  it('keeps the raw output readable as float32', async () => {
    const r = await b.detect(fs.readFileSync(cocoImage('000000000034.jpg')), { keepRaw: true });
    assert.ok(r.raw instanceof Float32Array && r.raw.length === 84 * 8400);
    assert.ok(r.raw.every(Number.isFinite));
  });

  it('converts a ConstantOfShape\'s value too (torch.full in an export): the model loads and detects what the float16 one does', async () => {
    // left float32, it met float16 in the Add after it and the converted model did not load
    const m = onnx.ModelProto.decode(fs.readFileSync(requireModel()));
    const g = m.graph;
    const out = g.output[0].name;
    g.initializer.push(onnx.TensorProto.create({ name: 'full_shape', dataType: 7, dims: [1], rawData: new Uint8Array(BigInt64Array.of(1n).buffer) }));
    const value = onnx.TensorProto.create({ dataType: 1, dims: [1], rawData: new Uint8Array(Float32Array.of(0).buffer) });
    g.node.push(
      onnx.NodeProto.create({ opType: 'ConstantOfShape', name: 'full', input: ['full_shape'], output: ['full_out'], attribute: [{ name: 'value', type: onnx.AttributeProto.AttributeType.TENSOR, t: value }] }),
      onnx.NodeProto.create({ opType: 'Add', name: 'full_add', input: [out, 'full_out'], output: ['output_full'] }),
    );
    g.output[0].name = 'output_full';
    convertToFloat16(m);
    const file = path.join(tmp, 'yolov8n-full-fp16.onnx');
    fs.writeFileSync(file, onnx.ModelProto.encode(m).finish());
    const d = await Detector.create(file, { threads: 1 });
    try {
      const img = fs.readFileSync(cocoImage('000000000034.jpg'));
      const boxes = async (det) => (await det.detect(img)).detections.map((x) => [x.class, x.score.toFixed(3)]);
      assert.deepStrictEqual(await boxes(d), await boxes(b));
    } finally {
      await d.close();
    }
  });

  it('is refused by quantize with the reason', async () => {
    await assert.rejects(quantizeModel({ model: fp16, calib: tmp, out: path.join(tmp, 'q.onnx') }), (e) => e.code === 'NOT_FLOAT' && /float16/.test(e.message));
  });

  it('with float32 input and output (float16 inside) is an fp16 model too, refused by quantize and --fp32 with the reason', async () => {
    // as a conversion that keeps the input and output types writes it; quantize failed in onnxruntime's words
    const model = onnx.ModelProto.decode(fs.readFileSync(fp16));
    withFloat32Edges(model);
    const edges = path.join(tmp, 'yolov8n-fp16-float32-edges.onnx');
    fs.writeFileSync(edges, onnx.ModelProto.encode(model).finish());
    const { info } = await loadModelInfo(edges);
    assert.deepStrictEqual([info.sessionInput, info.sessionOutput, info.precision], ['float32', 'float32', 'fp16']);
    const out = path.join(tmp, 'q-edges.onnx');
    await assert.rejects(quantizeModel({ model: edges, calib: FIXTURES, out }), (e) => e.code === 'NOT_FLOAT' && /float16/.test(e.message));
    await assert.rejects(writeFloatModel(edges, out, { uint8Input: false }), (e) => e.code === 'NOT_FLOAT' && /float16/.test(e.message));
    assert.ok(!fs.existsSync(out));
  });
});

describe('end-to-end outputs and custom class counts, float32 and float16', function () {
  this.timeout(180000);
  const tmp = tmpDir('yolo-edge-variants-');
  const detectors = {};
  const images = IMAGES.map((n) => fs.readFileSync(cocoImage(n)));
  before(async () => {
    const e2e = endToEnd(requireModel(), path.join(tmp, 'e2e.onnx'));
    const k30 = firstClasses(requireModel(), path.join(tmp, 'k30.onnx'), 30);
    const files = { base: requireModel(), e2e, e2e16: float16Copy(e2e, path.join(tmp, 'e2e16.onnx')), k30, k30h: float16Copy(k30, path.join(tmp, 'k30h.onnx')) };
    for (const [k, f] of Object.entries(files)) detectors[k] = await Detector.create(f, { threads: 1 });
  });
  after(async () => {
    for (const d of Object.values(detectors)) await d.close();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  const near = (a, b, px, score) => a.classId === b.classId && Math.abs(a.score - b.score) <= score && ['x1', 'y1', 'x2', 'y2'].every((k) => Math.abs(a.box[k] - b.box[k]) <= px);

  it('reads a [1, 300, 6] output as end-to-end in both precisions: every detection of the default model is among its rows', async () => {
    assert.deepStrictEqual([detectors.e2e.info.layout, detectors.e2e16.info.layout, detectors.e2e16.info.precision], ['end2end', 'end2end', 'fp16']);
    for (const [i, img] of images.entries()) {
      const ref = (await detectors.base.detect(img)).detections;
      const [e32, e16] = [(await detectors.e2e.detect(img)).detections, (await detectors.e2e16.detect(img)).detections];
      for (const d of ref) {
        assert.ok(e32.some((e) => near(e, d, 0.01, 1e-5)), `${IMAGES[i]}: ${d.class} ${d.score} not in the float32 end-to-end rows`);
        if (d.score > 0.26) assert.ok(e16.some((e) => near(e, d, 2, 0.01)), `${IMAGES[i]}: ${d.class} ${d.score} not in the float16 end-to-end rows`);
      }
    }
  });

  it('takes a 30-class model as 30 classes in both precisions, detecting what the 80-class model finds among them', async () => {
    assert.deepStrictEqual([detectors.k30.info.numClasses, detectors.k30h.info.numClasses, detectors.k30h.info.names[22]], [30, 30, 'c22']);
    const keep = Array.from({ length: 30 }, (_, i) => i);
    let found = 0;
    for (const [i, img] of images.entries()) {
      const ref = (await detectors.base.detect(img, { classes: keep })).detections;
      const [k32, k16] = [(await detectors.k30.detect(img)).detections, (await detectors.k30h.detect(img)).detections];
      assert.deepStrictEqual(k32.map((d) => [d.classId, d.score, d.box]), ref.map((d) => [d.classId, d.score, d.box]), IMAGES[i]);
      for (const d of ref) if (d.score > 0.26) assert.ok(k16.some((e) => near(e, d, 2, 0.01)), `${IMAGES[i]}: ${d.class} ${d.score} not found in float16`);
      found += ref.length;
    }
    assert.ok(found >= 3, `${found} detections of the first 30 classes`);
  });
});

describe('dynamic-quantized (ConvInteger) models', function () {
  this.timeout(180000);
  const tmp = tmpDir('yolo-edge-convint-');
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('read as int8, find the default model\'s strong objects, resize, and are refused by the float16 conversion', async () => {
    const file = convInteger(requireModel(), path.join(tmp, 'convinteger.onnx'));
    const rect = path.join(tmp, 'convinteger-384x640.onnx');
    await resizeModelFile(file, rect, 384, 640);
    const base = await Detector.create(requireModel(), { threads: 1 });
    const q = await Detector.create(file, { threads: 1 });
    const qr = await Detector.create(rect, { threads: 1 });
    try {
      assert.deepStrictEqual([q.info.precision, qr.info.precision, qr.info.inputHeight, qr.info.outputDims[2]], ['int8', 'int8', 384, 5040]);
      for (const name of IMAGES) {
        const img = fs.readFileSync(cocoImage(name));
        const ref = (await base.detect(img)).detections.filter((d) => d.score >= 0.5);
        for (const d of [q, qr]) {
          const got = (await d.detect(img)).detections;
          for (const p of pairDetections(ref, got)) assert.ok(p.b && p.iou >= 0.5, `${name}: ${path.basename(d.info.path)} misses ${p.a.class} ${p.a.score.toFixed(2)}`);
        }
      }
    } finally {
      await Promise.all([base.close(), q.close(), qr.close()]);
    }
    const m = onnx.ModelProto.decode(fs.readFileSync(file));
    assert.throws(() => convertToFloat16(m), (e) => e.code === 'ALREADY_QUANTIZED');
  });
});

describe('unsupported tensor types', function () {
  this.timeout(60000);
  const tmp = tmpDir('yolo-edge-types-');
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  const retyped = (file, where, elemType) => {
    const m = onnx.ModelProto.decode(fs.readFileSync(requireModel()));
    m.graph[where][0].type.tensorType.elemType = elemType;
    fs.writeFileSync(file, onnx.ModelProto.encode(m).finish());
    return file;
  };

  it('names a float64 input and the types that work', async () => {
    const file = retyped(path.join(tmp, 'f64.onnx'), 'input', 11);
    await assert.rejects(loadModelInfo(file), (e) => e.code === 'UNSUPPORTED_TYPE' && /input 'images' is float64 \(ONNX type 11\)/.test(e.message) && /float32, float16 and uint8/.test(e.message));
  });

  it('names an int64 output', async () => {
    const file = retyped(path.join(tmp, 'i64-out.onnx'), 'output', 7);
    await assert.rejects(loadModelInfo(file), (e) => e.code === 'UNSUPPORTED_TYPE' && /output 'output0' is int64/.test(e.message));
  });
});

describe('dynamic-shape float16 models', function () {
  this.timeout(180000);
  const tmp = tmpDir('yolo-edge-fp16-dynamic-');
  let a;
  let b;
  let model;
  before(async () => {
    const dynamic = path.join(tmp, 'yolov8n-dynamic.onnx');
    makeDynamic(requireModel(), dynamic);
    const fp16 = float16Copy(dynamic, path.join(tmp, 'yolov8n-dynamic-fp16.onnx'));
    model = onnx.ModelProto.decode(fs.readFileSync(fp16));
    a = await Detector.create(dynamic, { threads: 1 });
    b = await Detector.create(fp16, { threads: 1 });
  });
  after(async () => {
    await a?.close();
    await b?.close();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('runs the anchor grid\'s Range in float32 between Casts, as onnxruntime has no float16 Range', () => {
    const nodes = model.graph.node;
    const ranges = nodes.filter((n) => n.opType === 'Range');
    assert.ok(ranges.length > 0);
    const castTo = (name) => Number(nodes.find((n) => n.output.includes(name) && n.opType === 'Cast')?.attribute.find((x) => x.name === 'to').i);
    for (const r of ranges) {
      assert.deepStrictEqual(r.input.map(castTo), [1, 1, 1], r.name); // FLOAT
      const after = nodes.find((n) => n.input.includes(r.output[0]));
      assert.strictEqual(after.opType, 'Cast');
      assert.strictEqual(Number(after.attribute.find((x) => x.name === 'to').i), 10); // FLOAT16
    }
  });

  it('detects what the dynamic float32 model detects on frames of several shapes', async () => {
    assert.deepStrictEqual([b.info.dynamicInput, b.info.precision], [true, 'fp16']);
    await sameDetections(a, b);
  });
});

