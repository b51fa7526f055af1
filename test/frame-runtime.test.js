'use strict';
// The frame runtime both detecting nodes share, with a stand-in for the detection: closing, throttled status.
const assert = require('assert');
const path = require('path');
const { DIST } = require('./support/paths');
const { until } = require('./support/wait');

const { FrameRuntime } = require(path.join(DIST, 'nodes', 'shared', 'frame-runtime.js'));

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** A node that records its statuses, and a job that records how it ended. */
function fakeNode() {
  return { statuses: [], status(s) { this.statuses.push(s); } };
}
function job(seq) {
  const j = { msg: { payload: seq }, sent: [], ended: [] };
  j.send = (m) => j.sent.push(m);
  j.done = (err) => j.ended.push(err ?? 'ok');
  return j;
}
/** What a processed frame gives the runtime: the fields its msg gets, sent on the one output. */
const output = (results = {}) => ({ results, send: (m) => m, ms: 1, objects: 0 });

describe('frame runtime', function () {
  this.timeout(30000);

  it('closes within its wait when a frame hangs, and that frame then ends with CLOSED: not sent, no status', async () => {
    const node = fakeNode();
    let release;
    const hanging = new Promise((r) => { release = r; });
    const frames = new FrameRuntime(node, { busyPolicy: 'queue', queueSize: 10 }, () => hanging.then(() => output({ payload: 'late' })), () => ({ fill: 'green', text: 'ok' }));
    const j = job(1);
    frames.input(j);
    const t0 = Date.now();
    await frames.close();
    const waited = Date.now() - t0;
    assert.ok(waited >= 4500 && waited < 10000, `close waited ${waited} ms`);
    const before = node.statuses.length;
    release();
    await sleep(50);
    assert.deepStrictEqual(j.sent, []);
    assert.strictEqual(j.ended.length, 1);
    assert.strictEqual(j.ended[0].code, 'CLOSED');
    assert.strictEqual(node.statuses.length, before, 'no status after close');
  });

  it('writes a frame\'s results onto its msg only as it is sent: a frame that fails before (CLOSED, a send that throws) keeps the msg the flow sent', async () => {
    const node = fakeNode();
    let release;
    const hanging = new Promise((r) => { release = r; });
    const process = (j) => (j.msg.payload === 'held' ? hanging : Promise.resolve()).then(() => output({ payload: ['box'], detection: {} }));
    const frames = new FrameRuntime(node, { busyPolicy: 'queue', queueSize: 10 }, process, () => ({ fill: 'green', text: 'ok' }));
    const sent = job('image');
    const refused = job('image');
    refused.send = () => { throw new Error('send failed'); };
    frames.input(sent);
    frames.input(refused);
    await until(() => sent.ended.length && refused.ended.length, 'both frames ended');
    assert.deepStrictEqual([sent.sent, sent.ended], [[{ payload: ['box'], detection: {} }], ['ok']]);
    assert.deepStrictEqual(sent.msg, { payload: ['box'], detection: {} }, 'a Complete node gets the frame as it was sent');
    assert.deepStrictEqual([refused.ended[0].message, refused.msg], ['send failed', { payload: 'image' }]);
    const held = job('held');
    frames.input(held);
    await frames.close();
    release();
    await until(() => held.ended.length, 'the held frame ended');
    assert.deepStrictEqual([held.ended[0].code, held.msg], ['CLOSED', { payload: 'held' }]);
  });

  it('waits at close for the work the frames started (a comparison), within the same bound: a hung one does not hold close past it', async () => {
    const node = fakeNode();
    const frames = new FrameRuntime(node, { busyPolicy: 'queue', queueSize: 10 }, async () => output(), () => ({ fill: 'green', text: 'ok' }));
    frames.input(job(1));
    let finished = false;
    let t0 = Date.now();
    await frames.close(() => sleep(300).then(() => { finished = true; }));
    assert.ok(finished && Date.now() - t0 >= 250, 'close waited for the comparison');
    const hung = new FrameRuntime(node, { busyPolicy: 'queue', queueSize: 10 }, async () => output(), () => ({ fill: 'green', text: 'ok' }));
    t0 = Date.now();
    await hung.close(() => new Promise(() => undefined)); // a candidate waiting out its worker's restart backoff
    const waited = Date.now() - t0;
    assert.ok(waited >= 4500 && waited < 10000, `close waited ${waited} ms`);
  });

  it('ends the frames still waiting at close with CLOSED, so that a Catch node (an http-in flow\'s reply) hears of them', async () => {
    const node = fakeNode();
    let release;
    const slow = new Promise((r) => { release = r; });
    const frames = new FrameRuntime(node, { busyPolicy: 'queue', queueSize: 10 }, () => slow.then(() => output()), () => ({ fill: 'green', text: 'ok' }));
    const jobs = [1, 2, 3, 4, 5].map(job);
    for (const j of jobs) frames.input(j);
    const closing = frames.close();
    release();
    await closing;
    const waited = jobs.slice(2); // two run at once: the other three waited
    assert.ok(waited.every((j) => j.ended.length === 1 && j.ended[0].code === 'CLOSED' && j.sent.length === 0), JSON.stringify(waited.map((j) => j.ended)));
    assert.ok(jobs.slice(0, 2).every((j) => j.ended[0] === 'ok'), 'the frames in progress finish and are sent');
  });

  it('gives each msg the counters as it is sent: a frame that finishes before the one ahead of it counts that one too', async () => {
    const node = fakeNode();
    let releaseFirst;
    const first = new Promise((r) => { releaseFirst = r; });
    let frames;
    // frame 1 runs on a slow model, frame 2 on a fast one (a shadow test's frames either side of a promote)
    const process = async (j) => {
      if (j.msg.payload === 1) await first;
      const counters = frames.countersWithThis();
      return { ...output({ counters }), counters };
    };
    frames = new FrameRuntime(node, { busyPolicy: 'queue', queueSize: 10 }, process, () => ({ fill: 'green', text: 'ok' }));
    const jobs = [1, 2].map(job);
    for (const j of jobs) frames.input(j);
    await sleep(20); // frame 2 is processed, and waits for frame 1 to leave first
    releaseFirst();
    await frames.close();
    assert.deepStrictEqual(jobs.map((j) => j.sent.map((m) => [m.payload, m.counters.processed])), [[[1, 1]], [[2, 2]]]);
  });

  it('refuses a frame beyond a full queue with BUSY, counting in the queue size the user set', async () => {
    const node = fakeNode();
    let release;
    const slow = new Promise((r) => { release = r; });
    const frames = new FrameRuntime(node, { busyPolicy: 'queue', queueSize: 3 }, () => slow.then(() => output()), () => ({ fill: 'green', text: 'ok' }));
    const jobs = [1, 2, 3, 4, 5, 6].map(job);
    for (const j of jobs) frames.input(j);
    const refused = jobs[5].ended[0];
    assert.strictEqual(refused.code, 'BUSY');
    assert.strictEqual(refused.message, 'busy: queue full (3 of 3 waiting, 2 in progress); frame refused');
    release();
    await frames.close();
  });

  it('bounds what waiting frames hold: 1000 queued raw 1080p frames would be 6.2 GB; the queue stops at 512 MB', async () => {
    const limit = Math.min(512 * 2 ** 20, Math.floor(require('os').totalmem() / 8)); // an eighth on a small machine
    const pixels = Buffer.alloc(1920 * 1080 * 3); // one buffer for all: what counts is what each frame says it holds
    const raw = { width: 1920, height: 1080, channels: 3, data: pixels };
    const fits = Math.floor(limit / pixels.length);
    for (const policy of ['queue', 'drop-oldest']) {
      let release;
      const slow = new Promise((r) => { release = r; });
      const frames = new FrameRuntime(fakeNode(), { busyPolicy: policy, queueSize: 1000 }, () => slow.then(() => output()), () => ({ fill: 'green', text: 'ok' }));
      const jobs = Array.from({ length: 2 + fits + 3 }, (_, i) => ({ ...job(i), msg: { payload: i % 2 ? pixels : raw } }));
      for (const j of jobs) frames.input(j);
      assert.strictEqual(frames.queue.pending, 2 + fits, `${policy}: two in progress and the frames that fit waiting`);
      if (policy === 'queue') {
        const refused = jobs.slice(-3).map((j) => j.ended[0]);
        assert.ok(refused.every((e) => e.code === 'BUSY'), policy);
        assert.match(refused[0].message, new RegExp(`^busy: queue full \\(${fits} of 1000 waiting, holding \\d+ MB of the ${Math.round(limit / 2 ** 20)} MB frames may take, 2 in progress\\); frame refused$`));
      } else {
        assert.deepStrictEqual(jobs.slice(2, 5).map((j) => j.ended), [['ok'], ['ok'], ['ok']], 'the three oldest waiting dropped');
        assert.deepStrictEqual(jobs.slice(-3).map((j) => j.ended), [[], [], []], 'the newest wait');
      }
      release();
      await frames.close();
    }
    const { waitingBytesLimit } = require(path.join(DIST, 'lib', 'pipeline', 'busy-queue.js'));
    assert.strictEqual(waitingBytesLimit(4e9), 5e8, 'a 4 GB machine: an eighth');
  });

  it('sends a frame that finishes while close waits', async () => {
    const node = fakeNode();
    const frames = new FrameRuntime(node, { busyPolicy: 'queue', queueSize: 10 }, async () => { await sleep(200); return { ...output({ payload: 'done' }), ms: 200, objects: 1 }; }, () => ({ fill: 'green', text: 'ok' }));
    const j = job(1);
    frames.input(j);
    await frames.close();
    assert.deepStrictEqual([j.sent, j.ended], [[{ payload: 'done' }], ['ok']]);
  });

  it('shows the status the throttle held back at the end of its window, and none after close', async () => {
    const node = fakeNode();
    let n = 0;
    const frames = new FrameRuntime(node, { busyPolicy: 'queue', queueSize: 10 }, async () => output(), () => ({ fill: 'green', text: `status ${++n}` }));
    for (let i = 0; i < 5; i++) frames.input(job(i));
    await sleep(600);
    const texts = node.statuses.map((s) => s.text);
    assert.strictEqual(texts[texts.length - 1], `status ${n}`);
    assert.ok(texts.length <= 3, `throttled: ${texts.join(' | ')}`);
    frames.input(job(9));
    await sleep(10);
    const shown = node.statuses.length;
    await frames.close();
    await sleep(400);
    assert.strictEqual(node.statuses.length, shown, 'the held-back status is dropped at close');
  });

  it('keeps a failed frame\'s red status over control messages and dropped frames until a frame is sent', async () => {
    const node = fakeNode();
    let fail = true;
    const frames = new FrameRuntime(node, { busyPolicy: 'queue', queueSize: 10 }, async () => {
      if (fail) throw Object.assign(new Error('not a readable image'), { code: 'BAD_IMAGE' });
      return output();
    }, () => ({ fill: 'green', text: 'running' }));
    const control = (payload) => { const j = job(0); j.msg = { topic: 'yolo-edge/control', payload }; frames.input(j); };
    control({ maxFps: 2 });
    frames.input(job(1)); // admitted, fails
    await sleep(20);
    for (let i = 0; i < 3; i++) frames.input(job(2 + i)); // over the rate: dropped
    await sleep(400); // past the throttle's window
    control({ maxFps: 2 });
    const last = () => node.statuses[node.statuses.length - 1];
    assert.deepStrictEqual([last().fill, last().text], ['red', 'not a readable image · 3 dropped']);
    fail = false;
    await sleep(600);
    const good = job(9);
    frames.input(good);
    await sleep(20);
    assert.deepStrictEqual(good.ended, ['ok']);
    assert.deepStrictEqual([last().fill, last().text], ['green', 'running · 3 dropped'], 'a sent frame clears it at once');
    await frames.close();
  });

  it('holds the node\'s own state (model not loaded) over control messages; a state not held gives way', async () => {
    const node = fakeNode();
    const frames = new FrameRuntime(node, { busyPolicy: 'queue', queueSize: 10 }, async () => output(), () => ({ fill: 'green', text: 'running' }));
    const control = (payload) => { const j = job(0); j.msg = { topic: 'yolo-edge/control', payload }; frames.input(j); };
    frames.showState({ fill: 'red', shape: 'ring', text: 'model file not found' }, true);
    control({ pause: true });
    assert.strictEqual(node.statuses[node.statuses.length - 1].text, 'paused by flow', 'a pause shows, and by whom');
    control({ pause: false, maxFps: 0 });
    assert.strictEqual(node.statuses[node.statuses.length - 1].text, 'model file not found', 'and the state shows again after it');
    frames.showState({ fill: 'grey', shape: 'dot', text: 'ready' }, false);
    control({ maxFps: 5 });
    assert.strictEqual(node.statuses[node.statuses.length - 1].text, 'running');
    await frames.close();
  });
  it('shows a restarting worker\'s reason as a failed restart\'s: a path by its file name, cut to the badge\'s width', async () => {
    const node = fakeNode();
    const frames = new FrameRuntime(node, { busyPolicy: 'queue', queueSize: 10 }, async () => output(), () => ({ fill: 'green', text: 'running' }));
    let emit;
    frames.watch({ onState: (f) => { emit = f; return () => {}; } });
    const reason = `could not read /home/pi/.node-red/models/line-3/${'x'.repeat(2000)}.onnx`;
    emit({ state: 'restarting', reason, inMs: 1000 });
    const text = node.statuses[node.statuses.length - 1].text;
    assert.match(text, /^model worker restarting in 1\.0 s \(could not read …\/x+…\)$/);
    assert.ok(text.length < 120, `${text.length} characters`);
    await frames.close();
  });
});
