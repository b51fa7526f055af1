'use strict';
// When a capture run is restarted, and when it must not be. stop and start in quick succession (two inject nodes,
// a flow that restarts the camera): the new run must not race the old one for the camera, and the late end of the
// stop must not overwrite the state of the new start. A camera slower than the stall timeout is not stuck.
const assert = require('assert');
const fs = require('fs');
const path = require('path');
const { DIST } = require('./support/paths');
const { makeFrames } = require('./support/jpeg-fixtures');
const { makeFakeDir, processesMentioning } = require('./support/camera-fakes');
const { until } = require('./support/wait');

const { ProcessSource } = require(path.join(DIST, 'lib', 'camera', 'process-source.js'));
const { PollingSource } = require(path.join(DIST, 'lib', 'camera', 'polling-source.js'));
const { DEFAULT_SUPERVISION } = require(path.join(DIST, 'lib', 'camera', 'source.js'));
const { Camera } = require(path.join(DIST, 'lib', 'camera', 'camera.js'));
const { parseCameraConfig } = require(path.join(DIST, 'lib', 'camera', 'config.js'));

const supervision = { ...DEFAULT_SUPERVISION, retryMinMs: 1000, retryMaxMs: 1000, stallMs: 5000 };

function recorder() {
  const got = { frames: 0, states: [], warnings: [] };
  got.events = { frame: () => got.frames++, state: (s) => got.states.push(s.kind), warn: (m) => got.warnings.push(m) };
  return got;
}

describe('camera: when a capture run is restarted', function () {
  this.timeout(20000);
  let dir;
  before(() => {
    dir = makeFakeDir('yolo-camera-restart-');
  });
  after(() => {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('stop then start at once, with a program that holds the camera until it has exited: the new run waits for it, no "camera busy" failure', async () => {
    fs.writeFileSync(path.join(dir, 'frame.jpg'), (await makeFrames(1, 64, 48))[0]);
    // Like libcamera: one process at a time may hold the camera, and releasing it takes a moment after SIGTERM.
    const program = path.join(dir, 'bin', 'one-at-a-time-cam');
    const lock = path.join(dir, 'camera.lock');
    fs.writeFileSync(
      program,
      `#!/bin/bash\nif ! mkdir '${lock}' 2>/dev/null; then echo 'ERROR: *** failed to acquire camera ***' >&2; exit 255; fi\n` +
        `trap "sleep 0.3; rmdir '${lock}'; exit 0" TERM\nwhile :; do cat '${path.join(dir, 'frame.jpg')}'; sleep 0.02 & wait $!; done\n`,
    );
    fs.chmodSync(program, 0o755);
    const got = recorder();
    const src = new ProcessSource('cam', { commands: [program], args: [] }, got.events, supervision);
    try {
      src.start();
      await until(() => got.frames >= 3, 'frames of the first run', 5000);
      const stopped = src.stop();
      src.start();
      await stopped;
      const before = got.frames;
      await until(() => got.frames >= before + 3, 'frames of the run started right after stop', 5000);
      assert.deepStrictEqual(got.warnings, [], 'no run failed');
      assert.ok(!got.states.includes('retrying'), `states: ${got.states.join(', ')}`);
      assert.strictEqual(got.states.at(-1), 'running');
      assert.ok(!got.states.includes('stopped'), 'the stop that a start followed does not show as stopped');
    } finally {
      await src.stop();
    }
    assert.strictEqual(got.states.at(-1), 'stopped');
    assert.ok(!fs.existsSync(lock), 'the camera was released');
    assert.deepStrictEqual(processesMentioning(dir), []);
  });

  it('stop then start at once on a polling source whose fetch is in flight: the start keeps its own state', async () => {
    const got = recorder();
    const [jpeg] = await makeFrames(1, 32, 24);
    let started = 0;
    // A fetch that finishes its work (a file read) before it looks at the signal.
    const puller = {
      next: () => {
        const first = ++started === 1;
        return new Promise((resolve) => setTimeout(() => resolve(first ? { jpeg } : 'wait'), 100));
      },
    };
    const src = new PollingSource('poll', puller, 50, got.events, supervision);
    try {
      src.start();
      await until(() => got.frames === 1, 'the first frame', 5000);
      await until(() => started === 2, 'the second fetch in flight', 5000);
      const stopped = src.stop();
      src.start();
      await stopped;
      assert.deepStrictEqual(got.states, ['starting', 'running', 'starting']);
    } finally {
      await src.stop();
    }
  });

  it('a camera asked for fewer frames than the stall timeout allows is not restarted between its frames', async () => {
    fs.writeFileSync(path.join(dir, 'frame.jpg'), (await makeFrames(1, 64, 48))[0]);
    // Like rpicam-vid: one frame at start, then one per 1/--framerate seconds.
    const program = path.join(dir, 'bin', 'slow-cam');
    fs.writeFileSync(
      program,
      `#!/bin/bash\nwhile [ $# -gt 0 ]; do [ "$1" = --framerate ] && FR=$2; shift; done\n` +
        `while :; do cat '${path.join(dir, 'frame.jpg')}'; sleep $(echo "1/$FR" | bc -l) & wait $!; done\n`,
    );
    fs.chmodSync(program, 0o755);
    const got = { frames: 0, statuses: [], warnings: [] };
    // 2 fps: a frame every 500 ms, with a stall timeout of 200 ms
    const config = parseCameraConfig({ source: 'rpicam', command: program, fps: 2, stallTimeout: 0.2, retryMin: 0.05 });
    const cam = new Camera(config, { frame: () => got.frames++, status: (s) => got.statuses.push(s), warn: (m) => got.warnings.push(m) });
    cam.open();
    try {
      await until(() => got.frames >= 4, 'four frames', 10000);
    } finally {
      await cam.close();
    }
    assert.deepStrictEqual(got.warnings, []);
    assert.ok(!got.statuses.some((s) => s.fill === 'red'), got.statuses.map((s) => s.text).join('\n'));
    assert.deepStrictEqual(processesMentioning(dir), []);
  });

  it('the wall clock set back an hour, or forward, while frames flow: frames keep leaving at the target fps, no false stall', async () => {
    const frame = (await makeFrames(1, 64, 48))[0];
    fs.writeFileSync(path.join(dir, 'frame.jpg'), frame);
    const program = path.join(dir, 'bin', 'steady-cam');
    fs.writeFileSync(program, `#!/bin/bash\nwhile :; do cat '${path.join(dir, 'frame.jpg')}'; sleep 0.05 & wait $!; done\n`);
    fs.chmodSync(program, 0o755);
    const folder = path.join(dir, 'folder');
    fs.mkdirSync(folder, { recursive: true });
    fs.writeFileSync(path.join(folder, 'a.jpg'), frame);
    const old = new Date(Date.now() - 60000);
    fs.utimesSync(path.join(folder, 'a.jpg'), old, old);
    const realNow = Date.now;
    let offset = 0;
    Date.now = () => realNow() + offset;
    try {
      // a stream (paced by the camera node) and a folder (fetched at the target rate), both at 10 fps
      for (const raw of [{ source: 'rpicam', command: program }, { source: 'folder', folder, loop: true }]) {
        for (const jump of [-3600000, 3600000]) {
          offset = 0;
          const got = { frames: 0, statuses: [], warnings: [] };
          const cam = new Camera(parseCameraConfig({ ...raw, fps: 10, stallTimeout: 1, retryMin: 0.05 }), { frame: () => got.frames++, status: (s) => got.statuses.push(s), warn: (m) => got.warnings.push(m) });
          cam.open();
          try {
            await until(() => got.frames >= 3, 'frames before the clock moved', 5000);
            offset = jump;
            const before = got.frames;
            await new Promise((r) => setTimeout(r, 1500));
            const where = `${raw.source}, clock moved ${jump / 3600000} h`;
            assert.ok(got.frames - before >= 5, `${where}: ${got.frames - before} frames in the 1.5 s after`);
            assert.deepStrictEqual(got.warnings, [], where);
            assert.ok(!got.statuses.some((s) => s.fill === 'red'), `${where}: ${got.statuses.map((s) => s.text).join('; ')}`);
          } finally {
            await cam.close();
          }
        }
      }
    } finally {
      Date.now = realNow;
    }
    assert.deepStrictEqual(processesMentioning(dir), []);
  });

  it('trigger mode: a request while the capture program keeps failing fails with the reason, not only "no frame"', async () => {
    const missing = path.join(dir, 'bin', 'no-such-rpicam-vid');
    const config = parseCameraConfig({ source: 'rpicam', command: missing, mode: 'trigger', stallTimeout: 0.5, retryMin: 0.1 });
    const cam = new Camera(config, { frame() {}, status() {}, warn() {} });
    cam.open();
    try {
      await assert.rejects(cam.capture(), (e) => {
        assert.strictEqual(e.code, 'NO_FRAME');
        assert.match(e.message, new RegExp(`^no frame within 0\\.5 s \\(${missing.replace(/[.]/g, '\\.')} not found; retry in [0-9.]+ s\\)$`));
        return true;
      });
    } finally {
      await cam.close();
    }
  });
});
