'use strict';
// The folder reader over hostile folders: broken files warn once each and a pass without a frame is an error.
const assert = require('assert');
const fs = require('fs');
const path = require('path');
const { lib, cocoImage } = require('./support/paths');
const fx = require('./support/fixtures');
const { makeFrames } = require('./support/jpeg-fixtures');
const { until } = require('./support/wait');
const { FolderReader } = lib('camera/folder-source');
const { PollingSource } = lib('camera/polling-source');
const { MAX_WAITING_REQUESTS } = lib('camera/latest-frame');
const { DEFAULT_SUPERVISION } = lib('camera/source');
const { Camera } = lib('camera/camera');
const { parseCameraConfig } = lib('camera/config');

describe('folder camera reader', () => {
  let dir;
  beforeEach(() => { dir = fx.tmpDir('yolo-edge-folder-'); });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('looping over broken JPEGs warns once per file and fails each pass instead of spinning', async () => {
    for (const n of ['a.jpg', 'b.jpg', 'c.jpg']) fs.writeFileSync(path.join(dir, n), 'not a jpeg at all');
    const old = new Date(Date.now() - 60000);
    for (const n of ['a.jpg', 'b.jpg', 'c.jpg']) fs.utimesSync(path.join(dir, n), old, old);
    const warnings = [];
    const r = new FolderReader(dir, { loop: true, watch: false, maxFrameBytes: 1e6 }, (m) => warnings.push(m));
    for (let pass = 0; pass < 5; pass++) {
      await assert.rejects(r.next(), (e) => e.code === 'NO_FRAME' && /no readable JPEG in .*: 3 file\(s\) skipped/.test(e.message));
    }
    assert.deepStrictEqual(warnings, ['skipped a.jpg: not a whole JPEG', 'skipped b.jpg: not a whole JPEG', 'skipped c.jpg: not a whole JPEG']);
  });

  it('a looped folder emptied while read fails NO_IMAGES (shown and retried) instead of ending; files put back are read from the first', async () => {
    const frames = await makeFrames(2);
    const old = new Date(Date.now() - 60000);
    const put = () => ['a.jpg', 'b.jpg'].forEach((n, i) => {
      fs.writeFileSync(path.join(dir, n), frames[i]);
      fs.utimesSync(path.join(dir, n), old, old);
    });
    put();
    const r = new FolderReader(dir, { loop: true, watch: false, maxFrameBytes: 1e6 }, () => {});
    assert.strictEqual((await r.next()).origin, 'a.jpg');
    assert.strictEqual((await r.next()).origin, 'b.jpg');
    for (const n of ['a.jpg', 'b.jpg']) fs.unlinkSync(path.join(dir, n));
    for (let i = 0; i < 3; i++) await assert.rejects(r.next(), (e) => e.code === 'NO_IMAGES' && e.message === `no JPEG files in ${dir}`);
    put();
    assert.strictEqual((await r.next()).origin, 'a.jpg');
    assert.strictEqual((await r.next()).origin, 'b.jpg');
    assert.strictEqual((await r.next()).origin, 'a.jpg', 'still looping');
  });

  it('a folder whose only file is oversize fails the pass too; a symlinked JPEG is read', async () => {
    fs.writeFileSync(path.join(dir, 'big.jpg'), Buffer.alloc(2000));
    const r = new FolderReader(dir, { loop: true, watch: false, maxFrameBytes: 1000 }, () => {});
    await assert.rejects(r.next(), (e) => e.code === 'NO_FRAME');
    fs.symlinkSync(cocoImage('000000000034.jpg'), path.join(dir, 'zebra.jpg'));
    const old = new Date(Date.now() - 60000); // settled: not a file still being written
    fs.utimesSync(path.join(dir, 'big.jpg'), old, old);
    const got = await new FolderReader(dir, { loop: false, watch: false, maxFrameBytes: 1e6 }, () => {}).next();
    assert.strictEqual(got.origin, 'zebra.jpg');
    assert.ok(got.jpeg.equals(fs.readFileSync(cocoImage('000000000034.jpg'))));
  });

  it('a watched folder that grew for months: looking for new files does not hold the event loop to list and sort them all', async function () {
    this.timeout(120000);
    const n = 30000;
    const names = [];
    for (let i = 0; i < n; i++) names.push(`cam-${i}.jpg`);
    for (const name of names) fs.writeFileSync(path.join(dir, name), '');
    const [frame] = await makeFrames(1);
    const newest = `cam-${n}.jpg`;
    fs.writeFileSync(path.join(dir, newest), frame);
    fs.utimesSync(path.join(dir, newest), new Date(Date.now() - 60000), new Date(Date.now() - 60000));
    // The event loop thread's own CPU time: a span of work it did without turning, whatever else runs on the machine.
    if (typeof process.threadCpuUsage !== 'function') return; // Node < 23.9: the newest file was found, as checked below
    const cpuMs = () => { const u = process.threadCpuUsage(); return (u.user + u.system) / 1000; };
    // What listing and sorting every name at once costs this thread.
    const collator = new Intl.Collator('en', { numeric: true });
    let t = cpuMs();
    fs.readdirSync(dir, { withFileTypes: true }).filter((e) => e.isFile()).map((e) => e.name).sort(collator.compare);
    const allAtOnceMs = cpuMs() - t;
    // A reader that has read up to the last file but one: the next look lists the folder and finds the newest.
    const r = new FolderReader(dir, { loop: false, watch: true, maxFrameBytes: 1e6 }, () => {});
    r.last = names[n - 1];
    r.files = [];
    let longest = 0;
    let running = true;
    t = cpuMs();
    const tick = () => {
      const now = cpuMs();
      longest = Math.max(longest, now - t);
      t = now;
      if (running) setImmediate(tick);
    };
    setImmediate(tick);
    const got = await r.next();
    running = false;
    assert.strictEqual(got.origin, newest);
    assert.ok(longest < allAtOnceMs / 3, `the event loop worked ${longest.toFixed(1)} ms without turning; listing and sorting all ${n} names takes ${allAtOnceMs.toFixed(1)} ms`);
  });

  /** Calls next() every 20 ms (as a polling source would, faster) until it gives a frame or timeoutMs passes. */
  async function poll(r, timeoutMs) {
    const t0 = Date.now();
    while (Date.now() - t0 < timeoutMs) {
      const got = await r.next();
      if (got !== 'wait') return got;
      await new Promise((res) => setTimeout(res, 20));
    }
    return 'wait';
  }

  it('watched folder: a file caught half-written and left so past the settle time is read again once it is whole', async () => {
    const [a, b, c] = await makeFrames(3);
    fs.writeFileSync(path.join(dir, 'a.jpg'), a);
    fs.writeFileSync(path.join(dir, 'b.jpg'), b.subarray(0, b.length >> 1));
    const old = new Date(Date.now() - 60000); // a writer that stalled: the half file looks settled
    fs.utimesSync(path.join(dir, 'b.jpg'), old, old);
    const warnings = [];
    const r = new FolderReader(dir, { loop: false, watch: true, maxFrameBytes: 1e6, settleMs: 100 }, (m) => warnings.push(m));
    assert.strictEqual((await r.next()).origin, 'a.jpg');
    assert.strictEqual(await r.next(), 'wait', 'b.jpg is not whole yet');
    fs.writeFileSync(path.join(dir, 'c.jpg'), c);
    assert.strictEqual((await poll(r, 3000)).origin, 'c.jpg', 'later files are not held up');
    fs.writeFileSync(path.join(dir, 'b.jpg'), b); // the writer finishes
    const got = await poll(r, 5000);
    assert.strictEqual(got.origin, 'b.jpg', 'the completed file is read');
    assert.ok(got.jpeg.equals(b));
    assert.deepStrictEqual(warnings, []);
    assert.strictEqual(r.skipped, 0);
  });

  it('a broken file with an mtime in the future (copied from a machine whose clock is ahead) does not hold the folder for good', async () => {
    const [jpeg] = await makeFrames(1);
    fs.writeFileSync(path.join(dir, 'a.jpg'), 'half a jpeg');
    const ahead = new Date(Date.now() + 86400000);
    fs.utimesSync(path.join(dir, 'a.jpg'), ahead, ahead);
    fs.writeFileSync(path.join(dir, 'b.jpg'), jpeg);
    fs.utimesSync(path.join(dir, 'b.jpg'), ahead, ahead);
    for (const options of [{ loop: false, watch: false }, { loop: false, watch: true }]) {
      const warnings = [];
      const r = new FolderReader(dir, { ...options, maxFrameBytes: 1e6, settleMs: 200 }, (m) => warnings.push(m));
      assert.strictEqual(await r.next(), 'wait', 'waited for at first: its writer may be at work');
      const got = await poll(r, 3000);
      assert.strictEqual(got.origin, 'b.jpg', JSON.stringify(options));
      if (!options.watch) assert.deepStrictEqual(warnings, ['skipped a.jpg: not a whole JPEG']);
    }
  });

  it('a hidden name (.frame.jpg, a writer at work) is never read; the file is read once renamed', async () => {
    const [a, b] = await makeFrames(2);
    fs.writeFileSync(path.join(dir, 'a.jpg'), a);
    fs.writeFileSync(path.join(dir, '.b.jpg'), b);
    const r = new FolderReader(dir, { loop: false, watch: true, maxFrameBytes: 1e6, settleMs: 100 }, () => {});
    assert.strictEqual((await r.next()).origin, 'a.jpg');
    assert.strictEqual(await r.next(), 'wait', 'the hidden file is not read');
    fs.renameSync(path.join(dir, '.b.jpg'), path.join(dir, 'b.jpg'));
    const got = await poll(r, 3000);
    assert.strictEqual(got.origin, 'b.jpg');
  });

  it('watched folder: a file that stays broken is looked at again a bounded number of times, spaced out, then given up with a warning', async () => {
    fs.writeFileSync(path.join(dir, 'bad.jpg'), 'never a jpeg');
    const old = new Date(Date.now() - 60000);
    fs.utimesSync(path.join(dir, 'bad.jpg'), old, old);
    const warnings = [];
    const r = new FolderReader(dir, { loop: false, watch: true, maxFrameBytes: 1e6, settleMs: 100 }, (m) => warnings.push(m));
    const promises = require('fs').promises;
    const readFile = promises.readFile;
    let reads = 0;
    promises.readFile = (...args) => {
      if (String(args[0]).endsWith('bad.jpg')) reads++;
      return readFile.apply(promises, args);
    };
    try {
      const t0 = Date.now();
      assert.strictEqual(await poll(r, 3000), 'wait');
      assert.strictEqual(warnings.length, 1, warnings.join(' | '));
      assert.match(warnings[0], /^skipped bad\.jpg: not a whole JPEG.*rename/);
      assert.strictEqual(r.skipped, 1, 'counted once given up');
      assert.ok(reads >= 2 && reads <= 10, `read ${reads} times in ${Date.now() - t0} ms of calls every 20 ms`);
      const given = reads;
      assert.strictEqual(await poll(r, 500), 'wait');
      assert.strictEqual(reads, given, 'not read again once given up');
    } finally {
      promises.readFile = readFile;
    }
  });

  it('honours the abort signal: nothing read once the source stopped', async () => {
    fs.writeFileSync(path.join(dir, 'a.jpg'), (await makeFrames(1))[0]);
    const r = new FolderReader(dir, { loop: true, watch: false, maxFrameBytes: 1e6 }, () => {});
    const abort = new AbortController();
    abort.abort();
    await assert.rejects(r.next(abort.signal), (e) => e.code === 'STOPPED');
    const live = new AbortController();
    const reading = r.next(live.signal);
    live.abort();
    await assert.rejects(reading, (e) => e.code === 'STOPPED', 'a read that ends after the abort is not handed out');
    assert.strictEqual((await r.next(new AbortController().signal)).origin, 'a.jpg', 'the file not handed out is read again');
  });
});

describe('folder camera in trigger mode', () => {
  let dir;
  beforeEach(() => { dir = fx.tmpDir('yolo-edge-folder-'); });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('after stop a request fetches nothing and fails STOPPED, the status stays stopped; start makes requests work again', async () => {
    const jpegs = await makeFrames(2);
    jpegs.forEach((j, i) => fs.writeFileSync(path.join(dir, `f${i}.jpg`), j));
    const statuses = [];
    const camera = new Camera(parseCameraConfig({ source: 'folder', folder: dir, mode: 'trigger' }, {}), { frame: () => {}, status: (s) => statuses.push(s.text), warn: () => {} });
    camera.open();
    try {
      assert.strictEqual((await camera.capture()).info.file, 'f0.jpg');
      await camera.command('stop');
      await assert.rejects(camera.capture(), (e) => e.code === 'STOPPED' && /stopped.*start/.test(e.message));
      assert.match(statuses.at(-1), /^stopped/);
      assert.strictEqual(camera.counters.captured, 1, 'nothing fetched after stop');
      await camera.command('start');
      assert.strictEqual((await camera.capture()).info.file, 'f1.jpg', 'the folder goes on where it was');
    } finally {
      await camera.close();
    }
  });
});

describe('folder camera read to its end (no loop, no watch)', () => {
  let dir;
  beforeEach(() => { dir = fx.tmpDir('yolo-edge-folder-'); });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('continuous: start reads the folder again from its first file, as a redeploy does', async () => {
    const jpegs = await makeFrames(2);
    jpegs.forEach((j, i) => fs.writeFileSync(path.join(dir, `f${i}.jpg`), j));
    const files = [];
    const statuses = [];
    const camera = new Camera(parseCameraConfig({ source: 'folder', folder: dir, fps: 50 }, {}), { frame: (_j, info) => files.push(info.file), status: (s) => statuses.push(s.text), warn: () => {} });
    camera.open();
    try {
      await until(() => /^no more images/.test(statuses.at(-1)), 'the end of the folder', 5000);
      await camera.command('start');
      await until(() => files.length === 4 && /^no more images/.test(statuses.at(-1)), 'the folder read again', 5000);
      assert.deepStrictEqual(files, ['f0.jpg', 'f1.jpg', 'f0.jpg', 'f1.jpg']);
    } finally {
      await camera.close();
    }
  });

  it('one frame per message: after "no more images", start makes the next request read the first file again', async () => {
    const [jpeg] = await makeFrames(1);
    fs.writeFileSync(path.join(dir, 'f0.jpg'), jpeg);
    const statuses = [];
    const camera = new Camera(parseCameraConfig({ source: 'folder', folder: dir, mode: 'trigger' }, {}), { frame: () => {}, status: (s) => statuses.push(s.text), warn: () => {} });
    camera.open();
    try {
      assert.strictEqual((await camera.capture()).info.file, 'f0.jpg');
      await assert.rejects(camera.capture(), (e) => e.code === 'NO_FRAME' && /no more images/.test(e.message));
      await assert.rejects(camera.capture(), (e) => e.code === 'NO_FRAME', 'a request alone does not start over');
      await camera.command('start');
      assert.match(statuses.at(-1), /^ready/, 'the status no longer says the folder ended');
      assert.strictEqual((await camera.capture()).info.file, 'f0.jpg');
    } finally {
      await camera.close();
    }
  });
});

describe('folder camera in trigger mode without start on deploy', () => {
  let dir;
  beforeEach(() => { dir = fx.tmpDir('yolo-edge-folder-'); });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('the first request starts the camera: the status shows it ready, then that the folder has no more images', async () => {
    const [jpeg] = await makeFrames(1);
    fs.writeFileSync(path.join(dir, 'f0.jpg'), jpeg);
    const statuses = [];
    const camera = new Camera(parseCameraConfig({ source: 'folder', folder: dir, mode: 'trigger', autostart: false }, {}), { frame: () => {}, status: (s) => statuses.push(s), warn: () => {} });
    camera.open();
    try {
      assert.strictEqual(statuses.at(-1).text, 'stopped');
      fs.renameSync(path.join(dir, 'f0.jpg'), path.join(dir, 'f0.tmp'));
      await assert.rejects(camera.capture(), (e) => e.code === 'NO_IMAGES');
      assert.deepStrictEqual(statuses.at(-1), { fill: 'red', shape: 'ring', text: `no JPEG files in ${dir}` }, 'a failed request shows why');
      fs.renameSync(path.join(dir, 'f0.tmp'), path.join(dir, 'f0.jpg'));
      assert.strictEqual((await camera.capture()).info.file, 'f0.jpg');
      await until(() => statuses.at(-1).text === 'ready · captured 1 · sent 1 · dropped 0', 'the ready status with the frame counted', 5000);
      assert.deepStrictEqual(statuses.at(-1), { fill: 'green', shape: 'dot', text: 'ready · captured 1 · sent 1 · dropped 0' });
      await assert.rejects(camera.capture(), (e) => e.code === 'NO_FRAME' && /no more images/.test(e.message));
      assert.deepStrictEqual(statuses.at(-1), { fill: 'grey', shape: 'dot', text: 'no more images · captured 1 · sent 1 · dropped 0' }, 'as in continuous mode');
    } finally {
      await camera.close();
    }
  });
});

describe('folder camera with a missing folder', () => {
  const missing = path.join(require('os').tmpdir(), 'yolo-edge-no-such-folder', 'frames');

  it('says in plain words which folder is missing: in the status, the log and the error a request gets', async () => {
    const statuses = [];
    const warnings = [];
    const output = { frame: () => {}, status: (s) => statuses.push(s.text), warn: (m) => warnings.push(m) };
    const continuous = new Camera(parseCameraConfig({ source: 'folder', folder: missing, retryMin: 5 }, {}), output);
    continuous.open();
    try {
      await new Promise((r) => setTimeout(r, 300));
      const plain = `folder ${missing} does not exist`;
      assert.ok(statuses.some((t) => t.startsWith(plain)), statuses.join(' | '));
      assert.ok(warnings.some((w) => w.startsWith(plain)), warnings.join(' | '));
      assert.ok(![...statuses, ...warnings].some((t) => /ENOENT/.test(t)), 'no bare errno code');
    } finally {
      await continuous.close();
    }
    const trigger = new Camera(parseCameraConfig({ source: 'folder', folder: missing, mode: 'trigger' }, {}), output);
    trigger.open();
    try {
      await assert.rejects(trigger.capture(), (e) => e.code === 'NO_FOLDER' && e.message === `folder ${missing} does not exist`);
    } finally {
      await trigger.close();
    }
  });

  it('a path that is a file, not a folder, says so; so does a file in the folder\'s path', async () => {
    const file = path.join(fx.tmpDir('yolo-edge-folder-'), 'a.jpg');
    fs.writeFileSync(file, 'x');
    try {
      const r = new FolderReader(file, { loop: false, watch: false, maxFrameBytes: 1e6 });
      await assert.rejects(r.next(), (e) => e.code === 'NO_FOLDER' && e.message === `${file} is a file, not a folder`);
      const below = path.join(file, 'frames');
      const under = new FolderReader(below, { loop: false, watch: false, maxFrameBytes: 1e6 });
      await assert.rejects(under.next(), (e) => e.code === 'NO_FOLDER' && e.message === `${below} cannot be a folder: a part of its path is a file`);
    } finally {
      fs.rmSync(path.dirname(file), { recursive: true, force: true });
    }
  });
});

describe('polling source (snapshot, folder) on request', function () {
  this.timeout(10000);
  const events = { frame: () => {}, state: () => {}, warn: () => {} };

  /** A puller whose fetches end only when released (or aborted); counts the fetches it started. */
  function slowPuller() {
    const p = { started: 0, pending: [] };
    p.next = (signal) => {
      p.started++;
      return new Promise((resolve, reject) => {
        p.pending.push(() => resolve({ jpeg: Buffer.from([p.started]) }));
        signal.addEventListener('abort', () => reject(Object.assign(new Error('aborted'), { code: 'STOPPED' })), { once: true });
      });
    };
    p.releaseOne = () => p.pending.shift()?.();
    return p;
  }

  it('answers BUSY beyond the waiting requests a stream allows, at once', async () => {
    const puller = slowPuller();
    const source = new PollingSource('fake', puller, 100, events, DEFAULT_SUPERVISION);
    const accepted = Array.from({ length: MAX_WAITING_REQUESTS }, () => source.pull());
    await assert.rejects(source.pull(), (e) => e.code === 'BUSY' && /16 capture requests are already waiting/.test(e.message));
    for (let i = 0; i < MAX_WAITING_REQUESTS; i++) {
      await new Promise((r) => setImmediate(r));
      puller.releaseOne();
    }
    assert.strictEqual((await Promise.all(accepted)).length, MAX_WAITING_REQUESTS);
    const again = source.pull();
    await new Promise((r) => setImmediate(r));
    puller.releaseOne();
    assert.ok(Buffer.isBuffer((await again).jpeg), 'answered requests make room again');
  });

  it('stop fails queued requests without fetching them and does not wait for them', async () => {
    const puller = slowPuller();
    const source = new PollingSource('fake', puller, 100, events, DEFAULT_SUPERVISION);
    const results = Array.from({ length: 10 }, () => source.pull().then(() => 'sent', (e) => e.code));
    await new Promise((r) => setImmediate(r));
    assert.strictEqual(puller.started, 1, 'one fetch at a time');
    await source.stop();
    assert.deepStrictEqual(await Promise.all(results), Array(10).fill('STOPPED'));
    assert.strictEqual(puller.started, 1, 'the queued requests were never fetched');
  });
});

describe('camera node in continuous mode', function () {
  this.timeout(30000);
  const helper = require('node-red-node-test-helper');
  const { DIST } = require('./support/paths');
  const cameraNode = require(path.join(DIST, 'nodes', 'yolo-camera.js'));
  helper.init(require.resolve('node-red'));
  let dir;
  beforeEach((done) => { dir = fx.tmpDir('yolo-edge-folder-'); helper.startServer(done); });
  afterEach(async () => {
    await helper.unload();
    await new Promise((r) => helper.stopServer(r));
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('a message without msg.command asks for no frame: it fails with BAD_COMMAND (as the help and the README say) and the stream goes on', async () => {
    const [jpeg] = await makeFrames(1);
    fs.writeFileSync(path.join(dir, 'f0.jpg'), jpeg);
    await helper.load(cameraNode, [{ id: 'cam', type: 'yolo-camera', source: 'folder', folder: dir, loop: true, fps: 20, wires: [['out']] }, { id: 'out', type: 'helper' }]);
    const frames = [];
    helper.getNode('out').on('input', (m) => frames.push(m));
    const errors = [];
    const cam = helper.getNode('cam');
    cam.error = (err) => errors.push(err);
    cam.receive({ payload: 1764932400000 }); // an inject node's timestamp
    await until(() => errors.length === 1 && frames.length >= 3, 'the error, and frames still coming', 10000);
    assert.strictEqual(errors[0].code, 'BAD_COMMAND');
    assert.match(errors[0].message, /^continuous mode: send msg\.command start, stop, pause or resume/);
  });
});
