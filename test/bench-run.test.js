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

describe('yolo-edge bench', function () {
  this.timeout(180000);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'yolo-edge-bench-'));
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('runs yolov8-detect inside Node-RED and reports latency, throughput and event-loop delay (bench --node-red)', async function () {
    const { runNodeRedBench } = lib('tools/bench/node-red-bench');
    const r = await runNodeRedBench({ model: requireModel(), images: requireCoco128(this), threads: 1, runs: 2, streamSeconds: 2, fps: 5 });
    assert.ok(r.session > 0 && r.latency.annotateOff > 0 && r.latency.annotateOn > 0 && r.throughputFps > 0, JSON.stringify(r));
    for (const l of [r.loop.annotateOff, r.loop.annotateOn]) {
      // the histogram's 1 ms timer period is taken out: an idle loop's delay is near 0, not near 1 ms
      assert.ok(l.max >= l.p99 && l.p99 >= l.p50 && l.p50 >= 0 && l.p50 < 1, JSON.stringify(l));
      assert.ok(Number.isFinite(l.gcMax) && l.gcMax >= 0, `longest GC pause ${l.gcMax}`);
    }
    const { nodeRedMarkdown } = lib('tools/bench/node-red-bench');
    assert.match(nodeRedMarkdown([r]), new RegExp(`\\| ${r.loop.annotateOff.gcMax.toFixed(1)} / ${r.loop.annotateOn.gcMax.toFixed(1)} \\| ${r.loop.annotateOff.framesIn}/`));
    assert.match(nodeRedMarkdown([r]), /loop delay p50\/p99\/max, 5 fps,/, 'the stream\'s own frame rate');
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
