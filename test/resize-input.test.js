'use strict';
// yolo-edge resize-input: a static export rewritten for another static size, checked against the square model.
const assert = require('assert');
const fs = require('fs');
const path = require('path');
const { execFile } = require('child_process');
const { onnx } = require('onnx-proto');
const { DIST, ROOT, requireModel, requireCoco128, cocoImage, lib } = require('./support/paths');
const { tmpDir } = require('./support/fixtures');
const { float16Copy, endToEnd, firstClasses } = require('./support/model-variants');
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

const int64s = (t) => Array.from({ length: t.rawData.length / 8 }, (_, i) => Number(Buffer.from(t.rawData).readBigInt64LE(8 * i)));

describe('resize-input', function () {
  this.timeout(600000);
  const tmp = tmpDir('yolo-edge-resize-');
  const rect = path.join(tmp, 'yolov8n-384x640.onnx');
  let report;
  let frames;
  before(async function () {
    report = await resizeModelFile(requireModel(), rect, 384, 640);
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

  it('refuses an --out that is the input model (also through a symlink) and leaves it as it was', async () => {
    const mine = path.join(tmp, 'mine.onnx');
    fs.copyFileSync(requireModel(), mine);
    const link = path.join(tmp, 'mine-link.onnx');
    fs.symlinkSync(mine, link);
    const before = fs.readFileSync(mine);
    for (const out of [mine, link]) {
      const r = await cli(['resize-input', '--model', mine, '--imgsz', '320', '--out', out]);
      assert.strictEqual(r.code, 1, out);
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

  it('a bad --imgsz is a usage mistake (exit 2 with the usage line), up to 4096 per side', async () => {
    const out = path.join(tmp, 'bad-size.onnx');
    const cases = { wide: /--imgsz takes HxW/, 0: /--imgsz 0x0: .*stride 32, from 32 to 4096/, '33x100': /stride 32/, 100000: /--imgsz 100000x100000: .*from 32 to 4096/, '4128x640': /from 32 to 4096/ };
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
  });
});
