'use strict';
// The accuracy budget on the real model: a budget no model can meet forces the most harmful layers to
// stay float, up to the cap, and the written model has exactly those Convs unquantized.
const assert = require('assert');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { onnx } = require('onnx-proto');
const { lib, requireModel, requireCoco128, FIXTURES } = require('./support/paths');
const { makeDynamic } = require('./support/dynamic-model');
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

  it('measures each layer\'s harm on a dynamic-shape model too (its anchor count is -1 in the file: every harm was 0)', async function () {
    const dynamic = makeDynamic(requireModel(), path.join(tmp, 'dynamic.onnx'));
    const r = await quantizeModel({ model: dynamic, calib: FIXTURES, out: path.join(tmp, 'dynamic-budget.onnx'), samples: 3, accuracyBudget: 100, holdout: 1 });
    assert.ok(r.budget.ranking[0].sensitivity > 0, JSON.stringify(r.budget.ranking.slice(0, 3)));
  });

  /** Copies of one photo a.jpg, b.jpg... with the given label texts. */
  const labelled = (name, labels) => {
    const { cocoImage } = require('./support/paths');
    const calib = path.join(tmp, name);
    fs.mkdirSync(path.join(calib, 'images'), { recursive: true });
    fs.mkdirSync(path.join(calib, 'labels'));
    for (const [stem, label] of Object.entries(labels)) {
      fs.copyFileSync(cocoImage('000000000009.jpg'), path.join(calib, 'images', `${stem}.jpg`));
      fs.writeFileSync(path.join(calib, 'labels', `${stem}.txt`), label);
    }
    return calib;
  };

  it('leaves out a held-aside image with a label line eval cannot use, and says so (it was kept, the line skipped in silence)', async function () {
    // all picked, 2 held aside: b and d; b has a class the 80-class model lacks
    const box = '0 0.5 0.5 0.2 0.2\n';
    const calib = labelled('bad-line', { a: box, b: `${box}90 0.5 0.5 0.2 0.2\n`, c: box, d: box });
    const warnings = [];
    const r = await quantizeModel({ model: requireModel(), calib, out: path.join(tmp, 'bad-line.onnx'), samples: 0, accuracyBudget: 1, holdout: 2, budgetMaxLayers: 0, warn: (m) => warnings.push(m) });
    assert.strictEqual(r.budget.holdoutImages, 1);
    assert.strictEqual(r.budget.reference, 'labels');
    assert.strictEqual(warnings.length, 1, warnings.join('\n'));
    assert.match(warnings[0], /b\.txt:2 class 90 is not a class id of the model \(0\.\.79\); the 1 held-aside image\(s\) of those files left out of the budget's mAP$/);
  });

  it('fails with NO_LABELS when every held-aside image has such a line (a class it lacks made an AP 0 in both models: the loss 0)', async function () {
    // b.jpg is held aside; its only label is of a class 90 the 80-class model lacks
    const calib = labelled('more-classes', { a: '0 0.5 0.5 0.2 0.2\n', b: '90 0.5 0.5 0.2 0.2\n' });
    await assert.rejects(quantizeModel({ model: requireModel(), calib, out: path.join(tmp, 'more-classes.onnx'), samples: 2, accuracyBudget: 1, holdout: 1, budgetMaxLayers: 0 }),
      (e) => e.code === 'NO_LABELS' && /no held-aside image left .*b\.txt:1 class 90/.test(e.message));
    assert.ok(!fs.existsSync(path.join(tmp, 'more-classes.onnx')));
  });

  it('a quantize interrupted by Ctrl-C, a kill or a closed terminal (SIGHUP) leaves none of its model-sized scratch files behind', async function () {
    const { spawn } = require('child_process');
    const { DIST, cocoImage } = require('./support/paths');
    const calib = path.join(tmp, 'interrupted');
    fs.mkdirSync(calib);
    for (const f of ['000000000009.jpg', '000000000034.jpg']) fs.copyFileSync(cocoImage(f), path.join(calib, f));
    for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
      const scratch = fs.mkdtempSync(path.join(tmp, 'scratch-'));
      const out = path.join(tmp, `interrupted-${signal}.onnx`);
      const child = spawn(process.execPath, [path.join(DIST, 'cli', 'main.js'), 'quantize', '--model', requireModel(), '--calib', calib,
        '--samples', '2', '--accuracy-budget', '1', '--holdout', '1', '--out', out], { env: { ...process.env, TMPDIR: scratch }, stdio: 'ignore' });
      const ended = new Promise((resolve) => child.on('exit', (code, sig) => resolve({ code, sig })));
      const budgetFile = () => fs.readdirSync(scratch).some((f) => f.startsWith('yolo-edge-budget-'));
      const t0 = Date.now();
      while (!budgetFile() && Date.now() - t0 < 120000) await new Promise((r) => setTimeout(r, 20));
      assert.ok(budgetFile(), 'the budget wrote a scratch model');
      child.kill(signal);
      const { sig } = await ended;
      assert.strictEqual(sig, signal, 'it ends by the signal, as the shell expects');
      // (other libraries may leave their own small files there)
      assert.deepStrictEqual(fs.readdirSync(scratch).filter((f) => f.startsWith('yolo-edge-')), [], `${signal}: a scratch model was left in the temp folder`);
      assert.deepStrictEqual(fs.readdirSync(tmp).filter((f) => f.startsWith(path.basename(out)) || f.endsWith('.tmp')), [], `${signal}: a part-written output was left`);
      assert.ok(!fs.existsSync(out));
    }
  });

  it('refuses a budget with no image left to hold aside (it measured 0 images and reported the budget met)', async function () {
    const out = path.join(tmp, 'one-image.onnx');
    await assert.rejects(quantizeModel({ model: requireModel(), calib: requireCoco128(this), out, samples: 1, accuracyBudget: 1 }),
      (e) => e.code === 'NO_IMAGES' && /--accuracy-budget .* held aside from the 1 picked, which leaves none; pick at least 2/.test(e.message));
    assert.ok(!fs.existsSync(out));
  });
});
