'use strict';
// yolo-edge resize-input: a static export rewritten for another static size, checked against the square model.
const assert = require('assert');
const crypto = require('crypto');
const fs = require('fs');
const path = require('path');
const { execFile } = require('child_process');
const { onnx } = require('onnx-proto');
const { DIST, ROOT, FIXTURES, requireModel, requireCoco128, cocoImage, lib } = require('./support/paths');
const { tmpDir } = require('./support/fixtures');
const { float16Copy, endToEnd, firstClasses, convInteger } = require('./support/model-variants');
const { cropDataset } = require(path.join(ROOT, 'scripts', 'crop-dataset.js'));
const { Detector } = lib('detector');
const { loadModelInfo } = lib('model/model-info');
const { resizeModelFile, parseImgsz } = lib('tools/graph-edit/resize-input');
const { quantizeModel } = lib('tools/quantize/quantize');
const { compareDetections } = lib('shadow/agreement');

const CLI = path.join(DIST, 'cli', 'main.js');
const FRAMES = 32;

function cli(args) {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], (error, stdout, stderr) => resolve({ code: error ? error.code : 0, stdout, stderr }));
  });
}

/** Pooled F1 of b's detections against a's over the frames (IoU 0.5, same class), as the shadow test counts them. */
async function agreement(modelA, modelB, frames) {
  const a = await Detector.create(modelA, { threads: 1 });
  const b = await Detector.create(modelB, { threads: 1 });
  try {
    let na = 0, nb = 0, matched = 0;
    for (const f of frames) {
      const img = fs.readFileSync(f);
      const g = compareDetections((await a.detect(img)).detections, (await b.detect(img)).detections);
      na += g.production;
      nb += g.candidate;
      matched += g.matched;
    }
    return { f1: (2 * matched) / (na + nb), na, nb, matched };
  } finally {
    await a.close();
    await b.close();
  }
}

function constantsOf(file) {
  const g = onnx.ModelProto.decode(fs.readFileSync(file)).graph;
  return { graph: g, tensors: [...g.initializer, ...g.node.filter((n) => n.opType === 'Constant').map((n) => n.attribute[0].t)] };
}

/** Dims and a digest of each constant, in graph order: everything a resize may rewrite. */
const constantDigests = (file) => constantsOf(file).tensors.map((t) => `${t.dims.join('x')}:${crypto.createHash('sha1').update(t.rawData || []).digest('hex')}`);

/** Both models find the same objects in the committed sample images: same classes, boxes and scores within float noise. */
async function sameDetections(modelA, modelB) {
  const a = await Detector.create(modelA, { threads: 1 });
  const b = await Detector.create(modelB, { threads: 1 });
  try {
    let n = 0;
    for (const name of fs.readdirSync(FIXTURES).filter((f) => f.endsWith('.jpg'))) {
      const img = fs.readFileSync(path.join(FIXTURES, name));
      const [x, y] = [(await a.detect(img)).detections, (await b.detect(img)).detections];
      assert.deepStrictEqual(y.map((d) => d.class), x.map((d) => d.class), name);
      x.forEach((d, i) => {
        for (const k of ['x1', 'y1', 'x2', 'y2']) assert.ok(Math.abs(d.box[k] - y[i].box[k]) < 0.5, `${name} ${k}`);
        assert.ok(Math.abs(d.score - y[i].score) < 1e-3, name);
      });
      n += x.length;
    }
    return n;
  } finally {
    await a.close();
    await b.close();
  }
}

const int64s = (t) => Array.from({ length: t.rawData.length / 8 }, (_, i) => Number(Buffer.from(t.rawData).readBigInt64LE(8 * i)));

describe('resize-input', function () {
  this.timeout(600000);
  const tmp = tmpDir('yolo-edge-resize-');
  const rect = path.join(tmp, 'yolov8n-384x640.onnx');
  // native sizes whose grids (hw 1024/256/64, 256/64/16, 64/16/4) equal channel counts: C2f splits, DFL bins, 4+nc
  const small = { 256: path.join(tmp, 'yolov8n-256.onnx'), 128: path.join(tmp, 'yolov8n-128.onnx'), 64: path.join(tmp, 'yolov8n-64.onnx') };
  let report;
  let frames;
  before(async function () {
    report = await resizeModelFile(requireModel(), rect, 384, 640);
    for (const [size, file] of Object.entries(small)) await resizeModelFile(requireModel(), file, Number(size), Number(size));
    const data = requireCoco128(this);
    await cropDataset(data, path.join(tmp, 'crops'), 16 / 9, { limit: FRAMES });
    frames = fs.readdirSync(path.join(tmp, 'crops', 'images')).sort().map((n) => path.join(tmp, 'crops', 'images', n));
  });
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('recomputes the grid: levels, anchor points, strides, reshape sizes, output shape and metadata', async () => {
    assert.deepStrictEqual(report.levels.map((l) => [l.to.h, l.to.w, l.to.stride]), [[48, 80, 8], [24, 40, 16], [12, 20, 32]]);
    assert.deepStrictEqual([report.anchors, report.rewritten], [{ from: 8400, to: 5040 }, { anchors: 1, strides: 1, shapes: 2 }]);
    const { info } = await loadModelInfo(rect);
    assert.deepStrictEqual([info.inputHeight, info.inputWidth, info.outputDims, info.metadata.imgsz], [384, 640, [1, 84, 5040], [384, 640]]);
    const { tensors } = constantsOf(rect);
    const anchors = tensors.find((t) => t.dataType === 1 && t.dims.map(Number).join() === '1,2,5040');
    const f = new Float32Array(new Uint8Array(anchors.rawData).buffer);
    // the last anchor is the bottom-right cell of the 12x20 level; the first of the second level starts a new grid
    assert.deepStrictEqual([f[5039], f[5040 + 5039], f[3840], f[5040 + 3840]], [19.5, 11.5, 0.5, 0.5]);
    assert.ok(!tensors.some((t) => t.dataType === 7 && int64s(t).includes(8400)));
  });

  it('on 16:9 frames finds what the 640x640 model finds (F1 over IoU 0.5, same class)', async function () {
    const r = await agreement(requireModel(), rect, frames);
    // 0.963 on all 128 coco128 crops: detections near the 0.25 threshold fall on either side
    assert.ok(r.matched >= 100 && r.f1 >= 0.9, JSON.stringify(r));
  });

  it('letterboxes a 1280x720 frame at scale 0.5 into the 384x640 input and maps boxes back to the frame', async () => {
    const sharp = require('sharp');
    const frame = await sharp(frames[0]).resize(1280, 720).jpeg().toBuffer();
    const d = await Detector.create(rect, { threads: 1 });
    try {
      const r = await d.detect(frame, { annotate: true });
      const drawn = await sharp(r.annotated).metadata();
      assert.deepStrictEqual([r.imageWidth, r.imageHeight, drawn.width, drawn.height], [1280, 720, 1280, 720]);
      for (const det of r.detections) assert.ok(det.box.x2 <= 1280 && det.box.y2 <= 720);
    } finally {
      await d.close();
    }
  });

  it('makes a 320x320 model that still finds the zebra, and a float16 one from it', async () => {
    const small = path.join(tmp, 'yolov8n-320.onnx');
    await resizeModelFile(requireModel(), small, 320, 320);
    const half = float16Copy(small, path.join(tmp, 'yolov8n-320-fp16.onnx'));
    for (const m of [small, half]) {
      const d = await Detector.create(m, { threads: 1 });
      try {
        assert.deepStrictEqual([d.info.inputWidth, d.info.outputDims], [320, [1, 84, 2100]]);
        assert.strictEqual((await d.detect(fs.readFileSync(cocoImage('000000000034.jpg')))).detections[0].class, 'zebra');
      } finally {
        await d.close();
      }
    }
  });

  it('resizes a model with its own class count', async () => {
    const k30 = firstClasses(requireModel(), path.join(tmp, 'k30.onnx'), 30);
    const out = path.join(tmp, 'k30-384x640.onnx');
    await resizeModelFile(k30, out, 384, 640);
    const { info } = await loadModelInfo(out);
    assert.deepStrictEqual([info.numClasses, info.outputDims], [30, [1, 34, 5040]]);
  });

  it('resizes a float16 model (its anchors are float16)', async () => {
    const half = float16Copy(requireModel(), path.join(tmp, 'fp16.onnx'));
    const out = path.join(tmp, 'fp16-384x640.onnx');
    const r = await resizeModelFile(half, out, 384, 640);
    assert.strictEqual(r.anchors.to, 5040);
    const a = await agreement(rect, out, frames.slice(0, 8));
    assert.ok(a.f1 >= 0.95, JSON.stringify(a));
  });

  it('refuses what it cannot rewrite, saying why', async () => {
    await assert.rejects(resizeModelFile(requireModel(), path.join(tmp, 'x.onnx'), 300, 640), (e) => e.code === 'BAD_SIZE' && /multiples of the model's largest stride 32/.test(e.message));
    // a constant that holds the anchor count but is neither anchor points nor strides
    const m = onnx.ModelProto.decode(fs.readFileSync(requireModel()));
    const strides = m.graph.initializer.find((t) => t.dims.map(Number).join() === '1,8400');
    const v = new Float32Array(new Uint8Array(strides.rawData).buffer).map((x, i) => x + (i % 3));
    strides.rawData = new Uint8Array(v.buffer);
    const odd = path.join(tmp, 'odd.onnx');
    fs.writeFileSync(odd, onnx.ModelProto.encode(m).finish());
    await assert.rejects(resizeModelFile(odd, path.join(tmp, 'y.onnx'), 384, 640), (e) => e.code === 'UNSUPPORTED_MODEL' && /Constant_20_output_0' of shape \[1,8400\] holds the 8400 anchors/.test(e.message));
    assert.ok(!fs.existsSync(path.join(tmp, 'y.onnx')));
    const e2e = endToEnd(requireModel(), path.join(tmp, 'e2e.onnx'));
    await assert.rejects(resizeModelFile(e2e, path.join(tmp, 'z.onnx'), 384, 640), (e) => e.code === 'UNSUPPORTED_MODEL' && /this one is 'end2end'/.test(e.message));
    assert.deepStrictEqual(parseImgsz('384x640'), [384, 640]);
    assert.deepStrictEqual(parseImgsz('320'), [320, 320]);
  });

  it('resizes a model whose batch alone is symbolic (its size is fixed): the constants of the static one resized', async () => {
    // refused before as "dynamic; a dynamic model takes any size as it is", which it does not: it takes 640x640 only
    const m = onnx.ModelProto.decode(fs.readFileSync(requireModel()));
    for (const v of [m.graph.input[0], m.graph.output[0]]) v.type.tensorType.shape.dim[0] = onnx.TensorShapeProto.Dimension.create({ dimParam: 'batch' });
    const batch = path.join(tmp, 'batch-symbolic.onnx');
    fs.writeFileSync(batch, onnx.ModelProto.encode(m).finish());
    const out = path.join(tmp, 'batch-symbolic-384x640.onnx');
    const r = await resizeModelFile(batch, out, 384, 640);
    assert.deepStrictEqual([r.anchors, r.rewritten], [report.anchors, report.rewritten]);
    assert.deepStrictEqual(constantDigests(out), constantDigests(rect));
    const { info } = await loadModelInfo(out);
    assert.deepStrictEqual([info.inputHeight, info.inputWidth, info.dynamicInput, info.outputDims], [384, 640, false, [-1, 84, 5040]]);
  });

  it('resizes a model that lists its initializers as inputs too, declaring their new shapes there', async () => {
    // their old shapes stayed declared: "the resized model does not run: ... Shape of initializer ... does not match"
    const m = onnx.ModelProto.decode(fs.readFileSync(requireModel()));
    for (const t of m.graph.initializer) m.graph.input.push(onnx.ValueInfoProto.create({ name: t.name, type: { tensorType: { elemType: t.dataType, shape: { dim: t.dims.map((d) => ({ dimValue: d })) } } } }));
    const listed = path.join(tmp, 'initializers-as-inputs.onnx');
    fs.writeFileSync(listed, onnx.ModelProto.encode(m).finish());
    const out = path.join(tmp, 'initializers-as-inputs-384x640.onnx');
    await resizeModelFile(listed, out, 384, 640);
    assert.deepStrictEqual(constantDigests(out), constantDigests(rect));
    const g = onnx.ModelProto.decode(fs.readFileSync(out)).graph;
    const anchors = g.initializer.find((t) => t.dims.map(Number).join() === '1,2,5040');
    assert.deepStrictEqual(g.input.find((i) => i.name === anchors.name).type.tensorType.shape.dim.map((d) => Number(d.dimValue)), [1, 2, 5040]);
  });

  it('refuses a model whose anchor points or strides are quantized (a head quantized too), naming the constant', async () => {
    // as a quantizer of every Mul and Add stores them: uint8 values read by a DequantizeLinear
    for (const dims of ['1,8400', '1,2,8400']) {
      const m = onnx.ModelProto.decode(fs.readFileSync(requireModel()));
      const t = m.graph.initializer.find((x) => x.dims.map(Number).join() === dims);
      const v = new Float32Array(new Uint8Array(t.rawData).slice().buffer);
      const scale = Math.max(...v) / 255;
      const name = t.name;
      Object.assign(t, { name: `${name}_quantized`, dataType: 2, rawData: Uint8Array.from(v, (x) => Math.round(x / scale)) });
      m.graph.initializer.push(onnx.TensorProto.create({ name: `${name}_scale`, dataType: 1, dims: [], rawData: new Uint8Array(Float32Array.of(scale).buffer) }));
      m.graph.node.unshift(onnx.NodeProto.create({ name: `${name}_DequantizeLinear`, opType: 'DequantizeLinear', input: [t.name, `${name}_scale`], output: [name] }));
      const file = path.join(tmp, 'quantized-grid.onnx');
      fs.writeFileSync(file, onnx.ModelProto.encode(m).finish());
      const out = path.join(tmp, 'quantized-grid-384x640.onnx');
      await assert.rejects(resizeModelFile(file, out, 384, 640), (e) => e.code === 'UNSUPPORTED_MODEL' && e.message.includes(`constant '${name}_quantized' of shape [${dims}] holds one value per anchor (8400) as quantized integers`));
      assert.ok(!fs.existsSync(out));
    }
  });

  for (const size of Object.keys(small)) {
    it(`resizes a ${size}x${size} model to 640x640 and 384x640: the constants and boxes of the 640 model and of the one resized from it`, async () => {
      const square = path.join(tmp, `from-${size}-640.onnx`);
      const wide = path.join(tmp, `from-${size}-384x640.onnx`);
      const r = await resizeModelFile(small[size], square, 640, 640);
      await resizeModelFile(small[size], wide, 384, 640);
      assert.deepStrictEqual([r.anchors.to, r.rewritten], [8400, { anchors: 1, strides: 1, shapes: 2 }]);
      // the weights never change, so the way back gives the original graph
      assert.deepStrictEqual(constantDigests(square), constantDigests(requireModel()));
      assert.deepStrictEqual(constantDigests(wide), constantDigests(rect));
      assert.ok((await sameDetections(requireModel(), square)) >= 10);
    });
  }

  it('resizes a dynamically quantized (ConvInteger) 256x256 model to 640x640: the constants of the one made from the 640 model', async () => {
    const out = path.join(tmp, 'dyn-256-640.onnx');
    await resizeModelFile(convInteger(small[256], path.join(tmp, 'dyn-256.onnx')), out, 640, 640);
    assert.deepStrictEqual(constantDigests(out), constantDigests(convInteger(requireModel(), path.join(tmp, 'dyn-640.onnx'))));
  });

  it('refuses, naming it, a constant it cannot tell a grid size from a channel count in, and a level of one cell', async () => {
    // a C2f channel Slice of the 256 model whose axes are computed (Identity): its end, 256, is also the 16x16 level's size
    const m = onnx.ModelProto.decode(fs.readFileSync(small[256]));
    const values = new Map([...m.graph.initializer.map((t) => [t.name, t]), ...m.graph.node.filter((n) => n.opType === 'Constant').map((n) => [n.output[0], n.attribute[0].t])]);
    const slice = m.graph.node.find((n) => n.opType === 'Slice' && values.get(n.input[2]) && int64s(values.get(n.input[2])).join() === '256');
    m.graph.node.splice(m.graph.node.indexOf(slice), 0, onnx.NodeProto.create({ name: 'axes_copy', opType: 'Identity', input: [slice.input[3]], output: ['axes_copy'] }));
    slice.input[3] = 'axes_copy';
    const computed = path.join(tmp, 'computed-axes.onnx');
    fs.writeFileSync(computed, onnx.ModelProto.encode(m).finish());
    const out = path.join(tmp, 'computed-axes-640.onnx');
    const named = new RegExp(`constant '${slice.input[2]}' holds 256 .*may be a grid size or a channel count`);
    await assert.rejects(resizeModelFile(computed, out, 640, 640), (e) => e.code === 'UNSUPPORTED_MODEL' && named.test(e.message));
    assert.ok(!fs.existsSync(out));
    // a 32x32 export (resize-input makes none): its anchor points are levels of 4x4, 2x2 and 1x1 cells
    const tiny = onnx.ModelProto.decode(fs.readFileSync(requireModel()));
    const points = [4, 2, 1].flatMap((n) => Array.from({ length: n * n }, (_, i) => [(i % n) + 0.5, Math.floor(i / n) + 0.5]));
    const anchors = tiny.graph.initializer.find((t) => t.dims.map(Number).join() === '1,2,8400');
    anchors.dims = [1, 2, points.length];
    anchors.rawData = new Uint8Array(Float32Array.from([...points.map((p) => p[0]), ...points.map((p) => p[1])]).buffer);
    tiny.graph.input[0].type.tensorType.shape.dim[2].dimValue = 32;
    tiny.graph.input[0].type.tensorType.shape.dim[3].dimValue = 32;
    tiny.graph.output[0].type.tensorType.shape.dim[2].dimValue = points.length;
    const tinyFile = path.join(tmp, 'yolov8n-32.onnx');
    fs.writeFileSync(tinyFile, onnx.ModelProto.encode(tiny).finish());
    await assert.rejects(resizeModelFile(tinyFile, out, 640, 640), (e) => e.code === 'UNSUPPORTED_MODEL' && e.message === `${tinyFile}: a level of one row or column (32x32 input) cannot be told from unit dimensions; resize a model of at least 64 per side`);
    assert.ok(!fs.existsSync(out));
  });

  it('refuses an --imgsz of one stride on a side at the start, as it refuses such a model as input (it wrote one)', async () => {
    const out = path.join(tmp, 'one-row.onnx');
    for (const [h, w] of [[32, 640], [640, 32], [32, 32]]) {
      const why = `--imgsz ${h}x${w}: both sides must be multiples of the model's largest stride 32, from 64 to 4096 (a level of one cell across could not be resized again)`;
      await assert.rejects(resizeModelFile(requireModel(), out, h, w), (e) => e.code === 'BAD_SIZE' && e.message === why);
    }
    const r = await cli(['resize-input', '--model', requireModel(), '--imgsz', '32x640', '--out', out]);
    assert.ok(r.code === 2 && r.stderr.includes('from 64 to 4096'), r.stderr);
    assert.ok(!fs.existsSync(out));
    // the smallest it writes it takes back as input: 64x640 to 640x640 gives the original constants
    const smallest = path.join(tmp, 'yolov8n-64x640.onnx');
    await resizeModelFile(requireModel(), smallest, 64, 640);
    const back = path.join(tmp, 'back-640.onnx');
    await resizeModelFile(smallest, back, 640, 640);
    assert.deepStrictEqual(constantDigests(back), constantDigests(requireModel()));
  });

  it('refuses an --out that is the input model (also through a symlink) and leaves it as it was', async () => {
    const mine = path.join(tmp, 'mine.onnx');
    fs.copyFileSync(requireModel(), mine);
    const link = path.join(tmp, 'mine-link.onnx');
    fs.symlinkSync(mine, link);
    const before = fs.readFileSync(mine);
    for (const out of [mine, link]) {
      const r = await cli(['resize-input', '--model', mine, '--imgsz', '320', '--out', out]);
      assert.strictEqual(r.code, 2, out); // a mistake in --out: the usage exit code
      assert.match(r.stderr, /is the input model .*choose another --out/, out);
    }
    assert.ok(fs.readFileSync(mine).equals(before));
    assert.ok(fs.lstatSync(link).isSymbolicLink());
  });

  it('runs as yolo-edge resize-input and reports the grids', async () => {
    const out = path.join(tmp, 'cli.onnx');
    const r = await cli(['resize-input', '--model', requireModel(), '--imgsz', '384x640', '--out', out]);
    assert.strictEqual(r.code, 0, r.stderr);
    assert.match(r.stdout, /640x640 -> 384x640 \(HxW\), 8400 -> 5040 anchors/);
    assert.match(r.stdout, /80x80, 40x40, 20x20 -> 48x80, 24x40, 12x20/);
  });

  it('--imgsz 384 (one size) makes the same model as 384x384, as its usage line says', async () => {
    const [one, two] = [path.join(tmp, 'one-size.onnx'), path.join(tmp, 'two-sizes.onnx')];
    for (const [imgsz, out] of [['384', one], ['384x384', two]]) {
      const r = await cli(['resize-input', '--model', requireModel(), '--imgsz', imgsz, '--out', out]);
      assert.strictEqual(r.code, 0, r.stderr);
      assert.match(r.stdout, /640x640 -> 384x384 \(HxW\)/);
    }
    assert.ok(fs.readFileSync(one).equals(fs.readFileSync(two)));
    const help = await cli(['resize-input', '--help']);
    assert.match(help.stdout, /--imgsz HxW\|S .*one size S is a square, 384 = 384x384/);
  });

  it('a bad --imgsz is a usage mistake (exit 2 with the usage line), up to 4096 per side', async () => {
    const out = path.join(tmp, 'bad-size.onnx');
    const cases = { wide: /--imgsz takes HxW/, 0: /--imgsz 0x0: .*stride 32, from 64 to 4096/, '33x100': /stride 32/, 100000: /--imgsz 100000x100000: .*from 64 to 4096/, '4128x640': /from 64 to 4096/ };
    for (const [imgsz, why] of Object.entries(cases)) {
      const r = await cli(['resize-input', '--model', requireModel(), '--imgsz', imgsz, '--out', out]);
      assert.strictEqual(r.code, 2, `${imgsz}: ${r.stderr}`);
      assert.match(r.stderr, why);
      assert.match(r.stderr, /usage: yolo-edge resize-input/);
    }
    assert.ok(!fs.existsSync(out));
  });

  describe('and INT8', () => {
    let square8;
    let rect8;
    before(async function () {
      const calib = requireCoco128(this);
      square8 = path.join(tmp, 'square-int8.onnx');
      rect8 = path.join(tmp, 'rect-int8.onnx');
      await quantizeModel({ model: requireModel(), calib, out: square8, samples: 8, split: 'even', threads: 1 });
      await quantizeModel({ model: rect, calib, out: rect8, samples: 8, split: 'even', threads: 1 });
    });

    it('quantizing a resized model gives a model that agrees with it', async () => {
      const { info } = await loadModelInfo(rect8);
      assert.deepStrictEqual([info.precision, info.inputHeight, info.inputWidth, info.outputDims[2]], ['int8', 384, 640, 5040]);
      const r = await agreement(rect, rect8, frames);
      assert.ok(r.matched >= 90 && r.f1 >= 0.85, JSON.stringify(r));
    });

    it('resizing a quantized model rewrites its upsampling shapes too and agrees with the square INT8 model', async () => {
      const out = path.join(tmp, 'square-int8-384x640.onnx');
      const rep = await resizeModelFile(square8, out, 384, 640);
      assert.strictEqual(rep.rewritten.shapes, 4);
      const { graph } = constantsOf(out);
      const reshapes = graph.node.filter((n) => n.opType === 'Reshape' && /upsample|Resize/i.test(n.name));
      const shapes = reshapes.map((n) => int64s(graph.initializer.find((t) => t.name === n.input[1])).slice(1, 3).join('x')).sort();
      assert.deepStrictEqual(shapes, ['24x40', '48x80']);
      const r = await agreement(square8, out, frames);
      assert.ok(r.matched >= 90 && r.f1 >= 0.85, JSON.stringify(r));
    });

    it('resizes a quantized 256x256 model to 384x640: channel counts equal to its grid sizes stay, it agrees with the float model', async function () {
      const q = path.join(tmp, 'int8-256.onnx');
      await quantizeModel({ model: small[256], calib: requireCoco128(this), out: q, samples: 8, split: 'even', threads: 1 });
      const out = path.join(tmp, 'int8-256-384x640.onnx');
      const rep = await resizeModelFile(q, out, 384, 640);
      assert.deepStrictEqual([rep.anchors.to, rep.rewritten.shapes], [5040, 4]);
      // the upsampling's NHWC shapes: 256 and 128 channels, though 256 is the 16x16 level's anchor count at 256x256
      const { graph } = constantsOf(out);
      const shapes = graph.node.filter((n) => n.opType === 'Reshape' && /Resize/.test(n.name)).map((n) => int64s(graph.initializer.find((t) => t.name === n.input[1])).join()).sort();
      assert.deepStrictEqual(shapes, ['1,24,40,256', '1,48,80,128']);
      const r = await agreement(rect, out, frames);
      assert.ok(r.matched >= 80 && r.f1 >= 0.8, JSON.stringify(r));
    });
  });
});
