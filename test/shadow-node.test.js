'use strict';
const assert = require('assert');
const fs = require('fs');
const path = require('path');
const helper = require('node-red-node-test-helper');
const { ROOT, DIST, MODEL, requireModel, requireCoco128, lib } = require('./support/paths');
const fx = require('./support/fixtures');
const variants = require('./support/model-variants');
const { until } = require('./support/wait');
const { stubModelNode, stubDetector } = require('./support/stub-model');

const modelNode = require(path.join(DIST, 'nodes', 'yolo-model.js'));
const detectNode = require(path.join(DIST, 'nodes', 'yolov8-detect.js'));
const shadowNode = require(path.join(DIST, 'nodes', 'yolo-shadow-test.js'));
const functionNode = require(require.resolve('@node-red/nodes/core/function/10-function.js', { paths: [path.dirname(require.resolve('node-red'))] }));
const { openSessionCount } = lib('runtime/session-cache');

helper.init(require.resolve('node-red'));

const DEFAULT_SHA = '9697a185dd8eb7448aea4c979e10db2b4977f70a46687890ef796936c44a848b';

function flow(production, candidate, props = {}, out1 = 'out1') {
  return [
    { id: 'mp', type: 'yolo-model', model: production, threads: 1, providers: 'cpu', names: '' },
    { id: 'mc', type: 'yolo-model', model: candidate, threads: 1, providers: 'cpu', names: '' },
    {
      id: 's1', type: 'yolo-shadow-test', production: 'mp', candidate: 'mc', confidence: 0.25, iou: 0.7, classes: '', maxDetections: 300,
      agnostic: false, annotate: false, busyPolicy: 'queue', queueSize: 1000, sampleMode: 'percent', sampleValue: 100, windowSize: 50,
      minF1: 0.8, maxLatencyRatio: 0, minSamples: 3, wires: [[out1], ['out2']], ...props,
    },
    { id: 'out1', type: 'helper' },
    { id: 'out2', type: 'helper' },
  ];
}

/** Collects what the node sends and the errors it reports. */
function capture() {
  const got = { out1: [], out2: [], errors: [] };
  helper.getNode('out1').on('input', (m) => got.out1.push(m));
  helper.getNode('out2').on('input', (m) => got.out2.push(m));
  helper.getNode('s1').on('call:error', (call) => got.errors.push(call.args[0]));
  return got;
}

const reports = (got) => got.out2.filter((m) => m.topic === 'yolo-edge/shadow/report');
const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;

/** Sends frames one at a time, each after the previous one's report, so the candidate is never busy. */
async function compareEach(got, images) {
  const s1 = helper.getNode('s1');
  for (const [i, img] of images.entries()) {
    s1.receive({ payload: img, seq: i });
    await until(() => reports(got).length === i + 1, `the report of frame ${i}`);
  }
  return reports(got);
}

describe('yolo-shadow-test node', function () {
  this.timeout(60000);
  let dir;
  let images;
  let perturbed;
  let broken;
  let cocoNames;
  before(function () {
    requireModel();
    const coco = requireCoco128(this);
    cocoNames = fs.readFileSync(path.join(coco, 'classes.txt'), 'utf8').trim().split('\n');
    const names = fs.readdirSync(path.join(coco, 'images')).filter((n) => n.endsWith('.jpg')).sort().slice(0, 24);
    images = names.map((n) => fs.readFileSync(path.join(coco, 'images', n)));
    dir = fx.tmpDir('yolo-edge-shadow-');
    perturbed = variants.perturbConvWeights(MODEL, path.join(dir, 'perturbed.onnx'), { amount: 0.02, seed: 7 });
    broken = variants.collapseClassScores(MODEL, path.join(dir, 'broken.onnx'));
  });
  after(() => dir && fs.rmSync(dir, { recursive: true, force: true }));
  beforeEach((done) => { helper.startServer(done); });
  afterEach(async () => {
    await helper.unload();
    await new Promise((r) => { helper.stopServer(r); });
  });

  it('names a class filter production does not have at deploy, in a red status', async () => {
    await helper.load([modelNode, detectNode, shadowNode], flow('yolov8n.onnx', 'yolov8n.onnx', { classes: 'unicorn' }));
    const s1 = helper.getNode('s1');
    const status = await new Promise((resolve) => s1.on('call:status', (c) => { if (c.args[0].fill === 'red' || /ready/.test(c.args[0].text)) resolve(c.args[0]); }));
    assert.strictEqual(status.fill, 'red');
    assert.match(status.text, /^unknown class "unicorn"/);
  });

  it('keeps a production model that did not load, or a refused class filter, in its red status when a control message comes', async () => {
    for (const [production, props, text] of [['/nonexistent/model.onnx', {}, 'model file not found: …/model.onnx'], ['yolov8n.onnx', { classes: 'unicorn' }, /^unknown class "unicorn"/]]) {
      await helper.load([modelNode, detectNode, shadowNode], flow(production, 'yolov8n.onnx', props));
      const s1 = helper.getNode('s1');
      const statuses = [];
      s1.on('call:status', (c) => statuses.push(c.args[0]));
      await until(() => statuses.some((st) => st.fill === 'red'), 'the red status');
      s1.receive({ topic: 'yolo-edge/control', payload: { maxFps: 2 } });
      await new Promise((r) => setTimeout(r, 400));
      const last = statuses[statuses.length - 1];
      assert.strictEqual(last.fill, 'red', JSON.stringify(statuses));
      if (typeof text === 'string') assert.strictEqual(last.text, text);
      else assert.match(last.text, text);
      await helper.unload();
    }
  });

  it('lets a Complete node tell the frames production dropped: msg.dropped, as on yolov8-detect', async () => {
    const completeNode = require(require.resolve('@node-red/nodes/core/common/24-complete.js', { paths: [path.dirname(require.resolve('node-red'))] }));
    await helper.load([modelNode, detectNode, shadowNode, completeNode], [
      ...flow('yolov8n.onnx', 'yolov8n.onnx'),
      { id: 'c1', type: 'complete', scope: ['s1'], uncaught: false, wires: [['done']] },
      { id: 'done', type: 'helper' },
    ]);
    const completed = [];
    helper.getNode('done').on('input', (m) => completed.push(m));
    const s1 = helper.getNode('s1');
    s1.receive({ topic: 'yolo-edge/control', payload: { pause: true } });
    s1.receive({ payload: images[0], seq: 'paused' });
    s1.receive({ topic: 'yolo-edge/control', payload: { pause: false } });
    s1.receive({ payload: images[0], seq: 'run' });
    await until(() => completed.filter((m) => m.seq !== undefined).length === 2, 'both frames complete');
    const bySeq = Object.fromEntries(completed.filter((m) => m.seq !== undefined).map((m) => [m.seq, m.dropped]));
    assert.deepStrictEqual(bySeq, { paused: 'paused', run: undefined });
  });

  it('model against itself: F1 1.0, raw difference 0, both versions named, output 1 shaped like yolov8-detect', async () => {
    const f = flow('yolov8n.onnx', 'yolov8n.onnx');
    f.push({ id: 'd1', type: 'yolov8-detect', model: 'mp', confidence: 0.25, iou: 0.7, classes: '', maxDetections: 300, agnostic: false, annotate: false, busyPolicy: 'queue', queueSize: 10, wires: [['outd']] },
      { id: 'outd', type: 'helper' });
    await helper.load([modelNode, detectNode, shadowNode], f);
    const got = capture();
    const rs = await compareEach(got, images.slice(0, 6));
    for (const r of rs) {
      assert.strictEqual(r.payload.agreement.f1, 1);
      assert.strictEqual(r.payload.rawDiff.meanAbs, 0);
      assert.strictEqual(r.payload.rawDiff.elements, 84 * 8400);
    }
    assert.ok(rs.some((r) => r.payload.agreement.matched > 0), 'some frames have boxes to match');
    const last = rs[rs.length - 1].payload;
    assert.deepStrictEqual([last.window.count, last.window.meanF1, last.window.meanRawDiff, last.alarm.active], [6, 1, 0, false]);
    for (const side of ['production', 'candidate']) {
      const m = last[side].model;
      assert.deepStrictEqual([path.basename(m.file), m.sha256, m.version, m.date], ['yolov8n.onnx', DEFAULT_SHA, '8.0.175', '2023-09-15T21:07:41.850759']);
    }
    // Output 1 carries what yolov8-detect sends for the same frame.
    const detected = new Promise((resolve) => helper.getNode('outd').once('input', resolve));
    helper.getNode('d1').receive({ payload: images[0] });
    const fromDetect = await detected;
    const fromShadow = got.out1[0];
    assert.deepStrictEqual(Object.keys(fromShadow).filter((k) => k !== 'seq').sort(), Object.keys(fromDetect).sort());
    assert.deepStrictEqual(Object.keys(fromShadow.detection).sort(), Object.keys(fromDetect.detection).sort());
    assert.deepStrictEqual(Object.keys(fromShadow.detection.counters).sort(), Object.keys(fromDetect.detection.counters).sort());
    assert.deepStrictEqual(fromShadow.payload, fromDetect.payload);
    assert.strictEqual(rs[0].frame.msgid, fromShadow._msgid, 'a report names the frame it compared');
    assert.deepStrictEqual(got.errors, []);
  });

  it('a Function node that edits output 1 in place leaves the comparison alone: the model agrees with itself', async () => {
    const f = flow('yolov8n.onnx', 'yolov8n.onnx', {}, 'fn');
    // common steps: normalise the boxes, then keep only some (here none) of them
    const func = 'for (const d of msg.payload) { d.box.x1 /= msg.detection.imageWidth; d.box.x2 /= msg.detection.imageWidth; }\n'
      + 'msg.detection.timings.inference = -1;\nmsg.payload.splice(0, msg.payload.length);\nreturn msg;';
    f.push({ id: 'fn', type: 'function', func, outputs: 1, wires: [['out1']] });
    await helper.load([modelNode, shadowNode, functionNode], f);
    const got = capture();
    const rs = (await compareEach(got, images.slice(0, 4))).map((m) => m.payload);
    assert.deepStrictEqual(rs.map((r) => r.agreement.f1), [1, 1, 1, 1]);
    assert.ok(rs.every((r) => r.agreement.production === r.agreement.candidate && r.agreement.production > 0), 'production\'s boxes as detected');
    assert.ok(rs.every((r) => r.production.timings.inference > 0 && r.latency.production > 0), 'production\'s timings as measured');
    assert.ok(got.out1.every((m) => m.payload.length === 0), 'the flow did edit output 1');
    assert.ok(!got.out2.some((m) => m.topic === 'yolo-edge/shadow/alarm'));
  });

  it('a candidate that names the same classes differently disagrees, and the node warns about the names', async () => {
    const f = flow('yolov8n.onnx', 'yolov8n.onnx');
    f[1].names = [...cocoNames].reverse().join(','); // id 0 is 'toothbrush', id 79 'person'
    await helper.load([modelNode, shadowNode], f);
    const warnings = [];
    helper.getNode('s1').on('call:warn', (call) => warnings.push(String(call.args[0])));
    const got = capture();
    const rs = (await compareEach(got, images.slice(0, 4))).map((m) => m.payload);
    assert.ok(rs.some((r) => r.agreement.production > 0), 'frames with boxes');
    assert.ok(rs.every((r) => r.agreement.matched === 0 && r.agreement.production === r.agreement.candidate), rs.map((r) => r.agreement.f1).join(' '));
    assert.match(warnings.join('\n'), /shadow test: the models name their classes differently: class id 0 is 'person' in production and 'toothbrush' in the candidate.*; boxes are matched by class name, and a promote changes the names and ids output 1 sends$/m);
  });

  it('default model against a perturbed copy: records the agreement figures', async () => {
    await helper.load([modelNode, shadowNode], flow('yolov8n.onnx', perturbed));
    const got = capture();
    const rs = (await compareEach(got, images)).map((m) => m.payload);
    const figures = {
      frames: rs.length,
      meanF1: mean(rs.map((r) => r.agreement.f1)),
      meanPrecision: mean(rs.map((r) => r.agreement.precision)),
      meanRecall: mean(rs.map((r) => r.agreement.recall)),
      productionBoxes: rs.reduce((a, r) => a + r.agreement.production, 0),
      candidateBoxes: rs.reduce((a, r) => a + r.agreement.candidate, 0),
      matched: rs.reduce((a, r) => a + r.agreement.matched, 0),
      meanAbsScoreDelta: mean(rs.filter((r) => r.agreement.matched).map((r) => r.agreement.scoreDelta.meanAbs)),
      meanRawDiff: mean(rs.map((r) => r.rawDiff.meanAbs)),
      maxRawDiff: Math.max(...rs.map((r) => r.rawDiff.maxAbs)),
      windowMeanF1: rs[rs.length - 1].window.meanF1,
      p95ProductionMs: rs[rs.length - 1].window.p95ProductionMs,
      p95CandidateMs: rs[rs.length - 1].window.p95CandidateMs,
      p95LatencyRatio: rs[rs.length - 1].window.p95LatencyRatio,
    };
    console.log(`      yolov8n vs perturbed copy (Conv weights x (1 + 0.02 N(0,1)), seed 7), ${images.length} coco128 images:`);
    console.log(`      ${JSON.stringify(figures, (k, v) => (typeof v === 'number' ? Number(v.toFixed(4)) : v))}`);
    assert.ok(rs.every((r) => r.rawDiff.meanAbs > 0), 'every raw output differs');
    assert.ok(figures.meanF1 > 0 && figures.meanF1 < 1, `mean F1 ${figures.meanF1}`);
    assert.ok(Math.abs(figures.windowMeanF1 - figures.meanF1) < 1e-9, 'the window (50) holds every frame');
    const last = rs[rs.length - 1];
    assert.strictEqual(last.production.model.sha256, DEFAULT_SHA);
    assert.notStrictEqual(last.candidate.model.sha256, DEFAULT_SHA);
    assert.strictEqual(last.candidate.model.version, 'perturbed-0.02-seed7');
    assert.ok(last.candidate.model.date);
    // The report's counts are those of the production msg of the same frame.
    for (const [i, r] of rs.entries()) assert.strictEqual(r.agreement.production, got.out1[i].payload.length);
    assert.strictEqual(openSessionCount(), 2);
    await helper.unload();
    assert.strictEqual(openSessionCount(), 0, 'both sessions released when the flow stops');
  });

  it('a candidate with collapsed class scores raises the alarm: red status and alarm: true with the reason', async () => {
    await helper.load([modelNode, shadowNode], flow('yolov8n.onnx', broken));
    const got = capture();
    const statuses = [];
    helper.getNode('s1').on('call:status', (call) => statuses.push(call.args[0]));
    const warned = new Promise((resolve) => helper.getNode('s1').once('call:warn', (call) => resolve(call.args[0])));
    await compareEach(got, images.slice(0, 6));
    const alarms = got.out2.filter((m) => m.topic === 'yolo-edge/shadow/alarm');
    assert.strictEqual(alarms.length, 1, 'one alarm for one divergence');
    assert.strictEqual(alarms[0].alarm, true);
    assert.match(alarms[0].reason, /agreement: mean F1 0.000 over the last 3 compared frames is below 0.8/);
    assert.strictEqual(alarms[0].payload.candidate.version, 'broken-class-scores');
    assert.match(await warned, /shadow test alarm/);
    await until(() => statuses.length && statuses[statuses.length - 1].fill === 'red', 'a red status');
    assert.match(statuses[statuses.length - 1].text, /ALARM/);
    const rs = reports(got).map((m) => m.payload);
    assert.ok(rs.every((r) => r.candidate.detections === 0));
    assert.ok(rs.slice(2).every((r) => r.alarm.active));
    assert.strictEqual(got.out1.length, 6, 'production kept serving');
    // reset clears the window and the alarm; the broken candidate raises it again.
    const s1 = helper.getNode('s1');
    s1.receive({ command: 'reset' });
    await until(() => got.out2.some((m) => m.topic === 'yolo-edge/shadow/command'), 'the reset reply');
    const before = got.out2.length;
    for (const img of images.slice(6, 9)) {
      const n = reports(got).length;
      s1.receive({ payload: img });
      await until(() => reports(got).length === n + 1, 'a report after reset');
    }
    const all = got.out2.filter((m) => m.topic === 'yolo-edge/shadow/alarm');
    assert.deepStrictEqual(all.map((m) => m.alarm), [true, false, true], 'cleared by reset, raised again after it');
    assert.deepStrictEqual([all[1].reason, all[1].payload.clearedBy, all[1].payload.candidate.version], ['cleared by reset: the window starts again', 'reset', 'broken-class-scores']);
    assert.ok(got.out2.indexOf(all[1]) < got.out2.findIndex((m) => m.topic === 'yolo-edge/shadow/command'), 'the alarm is cleared before the reply');
    const second = got.out2.slice(before).filter((m) => m.topic === 'yolo-edge/shadow/report');
    assert.strictEqual(second[0].payload.window.count, 1, 'the window started again after reset');
  });
  it('promote and rollback under a stream of frames lose none; each frame comes out once, in order', async () => {
    await helper.load([modelNode, shadowNode], flow('yolov8n.onnx', perturbed, { sampleValue: 10 }));
    const got = capture();
    const s1 = helper.getNode('s1');
    const N = 40;
    for (let i = 0; i < N; i++) {
      if (i === 12) s1.receive({ command: 'promote' });
      if (i === 28) s1.receive({ command: 'rollback' });
      s1.receive({ payload: images[i % images.length], seq: i });
      // a camera faster than the model: frames wait, a few at a time, while the commands come in
      await until(() => got.out1.length >= i - 4, `frame ${i - 4} out`);
    }
    await until(() => got.out1.length === N, `${N} production messages`);
    assert.deepStrictEqual(got.out1.map((m) => m.seq), Array.from({ length: N }, (_, i) => i));
    assert.deepStrictEqual(got.errors, []);
    const replies = got.out2.filter((m) => m.topic === 'yolo-edge/shadow/command');
    assert.deepStrictEqual(replies.map((m) => [m.command, m.payload.promoted]), [['promote', true], ['rollback', false]]);
    assert.strictEqual(replies[0].payload.production.version, 'perturbed-0.02-seed7');
    assert.strictEqual(replies[0].payload.candidate.sha256, DEFAULT_SHA);
    assert.strictEqual(replies[1].payload.production.sha256, DEFAULT_SHA);
    // Which model served each frame: the default, then the promoted copy, then the default again.
    const served = got.out1.map((m) => (m.detection.model.sha256 === DEFAULT_SHA ? 'v1' : 'v2'));
    const runs = served.filter((v, i) => i === 0 || v !== served[i - 1]);
    assert.deepStrictEqual(runs, ['v1', 'v2', 'v1'], served.join(' '));
    assert.strictEqual(served[0], 'v1');
    assert.strictEqual(served[N - 1], 'v1');
    const c = got.out1[N - 1].detection.counters;
    assert.deepStrictEqual([c.accepted, c.processed, c.dropped, c.rejected, c.failed], [N, N, 0, 0, 0]);
    console.log(`      frames served: ${served.join('')}`.replace(/v1/g, '1').replace(/v2/g, '2'));
  });

  it('a busy candidate makes later picks skip, counted; every picked frame is compared or skipped', async () => {
    await helper.load([modelNode, shadowNode], flow('yolov8n.onnx', perturbed, { sampleValue: 100 }));
    const got = capture();
    const s1 = helper.getNode('s1');
    const statuses = [];
    s1.on('call:status', (call) => statuses.push(call.args[0].text));
    const N = 12;
    for (let i = 0; i < N; i++) s1.receive({ payload: images[i], seq: i });
    await until(() => got.out1.length === N, 'the production messages');
    // Once every picked frame has been compared or skipped (the status shows the counts, the last of them at the end
    // of the throttle's window), no comparison is in flight: one more frame is compared for sure, and its report holds
    // the final counts. However long the candidate takes, a frame sent while it still runs would be skipped instead.
    const counts = (text) => / (\d+) compared(?: · (\d+) skipped)?/.exec(text ?? '')?.slice(1).map((n) => Number(n ?? 0));
    await until(() => { const c = counts(statuses.at(-1)); return c && c[0] + c[1] === N; }, `a status counting all ${N} frames compared or skipped`);
    const seen = counts(statuses.at(-1))[0]; // a report for each compared frame
    s1.receive({ payload: images[N], seq: N });
    await until(() => reports(got).length === seen + 1, 'the comparison of the last frame');
    const c = reports(got)[seen].payload.counters;
    assert.strictEqual(c.sampled, N + 1);
    assert.strictEqual(c.compared + c.skippedBusy, N + 1);
    assert.ok(c.skippedBusy > 0, JSON.stringify(c));
    assert.strictEqual(reports(got).length, c.compared);
    assert.deepStrictEqual([c.failed, c.stale], [0, 0]);
    console.log(`      burst of ${N} at 100%: ${c.compared} compared, ${c.skippedBusy} skipped while the candidate was busy`);
  });

  it('reports bad frames and bad commands through done(err) and keeps working', async () => {
    await helper.load([modelNode, shadowNode], flow('yolov8n.onnx', 'yolov8n.onnx'));
    const got = capture();
    const s1 = helper.getNode('s1');
    s1.receive({ payload: 'no such file' });
    s1.receive({ command: 'rollback' });
    s1.receive({ command: 'explode' });
    await until(() => got.errors.length === 3, 'three errors');
    const text = got.errors.map(String).join('\n');
    assert.match(text, /msg.payload is a string, not an image/);
    assert.match(text, /rollback: nothing was promoted/);
    assert.match(text, /unknown command "explode": use promote, rollback, reset/);
    s1.receive({ payload: images[0] });
    await until(() => got.out1.length === 1 && reports(got).length === 1, 'a good frame after the errors');
    assert.strictEqual(got.out1[0].detection.counters.failed, 1);
  });

  it('a msg.command that is not a string fails with BAD_COMMAND and changes nothing: [\'promote\'] does not promote', async () => {
    await helper.load([modelNode, shadowNode], flow('yolov8n.onnx', perturbed));
    const got = capture();
    const s1 = helper.getNode('s1');
    const wrong = [['promote'], { command: 'promote' }, 123, true, null];
    for (const command of wrong) s1.receive({ command });
    await until(() => got.errors.length === wrong.length, 'an error for each');
    assert.deepStrictEqual(got.errors.map((e) => e.code), wrong.map(() => 'BAD_COMMAND'));
    assert.deepStrictEqual(got.errors.map((e) => e.message.replace(/^msg\.command must be a string \(use promote, rollback, reset\), got /, '')),
      ['an array of 1', 'an object', 'number 123', 'boolean true', 'null']);
    assert.deepStrictEqual(got.out2, [], 'no reply');
    s1.receive({ payload: images[0] });
    await until(() => got.out1.length === 1, 'a frame after the refused commands');
    assert.strictEqual(got.out1[0].detection.model.sha256, DEFAULT_SHA, 'production unchanged');
  });

  it('a command sent in msg.payload (its name, {command} or JSON text) fails with BAD_PAYLOAD saying to use msg.command, and changes nothing', async () => {
    await helper.load([modelNode, shadowNode], flow('yolov8n.onnx', perturbed));
    const got = capture();
    const s1 = helper.getNode('s1');
    const payloads = ['promote', { command: 'promote' }, '{"command":"promote"}'];
    for (const payload of payloads) s1.receive({ payload });
    await until(() => got.errors.length === payloads.length, 'an error for each');
    assert.deepStrictEqual(got.errors.map((e) => e.code), payloads.map(() => 'BAD_PAYLOAD'));
    for (const e of got.errors) assert.match(e.message, /^msg\.payload holds the command 'promote', not an image: send commands in msg\.command/);
    assert.deepStrictEqual(got.out2, [], 'no reply');
    s1.receive({ payload: images[0] });
    await until(() => got.out1.length === 1, 'a frame after them');
    assert.strictEqual(got.out1[0].detection.model.sha256, DEFAULT_SHA, 'production unchanged');
  });

  it('a candidate that cannot load only warns: production keeps serving', async () => {
    await helper.load([modelNode, shadowNode], flow('yolov8n.onnx', path.join(dir, 'missing.onnx')));
    const got = capture();
    const warnings = [];
    helper.getNode('s1').on('call:warn', (call) => warnings.push(String(call.args[0])));
    const s1 = helper.getNode('s1');
    for (let i = 0; i < 3; i++) {
      s1.receive({ payload: images[i] });
      await until(() => got.out1.length === i + 1, 'a production message');
    }
    await until(() => warnings.length > 0, 'a warning');
    assert.match(warnings[0], /candidate model: model file not found/);
    assert.strictEqual(reports(got).length, 0);
    s1.receive({ command: 'promote' });
    await until(() => got.errors.some((e) => /model file not found/.test(String(e))), 'promote refused');
    const refused = got.errors.find((e) => /model file not found/.test(String(e)));
    assert.strictEqual(refused.code, 'PROMOTE_REFUSED', 'a Catch flow sees the one code of a refused promote');
    assert.match(refused.message, /^promote refused: the candidate did not load \(MODEL_NOT_FOUND\): model file not found: /);
    assert.strictEqual(refused.cause.code, 'MODEL_NOT_FOUND');
    s1.receive({ payload: images[3] });
    await until(() => got.out1.length === 4, 'a frame after the refused promote');
    assert.strictEqual(got.out1[3].detection.model.sha256, DEFAULT_SHA);
  });
  it('a candidate whose file appears after deploy is compared, and its class names are checked as at deploy', async () => {
    const late = path.join(dir, 'late.onnx');
    fs.rmSync(late, { force: true });
    const f = flow('yolov8n.onnx', late);
    f[1].names = [...cocoNames].reverse().join(',');
    await helper.load([modelNode, shadowNode], f);
    const got = capture();
    const warnings = [];
    const statuses = [];
    const s1 = helper.getNode('s1');
    s1.on('call:warn', (call) => warnings.push(String(call.args[0])));
    s1.on('call:status', (call) => statuses.push(call.args[0].text));
    s1.receive({ payload: images[0] });
    await until(() => got.out1.length === 1 && warnings.some((w) => /model file not found/.test(w)), 'a frame while the candidate is missing');
    // the frame's comparison must have ended: a frame that comes while one is in flight is skipped, not compared
    await until(() => statuses.some((t) => /candidate failed 1x: .*model file not found/.test(t)), 'the failed comparison in the status');
    fs.copyFileSync(requireModel(), late);
    // the next picked frame loads it (a failed load is tried again on the next call)
    s1.receive({ payload: images[1] });
    await until(() => reports(got).length === 1, 'a comparison once the file is there');
    await until(() => warnings.some((w) => /shadow test: the models name their classes differently/.test(w)), 'the class-name warning');
    // the frame it missed was no run of it: the status and a promote judge the model that loaded
    await until(() => / 1 compared$/.test(statuses.at(-1)), 'the status after the comparison');
    assert.match(statuses.at(-1), /^F1 /);
    s1.receive({ command: 'promote' });
    await until(() => got.errors.length === 1 || got.out2.some((m) => m.topic === 'yolo-edge/shadow/command'), 'the promote\'s answer');
    assert.deepStrictEqual(got.errors.map(String), []);
  });

  it('a candidate file still being copied is warned about once, not again at every frame as it grows', async () => {
    const copying = path.join(dir, 'copying.onnx');
    const model = fs.readFileSync(requireModel());
    fs.writeFileSync(copying, model.subarray(0, 100000));
    await helper.load([modelNode, shadowNode], flow('yolov8n.onnx', copying));
    const got = capture();
    const warnings = [];
    const statuses = [];
    const s1 = helper.getNode('s1');
    s1.on('call:warn', (call) => warnings.push(String(call.args[0])));
    s1.on('call:status', (call) => statuses.push(call.args[0].text));
    for (const [i, bytes] of [300000, 900000].entries()) {
      s1.receive({ payload: images[i] });
      await until(() => statuses.some((t) => new RegExp(`candidate failed ${i + 1}x: .*cut short`).test(t)), `the failed comparison ${i + 1} in the status`);
      fs.writeFileSync(copying, model.subarray(0, bytes)); // the copy goes on: another size in the message
    }
    s1.receive({ payload: images[2] });
    await until(() => statuses.some((t) => /candidate failed 3x: .*cut short/.test(t)), 'the failed comparison 3 in the status');
    const cut = warnings.filter((w) => /^candidate model: .*cut short/.test(w));
    assert.strictEqual(cut.length, 1, cut.join('\n'));
    assert.strictEqual(got.out1.length, 3, 'production served every frame');
  });

  it('a candidate that cannot load is a warning and a yellow status naming the candidate, before and after frames', async () => {
    await helper.load([modelNode, shadowNode], flow('yolov8n.onnx', path.join(dir, 'missing.onnx')));
    const got = capture();
    const warnings = [];
    const statuses = [];
    const s1 = helper.getNode('s1');
    s1.on('call:warn', (call) => warnings.push(String(call.args[0])));
    s1.on('call:status', (call) => statuses.push(call.args[0]));
    await until(() => statuses.some((s) => /^ready/.test(s.text)), 'the ready status');
    const ready = statuses.find((s) => /^ready/.test(s.text));
    assert.strictEqual(ready.fill, 'yellow');
    assert.match(ready.text, /candidate.*model file not found/);
    assert.deepStrictEqual(got.errors, [], 'production serves: no error');
    assert.match(warnings.join('\n'), /candidate model: model file not found/);
    s1.receive({ payload: images[0] });
    await until(() => got.out1.length === 1, 'a production message');
    await until(() => /candidate/.test(statuses[statuses.length - 1].text), 'a status naming the candidate');
    assert.strictEqual(statuses[statuses.length - 1].fill, 'yellow');
    assert.match(statuses[statuses.length - 1].text, /model file not found/);
    assert.strictEqual(warnings.filter((w) => /model file not found/.test(w)).length, 1, 'warned once');
  });

  it('keeps the yellow candidate status through a reset, a refused promote and a control message while the candidate does not load', async () => {
    await helper.load([modelNode, shadowNode], flow('yolov8n.onnx', path.join(dir, 'missing.onnx')));
    const got = capture();
    const statuses = [];
    const s1 = helper.getNode('s1');
    s1.on('call:status', (call) => statuses.push(call.args[0]));
    await until(() => statuses.some((st) => /^ready/.test(st.text)), 'the ready status');
    const replies = () => got.out2.filter((m) => m.topic === 'yolo-edge/shadow/command').length;
    const after = async (what, send, settled) => {
      const before = statuses.length;
      send();
      await until(settled, what);
      await until(() => statuses.length > before, `a status after ${what}`);
      const last = statuses[statuses.length - 1];
      assert.strictEqual(last.fill, 'yellow', `${what}: ${last.text}`);
      assert.match(last.text, /candidate failed.*model file not found/, what);
    };
    await after('a control message', () => s1.receive({ topic: 'yolo-edge/control', payload: { maxFps: 100 } }), () => true);
    await after('a reset', () => s1.receive({ command: 'reset' }), () => replies() === 1);
    await after('a refused promote', () => s1.receive({ command: 'promote' }), () => got.errors.length === 1);
    s1.receive({ payload: images[0] });
    await until(() => got.out1.length === 1, 'a production message');
    await after('a reset after a frame', () => s1.receive({ command: 'reset' }), () => replies() === 2);
  });

  it('a promote still waiting for the candidate when the node is redeployed ends with CLOSED: no reply claims a promote the new node never made', async () => {
    const f = flow('yolov8n.onnx', perturbed);
    await helper.load([modelNode, shadowNode], f);
    const old = helper.getNode('s1');
    const replies = [];
    helper.getNode('out2').on('input', (m) => replies.push(m));
    // the command's end: its error, or the reply the old node sent
    const ended = new Promise((resolve) => {
      old.on('call:error', (call) => resolve(call.args[0]));
      helper.getNode('out2').on('input', resolve);
    });
    old.receive({ command: 'promote' }); // the candidate is still loading: the promote waits for it
    f[2].name = 'edited';
    await helper.setFlows(f, 'nodes'); // only the shadow test is restarted; the models go on loading
    const err = await ended;
    assert.strictEqual(err.code, 'CLOSED', `${err.topic ?? ''} ${err.message ?? ''}`);
    assert.match(err.message, /^promote: the node closed before it finished, so it did not take effect/);
    const got = capture();
    helper.getNode('s1').receive({ payload: images[0] });
    await until(() => got.out1.length === 1, 'a frame on the redeployed node');
    assert.strictEqual(got.out1[0].detection.model.sha256, DEFAULT_SHA, 'the redeployed node serves production as deployed');
    assert.deepStrictEqual(replies.filter((m) => m.topic === 'yolo-edge/shadow/command'), [], 'no reply of the old node');
  });

  it('sends nothing once closed: a comparison that outlives the close wait leaves no report of the old node in the redeployed flow', async () => {
    let release;
    const held = new Promise((r) => { release = r; });
    const models = { p: stubDetector('p'), c: stubDetector('c', () => held) };
    const f = flow('p', 'c');
    await helper.load([stubModelNode({ p: async () => models.p, c: async () => models.c }), shadowNode], f);
    const got = capture();
    helper.getNode('s1').receive({ payload: Buffer.from('frame') });
    await until(() => got.out1.length === 1, 'the production message');
    f[2].name = 'edited';
    await helper.setFlows(f, 'nodes'); // the close waits its 5 s for the comparison, then lets the node go
    release();
    await new Promise((r) => setTimeout(r, 200));
    assert.deepStrictEqual(got.out2.map((m) => m.topic), [], 'no report from the closed node');
  });

  it('a frame that ends with CLOSED at a redeploy reaches Catch with the msg the flow sent, not production\'s detections', async () => {
    const catchNode = require(require.resolve('@node-red/nodes/core/common/25-catch.js', { paths: [path.dirname(require.resolve('node-red'))] }));
    let release;
    const held = new Promise((r) => { release = r; });
    let started = false;
    const box = { x1: 1, y1: 1, x2: 5, y2: 5 };
    const models = { p: stubDetector('p', () => { started = true; return held; }, [{ class: 'part', classId: 0, score: 0.9, box }]), c: stubDetector('c') };
    const f = [
      ...flow('p', 'c'),
      { id: 'c1', type: 'catch', scope: ['s1'], uncaught: false, wires: [['caught']] },
      { id: 'caught', type: 'helper' },
    ];
    await helper.load([stubModelNode({ p: async () => models.p, c: async () => models.c }), shadowNode, catchNode], f);
    const frame = Buffer.from('the frame the flow sent');
    helper.getNode('s1').receive({ payload: frame, seq: 1 });
    await until(() => started, 'the frame in production');
    f[2].name = 'edited';
    await helper.setFlows(f, 'nodes'); // close waits its 5 s for the frame, then lets the node go
    const caught = [];
    helper.getNode('caught').on('input', (m) => caught.push(m));
    release();
    await until(() => caught.length === 1, 'the frame at Catch');
    const m = caught[0];
    assert.match(m.error.message, /the node closed before this frame finished/);
    assert.ok(Buffer.isBuffer(m.payload) && m.payload.equals(frame), `msg.payload is ${JSON.stringify(m.payload)}`);
    assert.deepStrictEqual([m.detection, m.annotations, m.image, m.seq], [undefined, undefined, undefined, 1]);
  });

  it('counts in counters.frames the frames production failed on, as the help says, and the help names every counter', async () => {
    const models = { p: stubDetector('p'), c: stubDetector('c') };
    const works = models.p.detect;
    let first = true;
    models.p.detect = async (...args) => {
      if (first) { first = false; throw new Error('production failed'); }
      return works(...args);
    };
    await helper.load([stubModelNode({ p: async () => models.p, c: async () => models.c }), shadowNode], flow('p', 'c'));
    const got = capture();
    const s1 = helper.getNode('s1');
    s1.receive({ payload: Buffer.from('frame 1') });
    await until(() => got.errors.length === 1, 'the failed frame');
    s1.receive({ payload: Buffer.from('frame 2') });
    await until(() => reports(got).length === 1, 'the report of frame 2');
    const r = reports(got)[0].payload;
    assert.deepStrictEqual([r.frame, r.counters.frames, got.out1[0].detection.counters.processed], [2, 2, 1]);
    for (const lang of ['en-US', 'zh-CN']) {
      const help = fs.readFileSync(path.join(ROOT, 'nodes', 'locales', lang, 'yolo-shadow-test.html'), 'utf8');
      assert.ok(help.includes(`<code>counters {${Object.keys(r.counters).join(', ')}}</code>`), `${lang}: the counters' keys`);
      for (const key of Object.keys(r.counters)) assert.ok(help.includes(`<code>${key}</code>`), `${lang}: what ${key} counts`);
      assert.match(help, /<code>frames<\/code>[^<]*(production failed on too|生产模型处理失败的帧)/, lang);
    }
  });

  it('says whose worker restarts, production\'s or the candidate\'s, also after a promote swapped them', async () => {
    const models = { p: stubDetector('p'), c: stubDetector('c') };
    const listeners = {};
    for (const [k, d] of Object.entries(models)) d.onState = (l) => { listeners[k] = l; return () => undefined; };
    await helper.load([stubModelNode({ p: async () => models.p, c: async () => models.c }), shadowNode], flow('p', 'c'));
    const s1 = helper.getNode('s1');
    const statuses = [];
    s1.on('call:status', (c) => statuses.push(c.args[0].text));
    await until(() => listeners.p && listeners.c, 'both models watched');
    const restart = async (k, whose) => {
      listeners[k]({ state: 'restarting', reason: 'crash requested', inMs: 1000 });
      await until(() => statuses.includes(`${whose} model worker restarting in 1.0 s (crash requested)`), `${k} as ${whose} (${statuses.join(' | ')})`);
      listeners[k]({ state: 'ready' });
    };
    await restart('c', 'candidate');
    await restart('p', 'production');
    const got = capture();
    s1.receive({ command: 'promote' });
    await until(() => got.out2.some((m) => m.topic === 'yolo-edge/shadow/command'), 'the promote');
    await restart('c', 'production');
    await restart('p', 'candidate');
  });

  it('warns at a redeploy that ends a promote: the node starts again with the production of its settings', async () => {
    const f = flow('yolov8n.onnx', perturbed);
    await helper.load([modelNode, shadowNode], f);
    const old = helper.getNode('s1');
    const got = capture();
    old.receive({ command: 'promote' });
    await until(() => got.out2.some((m) => m.topic === 'yolo-edge/shadow/command'), 'the promote');
    f[2].name = 'edited';
    await helper.setFlows(f, 'nodes');
    const warned = old.warn.args.map((a) => String(a[0])).find((w) => /promote ends/.test(w));
    assert.ok(warned, old.warn.args.join('\n'));
    assert.match(warned, /^the promote ends as this node stops \(a deploy or Node-RED's restart\): it starts again with \S*yolov8n\.onnx in production; to keep \S*perturbed\.onnx there, make it the production model in this node's settings$/);
    helper.getNode('s1').receive({ payload: images[0] });
    await until(() => got.out1.length === 1, 'a frame on the redeployed node');
    assert.strictEqual(got.out1[0].detection.model.sha256, DEFAULT_SHA);
  });

  it('says at the next comparison that the candidate file was replaced, and refuses to promote it: what was compared is not what a restart would load', async () => {
    const file = path.join(dir, 'replaced.onnx');
    fs.copyFileSync(perturbed, file);
    await helper.load([modelNode, shadowNode], flow('yolov8n.onnx', file));
    const got = capture();
    const s1 = helper.getNode('s1');
    s1.receive({ payload: images[0] });
    await until(() => reports(got).length === 1, 'a comparison of the candidate as loaded');
    fs.copyFileSync(broken, `${file}.new`);
    fs.renameSync(`${file}.new`, file); // a new version put in its place
    // the next comparison says so at once, in a warning and the status, instead of at the promote
    const statuses = [];
    s1.on('call:status', (call) => statuses.push(call.args[0]));
    s1.receive({ payload: images[1] });
    await until(() => reports(got).length === 2, 'a comparison after the file was replaced');
    assert.strictEqual(reports(got)[1].payload.candidate.model.sha256, reports(got)[0].payload.candidate.model.sha256, 'still the model loaded before');
    const warned = s1.warn.args.map((a) => String(a[0])).filter((w) => /changed since it was loaded/.test(w));
    assert.deepStrictEqual(warned.length, 1, s1.warn.args.join('\n'));
    assert.match(warned[0], /^candidate model: model file \S*replaced\.onnx changed since it was loaded; redeploy \(or restart the flows\) to load the new file\. The comparisons go on with the model it loaded \(sha256 [0-9a-f]{12}\), and a promote is refused$/);
    await until(() => / 2 compared$/.test(statuses.at(-1)?.text), 'the status after it');
    assert.deepStrictEqual([statuses.at(-1).fill, statuses.at(-1).text], ['yellow', 'candidate file changed since it loaded: redeploy to compare it · 2 compared']);
    s1.receive({ command: 'promote' });
    await until(() => got.errors.length === 1 || got.out2.some((m) => m.topic === 'yolo-edge/shadow/command'), 'the promote\'s answer');
    assert.strictEqual(got.errors[0]?.code, 'PROMOTE_REFUSED', 'refused');
    assert.match(got.errors[0].message, /^promote refused: the candidate file changed since it loaded, so the comparisons were of the model it held before; redeploy to shadow the file as it is now \(MODEL_CHANGED\)/);
    s1.receive({ payload: images[2] });
    await until(() => got.out1.length === 3, 'a frame after the refused promote');
    assert.strictEqual(got.out1[2].detection.model.sha256, DEFAULT_SHA, 'production unchanged');
  });

  it('promotes a candidate over a production that does not load; the status then names the old production as a candidate that does not load', async () => {
    await helper.load([modelNode, shadowNode], flow(path.join(dir, 'gone.onnx'), 'yolov8n.onnx'));
    const got = capture();
    const s1 = helper.getNode('s1');
    const statuses = [];
    s1.on('call:status', (call) => statuses.push(call.args[0]));
    await until(() => statuses.some((st) => st.fill === 'red'), 'production\'s red status');
    const replies = () => got.out2.filter((m) => m.topic === 'yolo-edge/shadow/command');
    for (const [i, command] of ['promote', 'reset'].entries()) {
      s1.receive({ command });
      await until(() => replies().length === i + 1, `the ${command} reply`);
      await until(() => statuses.at(-1).fill === 'yellow', `a yellow status after the ${command}`, 2000).catch(() => assert.fail(`after the ${command}: ${statuses.at(-1).fill} ${statuses.at(-1).text}`));
      assert.match(statuses.at(-1).text, /^candidate failed: model file not found: .*gone\.onnx/);
    }
    assert.strictEqual(replies()[0].payload.promoted, true);
    assert.match(replies()[0].payload.candidate.error, /model file not found/);
    s1.receive({ payload: images[0] });
    await until(() => got.out1.length === 1, 'a frame served by the promoted model');
    assert.strictEqual(got.out1[0].detection.model.sha256, DEFAULT_SHA);
    s1.receive({ command: 'rollback' });
    const refused = await until(() => got.errors.find((e) => e.code), 'the rollback refused');
    assert.strictEqual(refused.code, 'NOTHING_TO_ROLL_BACK');
  });

  it('refuses to promote a candidate that failed its comparisons or cannot run the node settings, saying why', async () => {
    // the candidate's class names lack 'zebra', which this node filters on: every comparison fails
    const f = flow('yolov8n.onnx', 'yolov8n.onnx', { classes: 'zebra', sampleValue: 100 });
    f[1].names = Array.from({ length: 80 }, (_, i) => `part${i}`).join(',');
    await helper.load([modelNode, shadowNode], f);
    const got = capture();
    const s1 = helper.getNode('s1');
    for (let i = 0; i < 3; i++) {
      s1.receive({ payload: images[i] });
      await until(() => got.out1.length === i + 1, 'a production message');
    }
    s1.receive({ command: 'promote' });
    await until(() => got.errors.length === 1, 'promote refused');
    assert.match(String(got.errors[0]), /promote refused: the candidate cannot run this node's settings: unknown class "zebra"/);
    assert.strictEqual(got.errors[0].code, 'PROMOTE_REFUSED');
    s1.receive({ payload: images[3] });
    await until(() => got.out1.length === 4, 'a frame after the refused promote');
    assert.strictEqual(got.out1[3].detection.model.sha256, DEFAULT_SHA, 'production unchanged');
  });

  it('the status judges the model in the candidate\'s role: after a rollback it does not show the other model\'s failures', async () => {
    const f = flow('yolov8n.onnx', 'yolov8n.onnx', { minF1: 0, minSamples: 50 });
    f[1].names = Array.from({ length: 80 }, (_, i) => `part${i}`).join(','); // a class filter 'part0' only the candidate knows
    await helper.load([modelNode, shadowNode], f);
    const got = capture();
    const s1 = helper.getNode('s1');
    const statuses = [];
    s1.on('call:status', (call) => statuses.push(call.args[0]));
    const replies = () => got.out2.filter((m) => m.topic === 'yolo-edge/shadow/command').length;
    s1.receive({ payload: images[0] });
    await until(() => reports(got).length === 1, 'the first comparison');
    s1.receive({ command: 'promote' });
    await until(() => replies() === 1, 'the promote');
    // the old production, now the shadow, fails every frame
    for (let i = 0; i < 3; i++) {
      const before = statuses.length;
      s1.receive({ payload: images[0], classes: ['part0'] });
      await until(() => statuses.slice(before).some((st) => /^candidate failed \d+x: unknown class "part0"/.test(st.text)), `the shadow's failure ${i + 1} in the status`);
    }
    s1.receive({ command: 'rollback' });
    await until(() => replies() === 2, 'the rollback');
    s1.receive({ payload: images[0] });
    await until(() => reports(got).length === 2, 'a comparison of the candidate, which never failed');
    await until(() => / 2 compared$/.test(statuses[statuses.length - 1].text), 'the status after it');
    const last = statuses[statuses.length - 1];
    assert.strictEqual(last.fill, 'green', last.text);
    assert.match(last.text, /^F1 0\.00 · x[\d.]+ · 2 compared$/);
  });

  it('refuses a window smaller than the alarm "after" count (BAD_CONFIG naming both) instead of never raising the alarm', async () => {
    await helper.load([modelNode, shadowNode], flow('yolov8n.onnx', 'yolov8n.onnx', { windowSize: 2, minSamples: 3 }));
    const got = capture();
    helper.getNode('s1').receive({ payload: images[0] });
    await until(() => got.errors.some((e) => e.code === 'BAD_CONFIG'), 'the frame refused with BAD_CONFIG');
    assert.match(String(got.errors.find((e) => e.code)), /minimum samples \(alarm after N compared frames\) must be at most the window size \(2\)/);
    assert.deepStrictEqual([got.out1.length, got.out2.length], [0, 0]);
  });

  it('a candidate yolo-model node that is not deployed is a warning and a yellow status, not a quiet "no candidate"', async () => {
    const f = flow('yolov8n.onnx', 'yolov8n.onnx', { candidate: 'gone' }).filter((n) => n.id !== 'mc');
    await helper.load([modelNode, shadowNode], f);
    const s1 = helper.getNode('s1');
    const statuses = [];
    s1.on('call:status', (call) => statuses.push(call.args[0]));
    const got = capture();
    assert.match(s1.warn.args.map((a) => String(a[0])).join('\n'), /candidate yolo-model node gone not found: pick the model again in the node.s settings and deploy; production serves alone/);
    await until(() => statuses.some((st) => /^ready/.test(st.text)), 'the ready status');
    assert.deepStrictEqual([statuses.at(-1).fill, statuses.at(-1).text], ['yellow', 'ready · candidate yolo-model node gone not found']);
    s1.receive({ payload: images[0] });
    await until(() => got.out1.length === 1, 'a production message');
    await until(() => / 1 frames$/.test(statuses.at(-1).text), 'the status after it');
    assert.deepStrictEqual([statuses.at(-1).fill, statuses.at(-1).text], ['yellow', 'candidate yolo-model node gone not found · 1 frames']);
  });

  it('a candidate that is the production yolo-model node (after "make the candidate the production model") is a warning and a yellow status, not a comparison of the model with itself', async () => {
    await helper.load([modelNode, shadowNode], flow('yolov8n.onnx', 'yolov8n.onnx', { candidate: 'mp' }));
    const s1 = helper.getNode('s1');
    const statuses = [];
    s1.on('call:status', (call) => statuses.push(call.args[0]));
    const got = capture();
    assert.match(s1.warn.args.map((a) => String(a[0])).join('\n'), /the candidate is the production yolo-model node: a model compared with itself always agrees, so production serves alone; pick the next candidate, or none/);
    await until(() => statuses.some((st) => /^ready/.test(st.text)), 'the ready status');
    assert.deepStrictEqual([statuses.at(-1).fill, statuses.at(-1).text], ['yellow', 'ready · candidate is the production model']);
    s1.receive({ payload: images[0] });
    await until(() => got.out1.length === 1, 'a production message');
    s1.receive({ command: 'promote' });
    await until(() => got.errors.length === 1, 'the promote refused');
    assert.strictEqual(got.errors[0].code, 'NO_CANDIDATE');
    assert.strictEqual(got.errors[0].message, 'promote: candidate is the production model, so there is nothing to promote');
    assert.deepStrictEqual(got.out2, [], 'no report of the model against itself, no reply');
    await until(() => / 1 frames$/.test(statuses.at(-1).text), 'the status after the frame');
    assert.deepStrictEqual([statuses.at(-1).fill, statuses.at(-1).text], ['yellow', 'candidate is the production model · 1 frames']);
  });

  it('a production yolo-model node that is not deployed is named in the status and in each error (it said "no production model configured")', async () => {
    const f = flow('yolov8n.onnx', 'yolov8n.onnx', { production: 'gone' }).filter((n) => n.id !== 'mp');
    await helper.load([modelNode, shadowNode], f);
    const s1 = helper.getNode('s1');
    assert.strictEqual(s1.status.lastCall.args[0].text, 'production yolo-model node gone not found');
    const failed = new Promise((resolve) => s1.on('call:error', (c) => { if (c.args[1]) resolve(c.args[0]); }));
    s1.receive({ payload: images[0] });
    const err = await failed;
    assert.strictEqual(err.code, 'NO_MODEL');
    assert.match(err.message, /^production yolo-model node gone not found: pick the model again in the node's settings and deploy$/);
  });

  it('a production or candidate id naming a node of another type (a hand-edited flow) is named in the status, not a node Node-RED leaves out', async () => {
    // 'out1' is a helper node: its methods are not a model's, and calling them threw out of the constructor
    await helper.load([modelNode, shadowNode], flow('yolov8n.onnx', 'yolov8n.onnx', { production: 'out1' }));
    let s1 = helper.getNode('s1');
    assert.ok(s1, 'the node was created');
    assert.deepStrictEqual(s1.status.lastCall.args[0], { fill: 'red', shape: 'ring', text: 'the production yolo-model node out1 is a helper node, not a yolo-model' });
    assert.match(String(s1.error.firstCall.args[0]), /^the production yolo-model node out1 is a helper node, not a yolo-model: pick the model again/);
    await helper.unload();
    await helper.load([modelNode, shadowNode], flow('yolov8n.onnx', 'yolov8n.onnx', { candidate: 'out2' }));
    s1 = helper.getNode('s1');
    assert.ok(s1, 'the node was created');
    assert.match(s1.warn.args.map((a) => String(a[0])).join('\n'), /the candidate yolo-model node out2 is a helper node, not a yolo-model: pick the model again .*; production serves alone/);
    const got = capture();
    s1.receive({ payload: images[0] });
    await until(() => got.out1.length === 1, 'a production message');
  });

  it('without a candidate it serves production alone and reports nothing', async () => {
    const f = flow('yolov8n.onnx', 'yolov8n.onnx', { candidate: '' });
    await helper.load([modelNode, shadowNode], f);
    const got = capture();
    helper.getNode('s1').receive({ payload: images[0] });
    await until(() => got.out1.length === 1, 'a production message');
    assert.strictEqual(got.out1[0].detection.model.sha256, DEFAULT_SHA);
    helper.getNode('s1').receive({ command: 'promote' });
    await until(() => got.errors.length === 1, 'promote refused');
    assert.match(String(got.errors[0]), /no candidate model configured/);
    assert.strictEqual(got.out2.length, 0);
  });
});
