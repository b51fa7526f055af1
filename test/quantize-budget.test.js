'use strict';
// The accuracy budget on the real model: a budget no model can meet forces the most harmful layers to
// stay float, up to the cap, and the written model has exactly those Convs unquantized.
const assert = require('assert');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { onnx } = require('onnx-proto');
const { lib, requireModel, requireCoco128 } = require('./support/paths');
const { quantizeModel } = lib('tools/quantize/quantize');

describe('quantize --accuracy-budget', function () {
  this.timeout(400000);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'yolo-edge-budget-'));
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('ranks layers by measured harm and keeps the worst float until the cap', async function () {
    const out = path.join(tmp, 'budget.onnx');
    const r = await quantizeModel({ model: requireModel(), calib: requireCoco128(this), out, samples: 6, split: 'even', accuracyBudget: -1000, holdout: 2, budgetMaxLayers: 2 });
    const b = r.budget;
    assert.strictEqual(b.holdoutImages, 2);
    assert.strictEqual(r.calibrationImages, 4, 'held-aside images are not calibrated on');
    assert.strictEqual(b.reference, 'labels');
    assert.strictEqual(b.keptFloat.length, 2);
    assert.strictEqual(b.withinBudget, false);
    assert.ok(b.ranking[0].sensitivity >= b.ranking[1].sensitivity && b.ranking[1].sensitivity >= b.ranking[2].sensitivity);
    assert.deepStrictEqual(b.keptFloat.map((l) => l.conv), b.ranking.slice(0, 2).map((l) => l.conv));
    assert.strictEqual(r.quantizedConvs, 60, '62 less the two kept float');
    const graph = onnx.ModelProto.decode(fs.readFileSync(out)).graph;
    for (const l of b.keptFloat) {
      const conv = graph.node.find((n) => n.name === l.conv);
      assert.ok(!conv.input[1].endsWith('_DequantizeLinear_Output'), `${l.conv} keeps float weights`);
    }
    const meta = JSON.parse(graph && onnx.ModelProto.decode(fs.readFileSync(out)).metadataProps.find((p) => p.key === 'quantization').value);
    assert.deepStrictEqual(meta.keptFloatForBudget, b.keptFloat.map((l) => l.conv));
    assert.ok(!fs.readdirSync(os.tmpdir()).some((f) => f.startsWith(`yolo-edge-budget-${process.pid}-`)), 'temporary models are removed');
  });

  it('refuses a budget with no image left to hold aside (it measured 0 images and reported the budget met)', async function () {
    const out = path.join(tmp, 'one-image.onnx');
    await assert.rejects(quantizeModel({ model: requireModel(), calib: requireCoco128(this), out, samples: 1, accuracyBudget: 1 }),
      (e) => e.code === 'NO_IMAGES' && /--accuracy-budget .* held aside from the 1 picked, which leaves none; pick at least 2/.test(e.message));
    assert.ok(!fs.existsSync(out));
  });
});
