'use strict';
const assert = require('assert');
const { lib } = require('./support/paths');
const { letterboxGeometry } = lib('image/letterbox');
const { Candidates } = lib('postprocess/candidates');
const { decodeOutput, DecodeScratch } = lib('postprocess/decode-output');
const { nms } = lib('postprocess/nms');
const { matchPredictions, averagePrecision, interp, computeMetrics } = lib('tools/eval/metrics');
const { BusyQueue } = lib('pipeline/busy-queue');
const { RateGate } = lib('pipeline/rate-gate');
const { parseControl } = lib('pipeline/control');

const box = (x1, y1, x2, y2) => ({ x1, y1, x2, y2 });

describe('letterbox geometry (Ultralytics LetterBox, centered)', () => {
  it('fits 640x480 into 640x640 with 80 px bands top and bottom', () => {
    const g = letterboxGeometry(640, 480, 640, 640);
    assert.deepStrictEqual([g.width, g.height, g.left, g.top, g.scale], [640, 480, 0, 80, 1]);
  });
  it('rounds the scaled size as Python does, halves to even (1280x721 -> 640x360 under a 140-row band)', () => {
    const g = letterboxGeometry(1280, 721, 640, 640);
    assert.deepStrictEqual([g.width, g.height, g.left, g.top], [640, 360, 0, 140]);
    assert.deepStrictEqual([letterboxGeometry(1280, 723, 640, 640).height, letterboxGeometry(1280, 725, 640, 640).height], [362, 362]);
  });
  it('splits odd padding like round(d - 0.1) and scales up small images', () => {
    const g = letterboxGeometry(320, 241, 640, 640);
    assert.strictEqual(g.scale, 640 / 320);
    assert.deepStrictEqual([g.width, g.height, g.left, g.top], [640, 482, 0, 79]);
    const p = letterboxGeometry(1080, 1920, 640, 640);
    assert.deepStrictEqual([p.width, p.height, p.left, p.top], [360, 640, 140, 0]);
  });
});

describe('output decoding', () => {
  const opts = { confidence: 0.25, classes: null, multiLabel: false };
  it('reads [1, 4+nc, N] channel-first output, best class per anchor', () => {
    // 2 classes, 3 anchors: anchor 0 -> class 1 (0.9), anchor 1 below threshold, anchor 2 -> class 0 (0.6)
    const n = 3;
    const data = new Float32Array([
      100, 200, 300, // cx
      100, 200, 300, // cy
      20, 20, 40, // w
      10, 10, 20, // h
      0.1, 0.2, 0.6, // class 0
      0.9, 0.1, 0.5, // class 1
    ]);
    const c = new Candidates();
    decodeOutput(data, [1, 6, n], 'yolov8', 2, opts, c, new DecodeScratch());
    assert.strictEqual(c.count, 2);
    assert.deepStrictEqual(Array.from(c.boxes.subarray(0, 8)), [90, 95, 110, 105, 280, 290, 320, 310]);
    assert.deepStrictEqual([c.classIds[0], c.classIds[1]], [1, 0]);
    decodeOutput(data, [1, 6, n], 'yolov8', 2, { ...opts, multiLabel: true }, c, new DecodeScratch());
    assert.strictEqual(c.count, 3, 'anchor 2 passes for both classes');
    decodeOutput(data, [1, 6, n], 'yolov8', 2, { ...opts, classes: new Set([0]) }, c, new DecodeScratch());
    assert.deepStrictEqual([c.count, c.classIds[0]], [1, 0]);
    // anchor 0 is class 1 (0.9): filtered out, not reported as class 0 at its 0.1 (nor at any score over the threshold)
    const dogOrCat = new Float32Array([100, 100, 20, 10, 0.3, 0.9]);
    decodeOutput(dogOrCat, [1, 6, 1], 'yolov8', 2, { ...opts, classes: new Set([0]) }, c, new DecodeScratch());
    assert.strictEqual(c.count, 0, 'channel-first: the best class decides, then the filter');
    decodeOutput(dogOrCat, [1, 6, 1], 'yolov8', 2, { ...opts, classes: new Set([0]), multiLabel: true }, c, new DecodeScratch());
    assert.deepStrictEqual([c.count, c.classIds[0]], [1, 0], 'multi-label keeps every kept class over the threshold');
  });
  it('reads [1, N, 5+nc] rows with objectness times class score', () => {
    const data = new Float32Array([
      50, 50, 10, 10, 0.8, 0.5, 0.9, // obj 0.8 -> class 1 score 0.72
      50, 50, 10, 10, 0.2, 0.9, 0.9, // objectness below threshold
    ]);
    const c = new Candidates();
    decodeOutput(data, [1, 2, 7], 'yolov5', 2, opts, c, new DecodeScratch());
    assert.strictEqual(c.count, 1);
    assert.strictEqual(c.classIds[0], 1);
    assert.ok(Math.abs(c.scores[0] - 0.72) < 1e-6);
    decodeOutput(data, [1, 2, 7], 'yolov5', 2, { ...opts, classes: new Set([0]) }, c, new DecodeScratch());
    assert.strictEqual(c.count, 0, 'rows: the anchor is class 1, so a class-0 filter drops it');
  });
  it('reads [1, K, 6] end-to-end rows as boxes', () => {
    const data = new Float32Array([10, 20, 30, 40, 0.9, 3, 0, 0, 1, 1, 0.1, 2]);
    const c = new Candidates();
    decodeOutput(data, [1, 2, 6], 'end2end', 80, opts, c, new DecodeScratch());
    assert.deepStrictEqual([c.count, c.classIds[0], c.boxes[2]], [1, 3, 30]);
  });
  it('leaves out boxes with a NaN or infinite corner or score, in every layout (they reached msg.payload as nulls)', () => {
    const c = new Candidates();
    const kept = (data, dims, layout) => {
      decodeOutput(new Float32Array(data), dims, layout, 2, opts, c, new DecodeScratch());
      return Array.from(c.scores.subarray(0, c.count));
    };
    // channel-first, 4 anchors: NaN cx, infinite w, infinite class score, then a good one (0.6)
    assert.deepStrictEqual(kept([NaN, 50, 50, 50, 50, 50, 50, 50, 10, Infinity, 10, 10, 10, 10, 10, 10, 0.9, 0.9, Infinity, 0.6, 0, 0, 0, 0], [1, 6, 4], 'yolov8'), [Math.fround(0.6)]);
    // rows: infinite objectness, then NaN cy
    assert.deepStrictEqual(kept([50, 50, 10, 10, Infinity, 0.9, 0, 50, NaN, 10, 10, 0.9, 0.9, 0], [1, 2, 7], 'yolov5'), []);
    // end-to-end: infinite score, NaN x2, a corner past float32's range
    assert.deepStrictEqual(kept([0, 0, 10, 10, Infinity, 1, 0, 0, NaN, 10, 0.9, 1, 0, 0, 10, 1e39, 0.9, 1, 0, 0, 10, 10, 0.8, 1], [1, 4, 6], 'end2end'), [Math.fround(0.8)]);
  });
  it('fails an end-to-end row whose class is not a class id with BAD_OUTPUT; padding rows under the threshold are not read', () => {
    const c = new Candidates();
    const decode = (cls, score = 0.9) => decodeOutput(new Float32Array([0, 0, 10, 10, score, cls]), [1, 1, 6], 'end2end', 2, opts, c, new DecodeScratch());
    for (const cls of [-1, 1.5, NaN, Infinity, 1e10]) {
      assert.throws(() => decode(cls), (e) => e.code === 'BAD_OUTPUT' && e.message.startsWith(`end-to-end output row 0 has class ${cls}, not a class id from 0 to 9999`), String(cls));
    }
    decode(-1, 0);
    assert.strictEqual(c.count, 0, 'a padding row');
    // a class past the model's 2 (named class5 while msg.classes refused 5) is refused too
    assert.throws(() => decode(5), (e) => e.code === 'BAD_OUTPUT' && e.message.startsWith("end-to-end output row 0 has class 5, past the model's 2 classes: an end-to-end model has as many as its class names (80 without names)"));
    decode(Math.fround(1 + 2e-4));
    assert.deepStrictEqual([c.count, c.classIds[0]], [1, 1], 'float noise on a class id is rounded off');
  });
  it('fails a frame with BAD_OUTPUT when a score over the threshold is over 1 in any layout (a logit, not a probability)', () => {
    const c = new Candidates();
    const decode = (data, dims, layout, o = opts) => decodeOutput(new Float32Array(data), dims, layout, 2, o, c, new DecodeScratch());
    const logit = (e) => e.code === 'BAD_OUTPUT' && /^the model's scores are not probabilities: anchor 1 has 2\.5, over 1/.test(e.message);
    // channel-first, 2 anchors: anchor 1's class 1 is 2.5, in both class modes
    const v8 = [50, 50, 50, 50, 10, 10, 10, 10, 0.9, 0.1, 0.1, 2.5];
    assert.throws(() => decode(v8, [1, 6, 2], 'yolov8'), logit);
    assert.throws(() => decode(v8, [1, 6, 2], 'yolov8', { ...opts, multiLabel: true }), logit);
    // rows: anchor 1's objectness, then its class score
    assert.throws(() => decode([50, 50, 10, 10, 0.9, 0.9, 0, 50, 50, 10, 10, 2.5, 0.9, 0], [1, 2, 7], 'yolov5'), logit);
    assert.throws(() => decode([50, 50, 10, 10, 0.9, 0.9, 0, 50, 50, 10, 10, 0.9, 2.5, 0], [1, 2, 7], 'yolov5'), logit);
    assert.throws(() => decode([0, 0, 10, 10, 0.9, 1, 0, 0, 10, 10, 2.5, 1], [1, 2, 6], 'end2end'), logit);
    // a quantized output may round a little over 1
    decode([50, 50, 10, 10, 1.004, 1.004], [1, 6, 1], 'yolov8');
    assert.deepStrictEqual([c.count, c.scores[0]], [1, Math.fround(1.004)]);
  });
  it('leaves out boxes of negative width or height (x2 left of x1), keeps zero-size ones', () => {
    const c = new Candidates();
    const kept = (data, dims, layout) => {
      decodeOutput(new Float32Array(data), dims, layout, 2, opts, c, new DecodeScratch());
      return Array.from(c.scores.subarray(0, c.count));
    };
    // channel-first, 3 anchors: w -20 (0.9), h -20 (0.8), w and h 0 (0.7)
    assert.deepStrictEqual(kept([50, 50, 50, 50, 50, 50, -20, 10, 0, 10, -20, 0, 0.9, 0.8, 0.7, 0, 0, 0], [1, 6, 3], 'yolov8'), [Math.fround(0.7)]);
    assert.deepStrictEqual(kept([50, 50, -10, 10, 0.9, 0.9, 0], [1, 1, 7], 'yolov5'), []);
    // end-to-end: x2 < x1, y2 < y1, then a good row
    assert.deepStrictEqual(kept([20, 0, 10, 10, 0.9, 1, 0, 20, 10, 10, 0.85, 1, 0, 0, 10, 10, 0.8, 1], [1, 3, 6], 'end2end'), [Math.fround(0.8)]);
  });
});

describe('NMS', () => {
  function cands(list) {
    const c = new Candidates();
    for (const [x1, y1, x2, y2, s, k] of list) c.push(x1, y1, x2, y2, s, k);
    return c;
  }
  const o = { iou: 0.5, agnostic: false, maxDetections: 300, maxCandidates: 30000 };
  it('suppresses overlapping boxes of the same class only, best first', () => {
    const c = cands([[0, 0, 10, 10, 0.8, 0], [1, 1, 11, 11, 0.9, 0], [1, 1, 11, 11, 0.7, 1], [50, 50, 60, 60, 0.6, 0]]);
    assert.deepStrictEqual(nms(c, o), [1, 2, 3]);
    assert.deepStrictEqual(nms(c, { ...o, agnostic: true }), [1, 3]);
    assert.deepStrictEqual(nms(c, { ...o, maxDetections: 2 }), [1, 2]);
  });
  it('keeps boxes whose IoU is exactly at the threshold (suppression needs IoU > threshold)', () => {
    // IoU of [0,0,10,10] and [0,0,10,5] is 0.5
    const c = cands([[0, 0, 10, 10, 0.9, 0], [0, 0, 10, 5, 0.8, 0]]);
    assert.deepStrictEqual(nms(c, o), [0, 1]);
  });
});

describe('mAP (Ultralytics-exact matching and 101-point AP)', () => {
  it('interpolates like numpy.interp', () => {
    assert.strictEqual(interp(0.5, [0, 1], [0, 10]), 5);
    assert.strictEqual(interp(-1, [0, 1], [3, 10]), 3);
    assert.strictEqual(interp(2, [0, 1], [3, 10]), 10);
    assert.strictEqual(interp(0.5, [0, 0.5, 0.5, 1], [1, 2, 3, 4]), 3);
  });
  it('integrates the precision envelope as Ultralytics does (a perfect ranking gives 0.995)', () => {
    // numpy.interp returns the last fp at x = 1, where the sentinel precision is 0: the last step is a ramp.
    assert.ok(Math.abs(averagePrecision([0.5, 1], [1, 1]) - 0.995) < 1e-9);
    // envelope 1 on [0, 0.5], then a ramp from 0.5 to 0 on [0.5, 1]: 0.5 + 0.125, trapezoids on a 0.01 grid
    const ap = averagePrecision([0.5, 0.5], [1, 0.5]);
    assert.ok(Math.abs(ap - 0.6225) < 1e-9, String(ap));
  });
  it('lets every label be matched once, by the highest-scoring prediction that picked it', () => {
    const labels = [{ classId: 0, box: box(0, 0, 10, 10) }];
    const preds = [
      { classId: 0, score: 0.9, box: box(0, 0, 10, 9) }, // IoU 0.9
      { classId: 0, score: 0.8, box: box(0, 0, 10, 10) }, // IoU 1.0 but lower score
      { classId: 1, score: 0.7, box: box(0, 0, 10, 10) }, // wrong class
    ];
    const m = matchPredictions(preds, labels);
    assert.deepStrictEqual(m.map((r) => r[0]), [true, false, false]);
    assert.deepStrictEqual(m[0].slice(-2), [true, false], 'IoU 0.9 passes the 0.90 threshold and fails 0.95');
  });
  it('averages AP over the classes that have labels (a missed class counts as 0)', () => {
    const records = [{ score: 0.9, classId: 0, correct: Array(10).fill(true) }];
    const m = computeMetrics(records, [0, 1], 1, 0.25);
    assert.ok(Math.abs(m.map50 - 0.995 / 2) < 1e-9);
    assert.deepStrictEqual(m.perClass.map((c) => c.classId), [0, 1]);
  });
});

describe('busy queue and rate gate', () => {
  it('drop-oldest keeps the newest frames and counts every drop', async () => {
    const seen = [];
    const dropped = [];
    let release;
    const q = new BusyQueue(async (x) => { seen.push(x); if (x === 0) await new Promise((r) => (release = r)); }, 'drop-oldest', 2);
    for (let i = 0; i < 6; i++) q.push({ item: i, discard: () => dropped.push(i) });
    release();
    await q.idle();
    assert.deepStrictEqual(seen, [0, 4, 5]);
    assert.deepStrictEqual(dropped, [1, 2, 3]);
    assert.deepStrictEqual(q.counters, { accepted: 6, dropped: 3, rejected: 0 });
  });
  it("queue refuses the new job as an error when full; drop-newest refuses it quietly", async () => {
    for (const policy of ['queue', 'drop-newest']) {
      const reasons = [];
      let release;
      const q = new BusyQueue(async () => new Promise((r) => (release = r)), policy, 1);
      for (let i = 0; i < 3; i++) q.push({ item: i, discard: (why) => reasons.push([i, why]) });
      assert.deepStrictEqual(reasons, [[2, policy === 'queue' ? 'rejected' : 'dropped']]);
      release();
      await new Promise((r) => setImmediate(r));
      release();
      await q.drain();
    }
  });
  it('drain (on close) discards what waits as closed, counted as dropped, and waits for what runs', async () => {
    const reasons = [];
    let release;
    const q = new BusyQueue(async () => new Promise((r) => (release = r)), 'queue', 5);
    for (let i = 0; i < 3; i++) q.push({ item: i, discard: (why) => reasons.push([i, why]) });
    const drained = q.drain();
    assert.deepStrictEqual(reasons, [[1, 'closed'], [2, 'closed']]);
    release();
    await drained;
    assert.deepStrictEqual(q.counters, { accepted: 3, dropped: 2, rejected: 0 });
  });
  it('admits frames no faster than maxFps and none while paused', () => {
    const g = new RateGate();
    g.apply({ maxFps: 10 });
    const admitted = [0, 50, 100, 150, 200].filter((t) => g.turnAway(t) === undefined);
    assert.deepStrictEqual(admitted, [0, 100, 200]);
    g.apply({ pause: true });
    assert.strictEqual(g.turnAway(1000), 'paused');
    g.apply({ pause: false, maxFps: 0 });
    assert.strictEqual(g.turnAway(1001), undefined);
    assert.deepStrictEqual([g.droppedByRate, g.droppedByPause], [2, 1]);
    assert.throws(() => parseControl({ maxFps: -1 }), /maxFps must be/); // checked before it reaches the gate
  });

  it("keeps each sender's limit until that sender lifts it: the lowest rate, no frames while any pauses, and a bounded count of senders", () => {
    const g = new RateGate();
    g.apply(parseControl({ maxFps: 4 }));
    g.apply(parseControl({ maxFps: 1, source: ' yolo-temperature ' }));
    assert.strictEqual(g.maxFps, 1);
    g.apply(parseControl({ pause: true }));
    g.apply(parseControl({ maxFps: 0, pause: false, source: 'yolo-temperature' })); // the guard's resume
    assert.deepStrictEqual([g.paused, g.pausedBy, g.maxFps], [true, ['flow'], 4]);
    g.apply(parseControl({ pause: false }));
    assert.deepStrictEqual([g.paused, g.maxFps], [false, 4], 'a pause alone leaves the rate of the same sender');
    for (const bad of ['', '  ', 5, ['flow'], 'x'.repeat(101)]) {
      assert.throws(() => parseControl({ pause: true, source: bad }), (e) => e.code === 'BAD_PAYLOAD' && /source must be the sender's name/.test(e.message), JSON.stringify(bad));
    }
    const many = new RateGate();
    for (let i = 0; i < 32; i++) many.apply({ pause: true, source: `s${i}` });
    assert.throws(() => many.apply({ pause: true, source: 's32' }), (e) => e.code === 'BAD_PAYLOAD' && /more than 32 sources/.test(e.message));
    many.apply({ pause: false, source: 's0' }); // a sender that lifts its limits leaves room
    many.apply({ pause: true, source: 's32' });
    assert.deepStrictEqual(many.pausedBy.length, 32);
  });

  it('takes maxFps as a number, a numeric string or null, and nothing else', () => {
    assert.deepStrictEqual([parseControl({ maxFps: 5 }), parseControl({ maxFps: ' 2.5 ' }), parseControl({ maxFps: null })], [{ maxFps: 5 }, { maxFps: 2.5 }, { maxFps: 0 }]);
    // Number() would read these as 0 (no limit) or as 5
    for (const v of ['', '  ', [], [5], true, { valueOf: () => 3 }, 'fast']) {
      assert.throws(() => parseControl({ maxFps: v }), (e) => e.code === 'BAD_PAYLOAD' && /maxFps must be a number >= 0/.test(e.message), JSON.stringify(v));
    }
  });
});
