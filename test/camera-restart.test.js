'use strict';
// stop and start in quick succession (two inject nodes, a flow that restarts the camera): the new run must not
// race the old one for the camera, and the late end of the stop must not overwrite the state of the new start.
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

const supervision = { ...DEFAULT_SUPERVISION, retryMinMs: 1000, retryMaxMs: 1000, stallMs: 5000 };

function recorder() {
  const got = { frames: 0, states: [], warnings: [] };
  got.events = { frame: () => got.frames++, state: (s) => got.states.push(s.kind), warn: (m) => got.warnings.push(m) };
  return got;
}

describe('camera: stop then start at once', function () {
  this.timeout(20000);
  let dir;
  before(() => {
    dir = makeFakeDir('yolo-camera-restart-');
  });
  after(() => {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('a capture program that holds the camera until it has exited: the new run waits for it, no "camera busy" failure', async () => {
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

  it('a polling source whose fetch is in flight: the start after a stop keeps its own state', async () => {
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
});
