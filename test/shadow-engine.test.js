'use strict';
// The shadow-test engine on its own: agreement, raw difference, window, alarm, sampling, roles.
const assert = require('assert');
const path = require('path');
const { spawnSync } = require('child_process');
const { DIST, lib } = require('./support/paths');

const { compareDetections, classNamesWarning } = lib('shadow/agreement');
const { rawDifference } = lib('shadow/raw-diff');
const { RollingWindow, percentileOrNull: percentile } = lib('shadow/window');
const { AlarmState, alarmReasons } = lib('shadow/alarm');
const { Sampler } = lib('shadow/sampler');
const { ModelRoles } = lib('shadow/roles');
const { parseShadowConfig } = lib('shadow/config');
const { parseShadowCommand, commandInPayload } = lib('shadow/commands');

const det = (classId, score, x1, y1, x2, y2) => ({ class: `c${classId}`, classId, score, box: { x1, y1, x2, y2 } });

describe('shadow engine', () => {
  describe('compareDetections', () => {
    it('gives full agreement for identical detections and for two empty frames', () => {
      const a = [det(0, 0.9, 0, 0, 100, 100), det(1, 0.6, 200, 200, 260, 300)];
      const same = compareDetections(a, a.map((d) => ({ ...d, box: { ...d.box } })));
      assert.deepStrictEqual([same.matched, same.precision, same.recall, same.f1, same.meanIou], [2, 1, 1, 1, 1]);
      assert.deepStrictEqual(same.scoreDelta, { mean: 0, meanAbs: 0, maxAbs: 0 });
      const empty = compareDetections([], []);
      assert.deepStrictEqual([empty.precision, empty.recall, empty.f1], [1, 1, 1]);
    });

    it('matches by class and IoU >= 0.5, one to one, and lists the boxes only one model found', () => {
      const prod = [det(0, 0.9, 0, 0, 100, 100), det(0, 0.8, 300, 300, 400, 400), det(2, 0.7, 500, 0, 600, 100)];
      const cand = [
        det(0, 0.7, 10, 0, 110, 100), // IoU 90/110 = 0.818 with prod[0]
        det(0, 0.95, 5, 0, 105, 100), // IoU 0.905 with prod[0]: the better match wins
        det(1, 0.9, 300, 300, 400, 400), // right place, wrong class
        det(2, 0.5, 550, 0, 650, 100), // IoU 50/150 = 0.33: too little overlap
      ];
      const r = compareDetections(prod, cand);
      assert.strictEqual(r.matched, 1);
      assert.strictEqual(r.precision, 1 / 4);
      assert.strictEqual(r.recall, 1 / 3);
      assert.ok(Math.abs(r.f1 - (2 * 0.25 * (1 / 3)) / (0.25 + 1 / 3)) < 1e-12);
      assert.ok(Math.abs(r.scoreDelta.mean - 0.05) < 1e-9);
      assert.deepStrictEqual(r.onlyProduction.map((d) => d.score), [0.8, 0.7]);
      assert.deepStrictEqual(r.onlyCandidate.map((d) => d.score), [0.7, 0.9, 0.5]);
    });

    it('never pairs boxes that do not overlap, even with a match IoU of 0', () => {
      const r = compareDetections([det(0, 0.9, 0, 0, 100, 100)], [det(0, 0.9, 500, 500, 600, 600)], 0);
      assert.deepStrictEqual([r.matched, r.f1, r.onlyProduction.length, r.onlyCandidate.length], [0, 0, 1, 1]);
      assert.strictEqual(compareDetections([det(0, 0.9, 0, 0, 100, 100)], [det(0, 0.9, 99, 0, 199, 100)], 0).matched, 1, 'a sliver of overlap pairs at 0');
    });

    it('matches by class name, not id: models that number their classes differently agree on what they name alike', () => {
      const box = [0, 0, 100, 100];
      const named = (classId, name) => ({ ...det(classId, 0.9, ...box), class: name });
      assert.strictEqual(compareDetections([named(0, 'person')], [named(0, 'toothbrush')]).f1, 0, 'same id, another label');
      assert.strictEqual(compareDetections([named(0, 'person')], [named(79, 'person')]).f1, 1, 'same label, another id');
    });

    it('classNamesWarning: nothing for the same names in the same order; says where they differ otherwise', () => {
      assert.strictEqual(classNamesWarning(['person', 'car'], ['person', 'car']), undefined);
      // no node outputs: the CLI prints it too, and each caller says what a promote changes in its own terms
      assert.strictEqual(classNamesWarning(['person', 'car'], ['car', 'person']), "the models name their classes differently: class id 0 is 'person' in production and 'car' in the candidate; boxes are matched by class name");
      const w = classNamesWarning(['person', 'car', 'dog'], ['person', 'truck']);
      assert.match(w, /class id 1 is 'car' in production and 'truck' in the candidate; only production knows 'car', 'dog', only the candidate 'truck'/);
    });

    it('scores a candidate that finds nothing at F1 0 and one that adds boxes by its precision', () => {
      const prod = [det(0, 0.9, 0, 0, 100, 100)];
      assert.deepStrictEqual([compareDetections(prod, []).recall, compareDetections(prod, []).f1], [0, 0]);
      const extra = compareDetections(prod, [prod[0], det(3, 0.4, 0, 0, 10, 10)]);
      assert.deepStrictEqual([extra.precision, extra.recall], [0.5, 1]);
    });
  });

  it('rawDifference: mean and max absolute difference; undefined for outputs of different size', () => {
    const d = rawDifference(new Float32Array([1, 2, 3, 4]), new Float32Array([1, 2.5, 2, 4]));
    assert.deepStrictEqual(d, { meanAbs: 0.375, maxAbs: 1, elements: 4, nonFinite: 0 });
    assert.strictEqual(rawDifference(new Float32Array(3), new Float32Array(4)), undefined);
    // a candidate that overflows or gives NaN is counted, not read as agreeing
    assert.deepStrictEqual(rawDifference(new Float32Array([1, 2, 3]), new Float32Array([NaN, 2.5, Infinity])), { meanAbs: 0.5, maxAbs: 0.5, elements: 3, nonFinite: 2 });
    assert.deepStrictEqual(rawDifference(new Float32Array(2), new Float32Array([NaN, NaN])), { meanAbs: null, maxAbs: null, elements: 2, nonFinite: 2 });
  });

  it('rawDifference allocates nothing per element, also in V8\'s mid tier where a busy Node-RED runs it between optimizations', function () {
    this.timeout(60000);
    // 8400 boxes x 84 values, fractional as box values are: a loop that boxed a number per element made about 10 MB
    // of short-lived heap per call, which the soak line promoted into the old generation every 2 s. In Node-RED the
    // function often ran in Maglev code, not in the optimising compiler's: a test that warmed it up saw no garbage.
    const script = `
      const v8 = require('v8');
      const { rawDifference } = require(${JSON.stringify(require.resolve(path.join(DIST, 'lib', 'shadow', 'raw-diff.js')))});
      const n = 8400 * 84;
      const a = new Float32Array(n).map((_, i) => ((i * 7919) % 640) * 0.37);
      const b = new Float32Array(n).map((_, i) => ((i * 104729) % 640) * 0.37);
      rawDifference(a, b);
      const profiler = new v8.GCProfiler();
      profiler.start();
      for (let k = 0; k < 10; k++) rawDifference(a, b);
      console.log(profiler.stop().statistics.length);`;
    for (const flags of [[], ['--no-turbofan', '--maglev']]) {
      const r = spawnSync(process.execPath, [...flags, '-e', script], { encoding: 'utf8' });
      assert.strictEqual(r.status, 0, r.stderr);
      const gcs = Number(r.stdout.trim());
      assert.ok(gcs <= 2, `${flags.join(' ') || 'default tiers'}: ${gcs} garbage collections during 10 comparisons`);
    }
  });

  it('RollingWindow keeps the last N samples; p95 is interpolated like numpy', () => {
    assert.ok(Math.abs(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 95) - 9.55) < 1e-12);
    const w = new RollingWindow(3);
    for (const [f1, ms] of [[0, 90], [1, 10], [0.5, 20], [1, 30]]) w.add({ f1, productionMs: 10, candidateMs: ms, rawDiff: ms / 100 });
    const s = w.summary();
    assert.deepStrictEqual([s.count, s.meanF1, s.minF1, s.p95ProductionMs], [3, 2.5 / 3, 0.5, 10]);
    assert.ok(Math.abs(s.p95CandidateMs - 29) < 1e-12);
    assert.ok(Math.abs(s.p95LatencyRatio - 2.9) < 1e-12);
    assert.ok(Math.abs(s.meanRawDiff - 0.2) < 1e-12);
    w.clear();
    assert.deepStrictEqual(w.summary().meanF1, null);
  });

  it('AlarmState raises once when the window breaks a rule and clears once when it recovers', () => {
    const rules = { minF1: 0.8, maxLatencyRatio: 1.5, minSamples: 3 };
    const summary = (count, meanF1, p95LatencyRatio) => ({ count, capacity: 10, meanF1, minF1: meanF1, p95ProductionMs: 50, p95CandidateMs: 50 * p95LatencyRatio, p95LatencyRatio, meanRawDiff: null });
    assert.deepStrictEqual(alarmReasons(summary(2, 0.1, 5), rules), [], 'too few samples to judge');
    const a = new AlarmState(rules);
    assert.strictEqual(a.update(summary(3, 0.95, 1.1)), undefined);
    const raised = a.update(summary(4, 0.5, 1.1));
    assert.strictEqual(raised.active, true);
    assert.match(raised.reasons[0], /mean F1 0.500 over the last 4 compared frames is below 0.8/);
    assert.strictEqual(a.update(summary(5, 0.4, 2)), undefined, 'still in alarm: no second message');
    assert.strictEqual(a.reasons[1], "latency: candidate p95 inference 100 ms is 2.00x production's 50 ms over the last 5 compared frames, above the limit of 1.5x", 'one sentence');
    assert.deepStrictEqual(a.update(summary(6, 0.9, 1)), { active: false, reasons: [] });
    assert.strictEqual(a.raised, 1);
    assert.deepStrictEqual(alarmReasons(summary(9, 1, 50), { ...rules, maxLatencyRatio: 0 }), [], 'latency rule off');
  });

  it('parseShadowConfig refuses an alarm "after" count larger than the window, which could never fire', () => {
    const refused = (fields) => assert.throws(() => parseShadowConfig(fields), (e) => e.code === 'BAD_CONFIG'
      && /^minimum samples \(alarm after N compared frames\) must be at most the window size \(2\), or the alarm can never fire, got [35]$/.test(e.message), JSON.stringify(fields));
    refused({ windowSize: '2', minSamples: '3' });
    refused({ windowSize: 2 }); // the default 5
    assert.deepStrictEqual([parseShadowConfig({ windowSize: '3', minSamples: '3' }).rules.minSamples, parseShadowConfig({}).rules.minSamples], [3, 5]);
  });

  it('Sampler picks an exact, evenly spread share or every Nth frame, the first frame always', () => {
    const picks = (s, n) => Array.from({ length: n }, () => s.next()).flatMap((p, i) => (p ? [i] : []));
    assert.deepStrictEqual(picks(new Sampler('percent', 10), 30), [0, 10, 20]);
    assert.strictEqual(picks(new Sampler('percent', 25), 1000).length, 250);
    assert.strictEqual(picks(new Sampler('percent', 33.3), 1000).length, 333);
    assert.deepStrictEqual(picks(new Sampler('percent', 0), 50), []);
    assert.strictEqual(picks(new Sampler('percent', 100), 50).length, 50);
    const every = new Sampler('every', 4);
    assert.deepStrictEqual(picks(every, 10), [0, 4, 8]);
    every.reset();
    assert.deepStrictEqual(picks(every, 2), [0]);
    assert.throws(() => new Sampler('every', 0), /integer N >= 1/);
    assert.throws(() => new Sampler('percent', 120), /0..100/);
  });

  it('parseShadowCommand takes promote, rollback and reset in any case; anything else, a non-string too, is BAD_COMMAND', () => {
    assert.deepStrictEqual(['promote', ' Rollback ', 'RESET'].map(parseShadowCommand), ['promote', 'rollback', 'reset']);
    for (const [v, text] of [
      [['promote'], /^msg\.command must be a string \(use promote, rollback, reset\), got an array of 1$/],
      [{ toString: () => 'promote' }, /got an object$/],
      [7, /got number 7$/],
      ['', /^unknown command "": use promote, rollback, reset$/],
      ['promote now', /^unknown command "promote now"/],
      // a payload put in msg.command by mistake: a short prefix, not the whole text
      ['x'.repeat(100000), /^unknown command "x{40}"\.\.\. \(100000 characters\): use promote, rollback, reset$/],
    ]) assert.throws(() => parseShadowCommand(v), (e) => e.code === 'BAD_COMMAND' && text.test(e.message), String(v));
  });

  it('commandInPayload finds a command sent in msg.payload: the name, {command}, or that object as JSON text; nothing else', () => {
    assert.deepStrictEqual([' Promote ', { command: 'reset' }, '{"command": "rollback"}', ' {"command":"RESET"}'].map(commandInPayload), ['Promote', 'reset', 'rollback', 'RESET']);
    for (const v of [Buffer.from('promote'), 'explode', { command: 'explode' }, { command: ['promote'] }, '{not json', '"promote"', null, 7, { data: Buffer.alloc(3), width: 1, height: 1, channels: 3 }]) {
      assert.strictEqual(commandInPayload(v), undefined, String(v));
    }
    // a long text is no command and is not parsed: 12 MB of nested JSON (an http-in body) held the event loop 0.5 s
    const nested = '{"a":'.repeat(2e6) + '1' + '}'.repeat(2e6);
    const t0 = performance.now();
    assert.strictEqual(commandInPayload(nested), undefined);
    assert.ok(performance.now() - t0 < 50, `took ${(performance.now() - t0).toFixed(0)} ms`);
    assert.strictEqual(commandInPayload(`{"command": "promote", "note": "${'x'.repeat(900)}"}`), 'promote');
  });

  it('ModelRoles: promote swaps and keeps the old production for rollback; refuses what makes no sense', () => {
    const r = new ModelRoles('v1', 'v2');
    assert.throws(() => r.rollback(), /nothing was promoted/);
    r.promote();
    assert.deepStrictEqual([r.production, r.candidate, r.promoted, r.generation], ['v2', 'v1', true, 1]);
    assert.throws(() => r.promote(), /already production/);
    r.rollback();
    assert.deepStrictEqual([r.production, r.candidate, r.promoted, r.generation], ['v1', 'v2', false, 2]);
    assert.throws(() => new ModelRoles('v1', undefined).promote(), /no candidate/);
  });
});

describe('ShadowTester', () => {
  const { ShadowTester, DEFAULT_SHADOW } = lib('shadow/shadow-tester');
  const result = { detections: [], imageWidth: 10, imageHeight: 10, timings: { decode: 0, preprocess: 0, inference: 1, postprocess: 0, total: 1, queued: 0 } };
  const source = (detect) => {
    const d = { detect, checkOptions: () => {}, checkFile: async () => {}, info: {} };
    return { detector: async () => d };
  };

  it('refuses to promote a candidate that failed comparisons, with the count and the last error, until a reset', async () => {
    const production = source(async () => result);
    const candidate = source(async () => { throw new Error('candidate input rejected'); });
    const errors = [];
    const t = new ShadowTester(production, candidate, { ...DEFAULT_SHADOW, sampleMode: 'every', sampleValue: 1, describe: () => ({ file: 'x', sha256: 'y', precision: 'fp32' }) }, { report() {}, alarm() {}, candidateError: (e) => errors.push(e) });
    for (let i = 0; i < 3; i++) {
      await t.runFrame(new Uint8Array(1), {}, undefined);
      await t.drain();
    }
    assert.strictEqual(t.counters.failed, 3);
    await assert.rejects(t.promote(), (e) => e.code === 'PROMOTE_REFUSED' && /failed 3 of 3 comparisons since deploy \(last error: candidate input rejected\)/.test(e.message));
    assert.strictEqual(t.roles.promoted, false);
    t.reset();
    await t.promote();
    assert.strictEqual(t.roles.promoted, true);
  });

  it('refuses to promote a candidate that does not load with PROMOTE_REFUSED, naming the load\'s code and keeping its error as the cause', async () => {
    const { YoloEdgeError } = lib('errors');
    const production = source(async () => result);
    const missing = new YoloEdgeError('model file not found: /models/next.onnx', 'MODEL_NOT_FOUND');
    const candidate = { detector: async () => { throw missing; } };
    const t = new ShadowTester(production, candidate, { ...DEFAULT_SHADOW, describe: () => ({ file: 'x', sha256: 'y', precision: 'fp32' }) }, { report() {}, alarm() {}, candidateError() {} });
    await assert.rejects(t.promote(), (e) => e.code === 'PROMOTE_REFUSED' && e.cause === missing
      && e.message === 'promote refused: the candidate did not load (MODEL_NOT_FOUND): model file not found: /models/next.onnx');
    assert.strictEqual(t.roles.promoted, false);
    // a redeploy closing the model while the promote waits for it is no refusal: CLOSED, as the frames end
    const closed = new YoloEdgeError('model node is closed', 'CLOSED');
    const closing = new ShadowTester(production, { detector: async () => { throw closed; } }, { ...DEFAULT_SHADOW, describe: () => ({ file: 'x', sha256: 'y', precision: 'fp32' }) }, { report() {}, alarm() {}, candidateError() {} });
    await assert.rejects(closing.promote(), (e) => e === closed);
  });

  it('promotes a loaded candidate over a production that does not load; only a class filter by id, which means production\'s ids, refuses it', async () => {
    const { YoloEdgeError } = lib('errors');
    const missing = new YoloEdgeError('model file not found: /models/old.onnx', 'MODEL_NOT_FOUND');
    const production = { detector: async () => { throw missing; } };
    const make = () => new ShadowTester(production, source(async () => result), { ...DEFAULT_SHADOW, describe: () => ({ file: 'x', sha256: 'y', precision: 'fp32' }) }, { report() {}, alarm() {}, candidateError() {} });
    const byId = make();
    await assert.rejects(byId.promote({ classes: ['0'] }), (e) => e.code === 'PROMOTE_REFUSED' && e.cause === missing
      && /^promote refused: this node's class filter picks by id, and production, whose ids it means, did not load; give the classes by name \(MODEL_NOT_FOUND\): model file not found/.test(e.message));
    assert.strictEqual(byId.roles.promoted, false);
    for (const classes of [undefined, ['person']]) {
      const t = make();
      await t.promote({ classes });
      assert.strictEqual(t.roles.promoted, true, String(classes));
    }
    // a rollback to it would stop the line: refused, the candidate serves on
    const t = make();
    await t.promote();
    await assert.rejects(t.rollback(), (e) => e.code === 'NOTHING_TO_ROLL_BACK' && e.cause === missing
      && e.message === 'rollback refused: the production before the promote does not load (MODEL_NOT_FOUND): model file not found: /models/old.onnx');
    assert.strictEqual(t.roles.promoted, true);
  });

  const settings = { ...DEFAULT_SHADOW, sampleMode: 'every', sampleValue: 1, describe: () => ({ file: 'x', sha256: 'y', precision: 'fp32' }) };
  const withBoxes = (detections) => ({ ...result, detections, timings: { ...result.timings } });
  /** A promise and the function that settles it: holds a candidate run until the test has done its part. */
  const gate = () => {
    let open;
    const shut = new Promise((r) => { open = r; });
    return { shut, open };
  };

  it('counts only a loaded candidate\'s failed runs toward the "after" streak: frames before its file loads do not', async () => {
    let loads = 0;
    const d = { detect: async () => { throw new Error('candidate input rejected'); }, checkOptions: () => {}, info: {} };
    const candidate = { detector: async () => { if (++loads <= 5) throw new Error('model file not found'); return d; } };
    const alarms = [];
    const t = new ShadowTester(source(async () => result), candidate, { ...settings, rules: { ...settings.rules, minSamples: 3 } }, { report() {}, alarm: (e) => alarms.push(e), candidateError() {} });
    const frame = async () => { await t.runFrame(new Uint8Array(1), {}, undefined); await t.drain(); };
    for (let i = 0; i < 7; i++) await frame();
    assert.deepStrictEqual(alarms, [], 'five frames before the file loaded, then two failed runs: under "after"');
    await frame();
    assert.deepStrictEqual(alarms.map((a) => a.reasons), [['candidate: it failed the last 3 picked frames']]);
  });

  it('promotes a candidate whose file appeared after deploy: the frames it did not load for are no failed runs of it', async () => {
    const { YoloEdgeError } = lib('errors');
    let present = false;
    const loaded = source(async () => result);
    const missing = new YoloEdgeError('model file not found: /models/next.onnx', 'MODEL_NOT_FOUND');
    const candidate = { detector: async () => { if (!present) throw missing; return loaded.detector(); } };
    const errors = [];
    const t = new ShadowTester(source(async () => result), candidate, settings, { report() {}, alarm() {}, candidateError: (e) => errors.push(e) });
    const frame = async () => { await t.runFrame(new Uint8Array(1), {}, undefined); await t.drain(); };
    for (let i = 0; i < 3; i++) await frame();
    present = true;
    for (let i = 0; i < 2; i++) await frame();
    assert.deepStrictEqual([t.counters.failed, t.counters.compared, errors.length], [3, 2, 3], 'every picked frame counted, each failure told');
    const runs = t.candidateRuns;
    await t.promote();
    assert.strictEqual(t.roles.promoted, true);
    assert.deepStrictEqual(runs, { failed: 0, compared: 2, unloaded: 3 });
  });

  it('tells once, at a comparison, that the candidate file is no longer the one it loaded; the comparisons go on, and a file put back clears it', async () => {
    const { YoloEdgeError } = lib('errors');
    let file;
    const candidate = source(async () => result);
    const d = await candidate.detector();
    d.checkFile = async () => { if (file) throw file; };
    const told = [];
    const reports = [];
    const t = new ShadowTester(source(async () => result), candidate, settings, { report: (r) => reports.push(r), alarm() {}, candidateError() {}, candidateFileChanged: (e, model) => told.push([e.code, model.sha256]) });
    const frame = async () => { await t.runFrame(new Uint8Array(1), {}, undefined); await t.drain(); };
    await frame();
    assert.deepStrictEqual([told, t.candidateFileChanged], [[], undefined]);
    file = new YoloEdgeError('model file /models/next.onnx changed since it was loaded', 'MODEL_CHANGED');
    await frame();
    await frame();
    assert.deepStrictEqual(told, [['MODEL_CHANGED', 'y']], 'once for the change');
    assert.strictEqual(t.candidateFileChanged, 'model file /models/next.onnx changed since it was loaded');
    assert.strictEqual(t.candidateFileGone, false, 'replaced, not gone');
    assert.deepStrictEqual([reports.length, t.counters.compared, t.counters.failed], [3, 3, 0], 'compared all the same');
    file = undefined; // put back
    await frame();
    assert.strictEqual(t.candidateFileChanged, undefined);
    file = new YoloEdgeError('model file not found: /models/next.onnx', 'MODEL_NOT_FOUND');
    await frame();
    assert.deepStrictEqual(told.map(([code]) => code), ['MODEL_CHANGED', 'MODEL_NOT_FOUND']);
    assert.strictEqual(t.candidateFileGone, true, 'told by its code');
  });

  it('raises the alarm when the candidate fails "after" picked frames in a row, and clears it once it runs again', async () => {
    let failing = true;
    const production = source(async () => result);
    const candidate = source(async () => { if (failing) throw new Error('candidate input rejected'); return withBoxes([]); });
    const alarms = [];
    const reports = [];
    const t = new ShadowTester(production, candidate, { ...settings, rules: { ...settings.rules, minSamples: 3 } }, { report: (r) => reports.push(r), alarm: (e) => alarms.push(e), candidateError() {} });
    const frame = async () => { await t.runFrame(new Uint8Array(1), {}, undefined); await t.drain(); };
    for (let i = 0; i < 2; i++) await frame();
    assert.deepStrictEqual(alarms, [], 'two failures are under "after"');
    await frame();
    assert.deepStrictEqual(alarms.map((a) => [a.active, a.reasons, a.frame]), [[true, ['candidate: it failed the last 3 picked frames'], 3]]);
    assert.deepStrictEqual([t.alarm.active, t.counters.alarms, reports.length], [true, 1, 0]);
    await frame();
    assert.strictEqual(alarms.length, 1, 'still failing: no second alarm');
    failing = false;
    await frame();
    assert.deepStrictEqual(alarms.map((a) => a.active), [true, false], 'a comparison that runs clears it');
    assert.strictEqual(reports[0].alarm.active, false);
  });

  it('compares its own copy of production\'s result: a flow editing the sent msg in place changes neither the agreement nor the report', async () => {
    const boxes = () => [det(0, 0.9, 0, 0, 100, 100), det(1, 0.8, 200, 200, 300, 300)];
    const g = gate();
    const production = source(async () => withBoxes(boxes()));
    const candidate = source(async () => { await g.shut; return withBoxes(boxes().slice(0, 1)); });
    const reports = [];
    const t = new ShadowTester(production, candidate, settings, { report: (r) => reports.push(r), alarm() {}, candidateError() {} });
    const { result: sent } = await t.runFrame(new Uint8Array(1), {}, undefined);
    const originals = [...sent.detections];
    // what a Function node on output 1 does before the candidate has answered
    for (const d of sent.detections) d.box.x2 /= 640;
    sent.detections.splice(0, 1);
    sent.timings.inference = 999;
    g.open();
    await t.drain();
    const a = reports[0].agreement;
    assert.deepStrictEqual([a.production, a.candidate, a.matched], [2, 1, 1]);
    assert.deepStrictEqual(a.onlyProduction.map((d) => d.box), [{ x1: 200, y1: 200, x2: 300, y2: 300 }]);
    assert.ok(!originals.includes(a.onlyProduction[0]), 'onlyProduction holds the report\'s own objects');
    assert.strictEqual(reports[0].production.timings.inference, 1);
    assert.notStrictEqual(reports[0].production.timings, sent.timings);
  });

  it('announces an alarm that reset, promote or rollback clears: alarm off, saying which command, for the pair it was about', async () => {
    const production = source(async () => withBoxes([det(0, 0.9, 0, 0, 100, 100)]));
    const candidate = source(async () => withBoxes([]));
    const alarms = [];
    const t = new ShadowTester(production, candidate, { ...settings, rules: { ...DEFAULT_SHADOW.rules, minSamples: 2 }, describe: (d) => ({ file: d.name }) }, {
      report() {}, alarm: (e, context) => alarms.push({ active: e.active, clearedBy: e.clearedBy, context, pair: [e.production.file, e.candidate.file], count: e.window.count }), candidateError() {},
    });
    (await production.detector()).name = 'p';
    (await candidate.detector()).name = 'c';
    const disagree = async (context) => {
      for (let i = 0; i < 2; i++) {
        await t.runFrame(new Uint8Array(1), {}, context);
        await t.drain();
      }
    };
    await disagree('frame');
    t.reset();
    await disagree('frame');
    await t.promote();
    await disagree('frame'); // the swapped pair disagrees as much
    await t.rollback();
    t.reset(); // no alarm active: nothing to announce
    assert.strictEqual(t.alarm.active, false);
    assert.deepStrictEqual(alarms, [
      { active: true, clearedBy: undefined, context: 'frame', pair: ['p', 'c'], count: 2 },
      { active: false, clearedBy: 'reset', context: undefined, pair: ['p', 'c'], count: 0 },
      { active: true, clearedBy: undefined, context: 'frame', pair: ['p', 'c'], count: 2 },
      { active: false, clearedBy: 'promote', context: undefined, pair: ['p', 'c'], count: 0 },
      { active: true, clearedBy: undefined, context: 'frame', pair: ['c', 'p'], count: 2 },
      { active: false, clearedBy: 'rollback', context: undefined, pair: ['c', 'p'], count: 0 },
    ]);
  });

  it('judges a promote by the candidate\'s own runs: failures of the old production while it was the shadow do not block the promote after a rollback', async () => {
    let aFails = false;
    let bFails = false;
    const a = source(async () => { if (aFails) throw new Error('old model failed'); return result; });
    const b = source(async () => { if (bFails) throw new Error('new model failed'); return result; });
    const t = new ShadowTester(a, b, settings, { report() {}, alarm() {}, candidateError() {} });
    const frame = async () => { await t.runFrame(new Uint8Array(1), {}, undefined); await t.drain(); };
    await frame();
    await t.promote(); // b serves, a shadows it
    aFails = true;
    for (let i = 0; i < 3; i++) await frame();
    assert.strictEqual(t.counters.failed, 3, 'the counters keep every failure since the last reset');
    aFails = false;
    await t.rollback(); // a serves again, b is the candidate: it never failed
    await frame();
    await t.promote();
    assert.strictEqual(t.roles.promoted, true);
    // the candidate's own failures still block it
    await t.rollback();
    bFails = true;
    await frame();
    await assert.rejects(t.promote(), (e) => e.code === 'PROMOTE_REFUSED' && /failed 1 of 1 comparisons since the last rollback \(last error: new model failed\)/.test(e.message));
  });

  /** A model that sees a person and a car, numbers them in the order of `names` and filters by id as Detector does. */
  const namedModel = (names) => source(async (_image, o) => {
    const wanted = (o.classes || []).map((c) => (/^\d+$/.test(String(c)) ? Number(c) : names.indexOf(c)));
    const all = [['person', [0, 0, 100, 100]], ['car', [200, 200, 400, 300]]].map(([name, b]) => ({ ...det(names.indexOf(name), 0.9, ...b), class: name }));
    return withBoxes(all.filter((d) => wanted.length === 0 || wanted.includes(d.classId)));
  });

  it('runs the candidate on the classes production picks: a filter by id means production\'s class, whatever id the candidate gives it', async () => {
    const production = namedModel(['person', 'car']);
    const candidate = namedModel(['car', 'person']); // trained with the classes in another order
    (await production.detector()).info = { names: ['person', 'car'] };
    (await candidate.detector()).info = { names: ['car', 'person'] };
    const reports = [];
    const t = new ShadowTester(production, candidate, settings, { report: (r) => reports.push(r), alarm() {}, candidateError: (e) => assert.fail(e) });
    for (const classes of [['0'], [1], ['person', '1']]) {
      await t.runFrame(new Uint8Array(1), { classes }, undefined);
      await t.drain();
    }
    assert.deepStrictEqual(reports.map((r) => [r.agreement.production, r.agreement.matched, r.agreement.onlyCandidate.map((d) => d.class)]), [[1, 1, []], [1, 1, []], [2, 2, []]]);
  });

  it('refuses to promote when the node\'s class filter by id would pick other classes in the candidate; by name it promotes', async () => {
    const production = namedModel(['person', 'car']);
    const candidate = namedModel(['car', 'person']);
    (await production.detector()).info = { names: ['person', 'car'] };
    (await candidate.detector()).info = { names: ['car', 'person'] };
    const t = new ShadowTester(production, candidate, settings, { report() {}, alarm() {}, candidateError() {} });
    await assert.rejects(t.promote({ classes: ['1', 'person'] }), (e) => e.code === 'PROMOTE_REFUSED'
      && e.message === "promote refused: this node's class filter picks by id and id 1 is 'car' in production and 'person' in the candidate, so output 1 would carry other classes; give the classes by name");
    assert.strictEqual(t.roles.promoted, false);
    const sent = async (classes) => (await t.runFrame(new Uint8Array(1), { classes }, undefined)).result.detections.map((d) => d.class);
    assert.deepStrictEqual(await sent(['1']), ['car']);
    await t.promote({ classes: ['car'] });
    assert.deepStrictEqual([t.roles.promoted, await sent(['car'])], [true, ['car']]);
  });

  it('compares the first frame of a new window once a comparison from before the promote has ended, instead of skipping it as busy', async () => {
    const g = gate();
    let slow = true;
    const a = source(async () => withBoxes([]));
    const b = source(async () => { if (slow) await g.shut; return withBoxes([]); });
    const reports = [];
    const t = new ShadowTester(a, b, { ...settings, sampleValue: 10 }, { report: (r) => reports.push(r.frame), alarm() {}, candidateError() {} });
    const frame = () => t.runFrame(new Uint8Array(1), {}, undefined);
    await frame(); // frame 1: the candidate takes its time
    await t.promote();
    slow = false;
    for (let i = 0; i < 3; i++) await frame(); // frames 2-4 while the comparison of frame 1 still runs
    g.open();
    await t.drain();
    for (let i = 0; i < 3; i++) { await frame(); await t.drain(); } // frames 5-7
    assert.deepStrictEqual(reports, [5], 'the new pair compared on the first frame the candidate was free for, not 10 frames later');
    assert.deepStrictEqual([t.counters.sampled, t.counters.compared, t.counters.skippedBusy, t.counters.stale], [2, 1, 0, 1]);
  });

  it('counts a candidate failure that outlives a reset or promote as stale: no failure, no warning, promote allowed', async () => {
    const production = source(async () => withBoxes([]));
    let g;
    const candidate = source(async () => { await g.shut; throw new Error('old candidate failed'); });
    const errors = [];
    const t = new ShadowTester(production, candidate, settings, { report() {}, alarm() {}, candidateError: (e) => errors.push(e.message) });
    const failDuring = async (command) => {
      g = gate();
      await t.runFrame(new Uint8Array(1), {}, undefined);
      await command();
      g.open();
      await t.drain();
    };
    await failDuring(() => t.reset());
    assert.deepStrictEqual([t.counters.failed, t.counters.stale, errors], [0, 1, []]);
    await failDuring(() => t.promote()); // refused if the failure had counted
    assert.deepStrictEqual([t.roles.promoted, t.counters.failed, t.counters.stale, errors], [true, 0, 2, []]);
  });
});
