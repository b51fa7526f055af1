'use strict';
const assert = require('assert');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { lib, requireModel, requireCoco128 } = require('./support/paths');
const { runBench, markdownTable } = lib('tools/bench/bench');
const { percentile, median } = lib('stats');
const { writeFloatModel } = lib('tools/quantize/quantize');

describe('benchmark statistics', () => {
  it('takes medians and p90 with linear interpolation', () => {
    assert.strictEqual(median([3, 1, 2]), 2);
    assert.strictEqual(median([4, 1, 2, 3]), 2.5);
    assert.strictEqual(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 90), 9.1);
    assert.ok(Number.isNaN(median([])));
  });
});

describe('bench model names', () => {
  const { modelNames } = lib('tools/bench/model-names');
  it('is the file name, with as many folders as tell two of one file name apart; one path given twice keeps one name', () => {
    const a = path.join('/runs', 'train', 'weights', 'best.onnx');
    const b = path.join('/runs', 'train2', 'weights', 'best.onnx');
    const c = path.join('/models', 'yolov8n.onnx');
    assert.deepStrictEqual([...modelNames([a, b, c, a]).values()], [path.join('train', 'weights', 'best.onnx'), path.join('train2', 'weights', 'best.onnx'), 'yolov8n.onnx']);
    assert.deepStrictEqual(modelNames([a, a]).get(a), 'best.onnx');
    assert.deepStrictEqual(modelNames([path.join('/x', 'm.onnx'), path.join('/x', 'y', 'x', 'm.onnx')]).get(path.join('/x', 'm.onnx')), path.join('x', 'm.onnx'));
  });
});

describe('yolo-edge bench', function () {
  this.timeout(180000);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'yolo-edge-bench-'));
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('runs yolov8-detect inside Node-RED and reports latency, throughput and event-loop delay (bench --node-red)', async function () {
    const { runNodeRedBench } = lib('tools/bench/node-red-bench');
    const r = await runNodeRedBench({ model: requireModel(), images: requireCoco128(this), threads: 1, runs: 2, streamSeconds: 2, fps: 5 });
    assert.ok(r.session > 0 && r.latency.annotateOff > 0 && r.latency.annotateOn > 0 && r.throughputFps > 0 && r.throughputSession > 0, JSON.stringify(r));
    for (const l of [r.loop.annotateOff, r.loop.annotateOn]) {
      // the histogram's 1 ms timer period is taken out: an idle loop's delay is near 0, not near 1 ms
      assert.ok(l.max >= l.p99 && l.p99 >= l.p50 && l.p50 >= 0 && l.p50 < 1, JSON.stringify(l));
      assert.ok(Number.isFinite(l.gcMax) && l.gcMax >= 0, `longest GC pause ${l.gcMax}`);
    }
    const { nodeRedMarkdown } = lib('tools/bench/node-red-bench');
    assert.match(nodeRedMarkdown([r]), new RegExp(`\\| ${r.loop.annotateOff.gcMax.toFixed(1)} / ${r.loop.annotateOn.gcMax.toFixed(1)} \\| ${r.loop.annotateOff.framesIn}/`));
    assert.match(nodeRedMarkdown([r]), /loop delay p50\/p99\/max, 5 fps,/, 'the stream\'s own frame rate');
    assert.match(nodeRedMarkdown([r]), new RegExp(`x\\) \\| ${r.throughputSession.toFixed(1)} \\| `), 'the session median during the throughput stream, after the throughput');
  });

  /** Detector.prototype.detect replaced for the duration of `body` (the nodes' detectors too: same process). */
  async function withDetect(replacement, body) {
    const { Detector } = lib('detector');
    const original = Detector.prototype.detect;
    Detector.prototype.detect = function (...args) {
      return replacement.call(this, original, args);
    };
    try {
      return await body();
    } finally {
      Detector.prototype.detect = original;
    }
  }

  it('reports a model that fails to load and measures the others (runBench)', async function () {
    const corrupt = path.join(tmp, 'corrupt.onnx');
    fs.writeFileSync(corrupt, 'not a model');
    const r = await runBench({ models: [requireModel(), corrupt], images: requireCoco128(this), threads: [1], runs: 2, warmup: 0, maxImages: 2, accuracy: false });
    assert.deepStrictEqual(r.rows.map((x) => x.model), ['yolov8n.onnx']);
    assert.strictEqual(r.failed.length, 1, JSON.stringify(r.failed));
    assert.deepStrictEqual([r.failed[0].model, r.failed[0].threads, r.failed[0].code], ['corrupt.onnx', 1, 'NOT_ONNX']);
    assert.match(r.failed[0].message, /is not an ONNX model/);
    assert.match(markdownTable(r), /\n- failed: corrupt\.onnx at 1 thread\(s\): NOT_ONNX: .*is not an ONNX model/);
  });

  it('reads only the frames its runs use, not the whole folder (all were held: 150 photos took it to 685 MB); with mAP, checks every one first, leaving a bad one out', async function () {
    const coco = requireCoco128(this);
    const dir = path.join(tmp, 'frames');
    fs.mkdirSync(path.join(dir, 'images'), { recursive: true });
    for (const s of ['000000000009', '000000000025', '000000000030']) fs.copyFileSync(path.join(coco, 'images', `${s}.jpg`), path.join(dir, 'images', `${s}.jpg`));
    fs.writeFileSync(path.join(dir, 'images', 'zz-broken.jpg'), 'not an image');
    const r = await runBench({ models: [requireModel()], images: dir, threads: [1], runs: 2, warmup: 1, accuracy: false });
    assert.strictEqual(r.images, 2);
    assert.deepStrictEqual([r.rows.length, r.failed.length], [1, 0]);
    fs.mkdirSync(path.join(dir, 'labels'));
    fs.writeFileSync(path.join(dir, 'labels', '000000000009.txt'), '45 0.5 0.5 0.2 0.2\n');
    // a bad one is left out (it stopped the bench, BAD_IMAGE), named once, and the mAP is that of the others
    const warnings = [];
    const withMap = await runBench({ models: [requireModel()], images: dir, threads: [1], runs: 2, warmup: 1, warn: (m) => warnings.push(m) });
    assert.deepStrictEqual([withMap.images, withMap.rows.length, withMap.failed.length], [3, 1, 0]);
    assert.strictEqual(typeof withMap.rows[0].map50, 'number', JSON.stringify(withMap.rows[0]));
    assert.strictEqual(warnings.length, 1, warnings.join('\n'));
    assert.match(warnings[0], /^1 of 4 image\(s\) left out, as they cannot be read or decoded .*zz-broken\.jpg: not a readable image/);
  });

  it('drops a model that fails on frames and goes on with the others, run by run (runBench)', async function () {
    const { YoloEdgeError } = lib('errors');
    const failing = path.join(tmp, 'fails-on-frames.onnx');
    fs.copyFileSync(requireModel(), failing);
    const order = [];
    const r = await withDetect(function (original, args) {
      order.push(path.basename(this.info.path));
      if (this.info.path === failing && order.filter((m) => m === 'fails-on-frames.onnx').length > 2) return Promise.reject(new YoloEdgeError('boom on a frame', 'INFERENCE_FAILED'));
      return original.apply(this, args);
    }, () => runBench({ models: [failing, requireModel()], images: requireCoco128(this), threads: [1], runs: 4, warmup: 1, maxImages: 2, accuracy: false }));
    assert.deepStrictEqual(r.rows.map((x) => x.model), ['yolov8n.onnx']);
    assert.strictEqual(r.rows[0].sessionVsFirst, 1, 'relative to the first model measured');
    assert.deepStrictEqual(r.failed, [{ model: 'fails-on-frames.onnx', threads: 1, code: 'INFERENCE_FAILED', message: 'boom on a frame' }]);
    // warm-up, then run 1 of both, run 2 of the failing one fails; the other goes on alone
    assert.deepStrictEqual(order, ['fails-on-frames.onnx', 'yolov8n.onnx', 'fails-on-frames.onnx', 'yolov8n.onnx', 'fails-on-frames.onnx', 'yolov8n.onnx', 'yolov8n.onnx', 'yolov8n.onnx']);
  });

  it('bench --node-red interleaves bare run, annotate off and annotate on msg by msg, and reports a model that fails to load', async function () {
    const { runNodeRedBenches, nodeRedMarkdown } = lib('tools/bench/node-red-bench');
    const corrupt = path.join(tmp, 'corrupt-nr.onnx');
    fs.writeFileSync(corrupt, 'not a model');
    const annotate = [];
    const r = await withDetect(function (original, args) {
      annotate.push(args[1].annotate ? 'on' : 'off');
      return original.apply(this, args);
    }, () => runNodeRedBenches({ models: [corrupt, requireModel()], images: requireCoco128(this), threads: [1], runs: 3, streamSeconds: 1, fps: 5 }));
    assert.strictEqual(r.rows.length, 1, JSON.stringify(r));
    const [row] = r.rows;
    assert.ok(row.session > 0 && row.latency.annotateOff > 0 && row.latency.annotateOn > 0, JSON.stringify(row));
    assert.deepStrictEqual(r.failed.map((f) => [f.model, f.threads, f.code]), [['corrupt-nr.onnx', 1, 'NOT_ONNX']]);
    assert.ok(annotate.join(' ').includes('off on off on off on'), annotate.join(' '));
    assert.match(nodeRedMarkdown(r.rows, r.failed), /\| yolov8n\.onnx \| 1 \|[^\n]*\n[^]*- failed: corrupt-nr\.onnx at 1 thread\(s\): NOT_ONNX: /);
  });

  it('bench --node-red reports the error message of a detect node that fails', async function () {
    const { runNodeRedBenches } = lib('tools/bench/node-red-bench');
    const { YoloEdgeError } = lib('errors');
    const r = await withDetect(() => Promise.reject(new YoloEdgeError('boom in the node', 'BAD_OUTPUT')),
      () => runNodeRedBenches({ models: [requireModel()], images: requireCoco128(this), threads: [1], runs: 2, streamSeconds: 1, fps: 5 }));
    assert.deepStrictEqual(r.rows, []);
    assert.deepStrictEqual(r.failed, [{ model: 'yolov8n.onnx', threads: 1, code: 'BAD_OUTPUT', message: 'boom in the node' }]);
  });

  it('measures two models interleaved: session and end-to-end latency, CPU, size and mAP', async function () {
    const u8 = path.join(tmp, 'yolov8n-u8.onnx');
    await writeFloatModel(requireModel(), u8, { uint8Input: true });
    const r = await runBench({ models: [requireModel(), u8], images: requireCoco128(this), threads: [1], runs: 4, warmup: 1, split: 'odd', maxImages: 3 });
    assert.strictEqual(r.rows.length, 2);
    assert.strictEqual(r.images, 3);
    const [fp32, bytesIn] = r.rows;
    assert.strictEqual(fp32.inputType, 'float32');
    assert.strictEqual(bytesIn.inputType, 'uint8');
    for (const row of r.rows) {
      assert.ok(row.session.median > 0 && row.session.p90 >= row.session.median);
      assert.ok(row.e2e.median > row.session.median * 0.9, 'end-to-end includes the session run');
      assert.ok(row.cpuPercent > 0 && row.fps > 0 && row.fileBytes > 1e6);
      assert.ok(row.map50 > 0 && row.map50_95 > 0 && row.map50_95 <= row.map50);
    }
    // the same weights fed as bytes give the same accuracy
    assert.ok(Math.abs(fp32.map50 - bytesIn.map50) < 1e-3);
    assert.strictEqual(fp32.sessionVsFirst, 1);
    assert.ok(r.peakRssMB > 50);
    assert.deepStrictEqual(r.fusion.map((f) => f.qlinearConv), [0, 0], 'float models have no QLinearConv');
    assert.ok(r.fusion[0].floatConv > 0);
    const md = markdownTable(r);
    assert.match(md, /Fusion check .*yolov8n\.onnx: 0 QLinearConv/);
    assert.match(md, /\| model \| precision \| threads \| session median/);
    assert.match(md, /yolov8n-u8\.onnx \| fp32 \(uint8 in\) \| 1 \|/);
  });
});
