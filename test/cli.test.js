'use strict';
const assert = require('assert');
const path = require('path');
const { execFile } = require('child_process');
const { DIST, requireModel, requireCoco128, cocoImage } = require('./support/paths');

const CLI = path.join(DIST, 'cli', 'main.js');

function cli(args, opts = {}) {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { maxBuffer: 64 * 1024 * 1024, ...opts }, (error, stdout, stderr) => {
      resolve({ code: error ? error.code : 0, stdout, stderr });
    });
  });
}

describe('yolo-edge CLI', function () {
  this.timeout(300000);
  before(() => {
    requireModel();
  });

  it('detect --json prints one line per image with detections and timings', async () => {
    const r = await cli(['detect', '--json', '--threads', '2', cocoImage('000000000034.jpg'), cocoImage('000000000009.jpg')]);
    assert.strictEqual(r.code, 0, r.stderr);
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    assert.strictEqual(lines.length, 2);
    assert.strictEqual(lines[0].detections[0].class, 'zebra');
    assert.ok(lines[1].detections.some((d) => d.class === 'bowl'));
    assert.ok(lines[0].timings.inference > 0);
  });

  it('detect --classes keeps only the named classes', async () => {
    const r = await cli(['detect', '--json', '--classes', 'broccoli', cocoImage('000000000009.jpg')]);
    const line = JSON.parse(r.stdout);
    assert.ok(line.detections.length > 0);
    assert.ok(line.detections.every((d) => d.class === 'broccoli'));
  });

  it('fails with a usage message and exit code 2 on a bad option', async () => {
    const r = await cli(['detect', '--conf', '3', cocoImage('000000000034.jpg')]);
    assert.strictEqual(r.code, 2);
    assert.match(r.stderr, /--conf must be a number between 0 and 1/);
    const missing = await cli(['detect', '--model', '/nope.onnx', cocoImage('000000000034.jpg')]);
    assert.strictEqual(missing.code, 1);
    assert.match(missing.stderr, /model file not found: \/nope.onnx/);
  });

  it("uses the user's ./yolov8n.onnx over the package model of the same name", async () => {
    const fs = require('fs');
    const os = require('os');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'yolo-edge-cwd-'));
    try {
      fs.writeFileSync(path.join(dir, 'yolov8n.onnx'), 'not a model');
      for (const model of ['./yolov8n.onnx', 'yolov8n.onnx']) {
        const r = await cli(['detect', '--model', model, cocoImage('000000000034.jpg')], { cwd: dir });
        assert.strictEqual(r.code, 1, model);
        assert.match(r.stderr, /is not an ONNX model/, model);
        assert.ok(r.stderr.includes(path.join(fs.realpathSync(dir), 'yolov8n.onnx')) || r.stderr.includes(path.join(dir, 'yolov8n.onnx')), r.stderr);
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('quantize --fp32 writes the FP32 model to compare an INT8 one with (float head rewritten, no calibration)', async () => {
    const fs = require('fs');
    const os = require('os');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'yolo-edge-fp32-'));
    try {
      const out = path.join(dir, 'fp32.onnx');
      const r = await cli(['quantize', '--model', 'yolov8n.onnx', '--fp32', '--out', out, '--json']);
      assert.strictEqual(r.code, 0, r.stderr);
      const report = JSON.parse(r.stdout);
      assert.deepStrictEqual([report.dflRewritten, fs.existsSync(out)], [1, true]);
      const d = await cli(['detect', '--json', '--model', out, cocoImage('000000000034.jpg')]);
      assert.strictEqual(JSON.parse(d.stdout).detections[0].class, 'zebra');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('eval on coco128 measures what a correct letterbox pipeline does: mAP50 0.595, mAP50-95 0.445 (+-0.01)', async function () {
    const r = await cli(['eval', '--json', '--threads', '2', '--data', requireCoco128(this)]);
    assert.strictEqual(r.code, 0, r.stderr);
    const m = JSON.parse(r.stdout);
    console.log(`      coco128: mAP50 ${m.map50.toFixed(4)}, mAP50-95 ${m.map50_95.toFixed(4)}, P ${m.precision.toFixed(3)}, R ${m.recall.toFixed(3)}`);
    assert.strictEqual(m.images, 128);
    assert.strictEqual(m.labels, 929);
    assert.strictEqual(m.perClass.length, 71);
    assert.ok(Math.abs(m.map50 - 0.595) <= 0.01, `mAP50 ${m.map50}`);
    assert.ok(Math.abs(m.map50_95 - 0.445) <= 0.01, `mAP50-95 ${m.map50_95}`);
  });
});
