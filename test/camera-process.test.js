'use strict';
// The yolo-camera node with capture programs: fake rpicam-vid / libcamera-vid / ffmpeg written here into a temp
// dir (first on PATH), and Debian's real ffmpeg for the lavfi test source when it is installed.
const assert = require('assert');
const fs = require('fs');
const path = require('path');
const v8 = require('v8');
const vm = require('vm');
const sharp = require('sharp');
const helper = require('node-red-node-test-helper');
const { DIST } = require('./support/paths');
const { makeFrames, withExifThumbnail } = require('./support/jpeg-fixtures');
const { makeFakeDir, writeFrames, writeFake, writeShellFake, calls, processesMentioning, zombieChildren, pathWith, watchCamera } = require('./support/camera-fakes');
const { until } = require('./support/wait');
const { lib } = require('./support/paths');
const { findProgram } = lib('camera/process-source');
const { MjpegSplitter } = lib('camera/mjpeg-splitter');
const { ffmpegArgs } = lib('camera/capture-args');
const { parseCameraConfig } = lib('camera/config');

const cameraNode = require(path.join(DIST, 'nodes', 'yolo-camera.js'));
helper.init(require.resolve('node-red'));

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function flow(config) {
  return [
    { id: 'n-cam', type: 'yolo-camera', name: 'camera', wires: [['n-out']], fps: 100, width: 160, height: 120, retryMin: 0.1, retryMax: 0.4, stallTimeout: 2, ...config },
    { id: 'n-out', type: 'helper' },
  ];
}

const watch = () => watchCamera(helper);

/** The frame with n 64 KB comment segments after SOI: a whole JPEG over 0.1 MB per two segments. */
function padded(jpeg, n) {
  const seg = Buffer.alloc(65537, 0x41);
  seg.set([0xff, 0xfe], 0);
  seg.writeUInt16BE(65535, 2);
  return Buffer.concat([jpeg.subarray(0, 2), ...Array(n).fill(seg), jpeg.subarray(2)]);
}

describe('camera node: capture programs', function () {
  this.timeout(30000);
  let dir;
  let frames;
  let savedPath;

  before(async () => {
    dir = makeFakeDir();
    const plain = await makeFrames(5, 160, 120);
    const thumb = (await makeFrames(1, 48, 36))[0];
    // Frames 1 and 3 carry an EXIF thumbnail (a whole JPEG with its own FFD9) like rpicam-still's.
    frames = plain.map((f, i) => (i % 2 === 1 ? withExifThumbnail(f, thumb) : f));
    writeFrames(dir, frames);
    savedPath = process.env.PATH;
    process.env.PATH = pathWith(dir);
  });

  after(() => {
    process.env.PATH = savedPath;
    fs.rmSync(dir, { recursive: true, force: true });
  });

  beforeEach((done) => {
    fs.rmSync(path.join(dir, 'calls.log'), { force: true });
    helper.startServer(done);
  });

  afterEach(async () => {
    await helper.unload();
    await new Promise((r) => helper.stopServer(r));
    assert.deepStrictEqual(processesMentioning(dir), [], 'no fake capture process is left');
  });

  it('streams every frame whole from rpicam-vid: odd chunks, junk between frames, EXIF thumbnails', async () => {
    writeFake(dir, 'rpicam-vid', { count: 40, fps: 100, junk: true, oddChunks: true, holdOpen: true });
    await helper.load(cameraNode, flow({ topic: 'line1', quality: 60, rotation: '180' }));
    const got = watch();
    await until(() => /captured 40 /.test(got.statuses.at(-1)?.text ?? ''), 'all 40 frames captured', 10000);
    assert.ok(got.msgs.length >= 10, `${got.msgs.length} frames sent`);
    for (const msg of got.msgs) {
      assert.ok(Buffer.isBuffer(msg.payload));
      assert.ok(frames.some((f) => f.equals(msg.payload)), `frame ${msg.frame.seq} is byte-identical to a source frame`);
      assert.strictEqual(msg.topic, 'line1');
      assert.strictEqual(msg.frame.source, 'rpicam:0');
      assert.deepStrictEqual([msg.frame.width, msg.frame.height], [160, 120]);
    }
    assert.ok(got.msgs.some((m) => m.payload.length === frames[1].length), 'frames with EXIF thumbnails came through');
    assert.deepStrictEqual(got.msgs.map((m) => m.frame.seq), got.msgs.map((_, i) => i + 1));
    const last = got.msgs.at(-1).frame;
    assert.ok(last.captured >= last.emitted + last.dropped && last.captured <= last.emitted + last.dropped + 1);
    const [call] = calls(dir);
    assert.strictEqual(call.program, 'rpicam-vid');
    assert.deepStrictEqual(call.args.slice(0, 5), ['-t', '0', '-n', '--codec', 'mjpeg']);
    assert.ok(call.args.join(' ').includes('-q 60 --flush --rotation 180'));
    assert.deepStrictEqual(call.args.slice(-2), ['-o', '-']);
    await sharp(got.msgs[0].payload).stats();
  });

  it('falls back to libcamera-vid when rpicam-vid is not installed', async () => {
    fs.rmSync(path.join(dir, 'bin', 'rpicam-vid'), { force: true });
    assert.strictEqual(findProgram('rpicam-vid'), undefined, 'no real rpicam-vid on this machine');
    writeFake(dir, 'libcamera-vid', { fps: 50 });
    await helper.load(cameraNode, flow({}));
    const got = watch();
    await until(() => got.msgs.length >= 3, 'frames from libcamera-vid', 5000);
    assert.strictEqual(calls(dir)[0].program, 'libcamera-vid');
    fs.rmSync(path.join(dir, 'bin', 'libcamera-vid'));
  });

  it('a missing capture program gives a clear status and is retried', async () => {
    for (const n of ['rpicam-vid', 'libcamera-vid']) fs.rmSync(path.join(dir, 'bin', n), { force: true });
    assert.strictEqual(findProgram('libcamera-vid'), undefined, 'no real libcamera-vid on this machine');
    await helper.load(cameraNode, flow({}));
    const got = watch();
    await until(() => got.statuses.filter((s) => s.fill === 'red').length >= 2, 'two attempts', 5000);
    assert.match(got.statuses.find((s) => s.fill === 'red').text, /^rpicam-vid \/ libcamera-vid not found on PATH; retry in 0\.1 s$/);
    writeFake(dir, 'rpicam-vid', { fps: 50 });
    await until(() => got.msgs.length >= 2, 'frames once the program is installed', 5000);
  });

  it('restarts a capture process killed mid-stream, with the reason in status and a warning; frames resume', async () => {
    writeFake(dir, 'rpicam-vid', { fps: 50, oddChunks: true });
    await helper.load(cameraNode, flow({}));
    const got = watch();
    await until(() => got.msgs.length >= 5, 'first frames', 5000);
    const producer = calls(dir)[0].pid;
    process.kill(producer, 'SIGKILL');
    await until(() => got.statuses.some((s) => s.fill === 'red'), 'a red status', 5000);
    const red = got.statuses.find((s) => s.fill === 'red');
    assert.match(red.text, /^rpicam-vid exited with code 137(: .*)?; retry in 0\.1 s$/);
    assert.ok(got.warnings.some((w) => /exited with code 137/.test(w)));
    const before = got.msgs.length;
    await until(() => calls(dir).length === 2 && got.msgs.length >= before + 5, 'frames after the restart', 5000);
    assert.strictEqual(got.statuses.at(-1).fill, 'green');
  });

  it('backs off exponentially (capped) while the camera keeps failing', async () => {
    writeFake(dir, 'rpicam-vid', { failWith: 'no cameras available', exitCode: 255 });
    await helper.load(cameraNode, flow({ retryMin: 0.1, retryMax: 0.4 }));
    const got = watch();
    await until(() => calls(dir).length >= 5, 'five attempts', 10000);
    const red = got.statuses.filter((s) => s.fill === 'red').map((s) => s.text);
    assert.match(red[0], /^rpicam-vid exited with code 255: ERROR: no cameras available; retry in 0\.1 s$/);
    assert.match(got.warnings[0], /exited with code 255: ERROR: no cameras available \(stderr: .*INFO Camera.* \| ERROR: no cameras available\)/);
    assert.deepStrictEqual(red.slice(0, 4).map((t) => /retry in ([\d.]+) s/.exec(t)[1]), ['0.1', '0.2', '0.4', '0.4']);
    assert.strictEqual(got.warnings.length, 1, 'the same failure is warned about once, not at every retry');
  });

  it('restarts a process that writes bytes but never a frame, saying so', async () => {
    writeFake(dir, 'rpicam-vid', { junkOnly: true });
    await helper.load(cameraNode, flow({ stallTimeout: 0.5 }));
    const got = watch();
    await until(() => calls(dir).length >= 2, 'a restart after the stall', 5000);
    const red = got.statuses.find((s) => s.fill === 'red');
    assert.match(red.text, /no JPEG frame for 0\.5 s \(\d+ bytes read from rpicam-vid, \d+ not JPEG/);
    assert.strictEqual(got.msgs.length, 0);
  });

  it('max frame MB 0.1 (not a whole number of bytes) with frames over it: they are dropped, smaller ones still sent', async () => {
    writeFrames(dir, [padded(frames[0], 3), frames[0]]);
    try {
      writeFake(dir, 'rpicam-vid', { fps: 20 });
      await helper.load(cameraNode, flow({ maxFrameMB: 0.1 }));
      const got = watch();
      await until(() => got.msgs.length >= 5, 'five frames under the limit', 10000);
      assert.ok(got.msgs.every((m) => m.payload.equals(frames[0])), 'only the frames under the limit are sent');
    } finally {
      writeFrames(dir, frames);
    }
  });

  it('frames that are all over max frame MB: the status and one warning say so and name the setting', async () => {
    writeFrames(dir, [padded(frames[0], 3)]);
    try {
      writeFake(dir, 'rpicam-vid', { fps: 20 });
      await helper.load(cameraNode, flow({ maxFrameMB: 0.1, stallTimeout: 0.5 }));
      const got = watch();
      await until(() => calls(dir).length >= 2, 'a restart after the stall', 10000);
      const red = got.statuses.find((s) => s.fill === 'red');
      // the status is cut at 100 characters: the count of oversize frames leads, the warning has the rest
      assert.match(red.text, /^no JPEG frame for 0\.5 s \(\d+ frames? over the max frame size \(0\.1 MB\); \d+ bytes read/);
      assert.ok(got.warnings.some((w) => /^no JPEG frame for 0\.5 s \(\d+ frames? over the max frame size \(0\.1 MB\); \d+ bytes read from rpicam-vid, 0 not JPEG[;)]/.test(w)), got.warnings.join('; '));
      const sizeWarnings = got.warnings.filter((w) => /max frame size/.test(w));
      assert.match(sizeWarnings[0], /^a frame over the max frame size \(0\.1 MB\) was dropped; if the camera sends larger frames, raise "Max frame MB"/);
      assert.strictEqual(sizeWarnings.filter((w) => /^a frame over/.test(w)).length, 1, 'warned once, not per frame or per restart');
      assert.strictEqual(got.msgs.length, 0);
    } finally {
      writeFrames(dir, frames);
    }
  });

  it('V4L2 through ffmpeg: a missing device gives a clear status and is retried until it appears', async () => {
    writeFake(dir, 'ffmpeg', { fps: 50 });
    const device = path.join(dir, 'video0');
    await helper.load(cameraNode, flow({ source: 'v4l2', device, fps: 15 }));
    const got = watch();
    await until(() => got.statuses.some((s) => s.fill === 'red'), 'a red status', 5000);
    assert.match(got.statuses.find((s) => s.fill === 'red').text, new RegExp(`${device} not found \\(camera unplugged\\?\\); retry in`));
    assert.strictEqual(calls(dir).length, 0, 'ffmpeg is not started without the device');
    fs.writeFileSync(device, '');
    await until(() => got.msgs.length >= 3, 'frames once the device exists', 5000);
    const { args } = calls(dir)[0];
    assert.deepStrictEqual(args.slice(args.indexOf('-f'), args.indexOf('-i') + 2), ['-f', 'v4l2', '-input_format', 'mjpeg', '-video_size', '160x120', '-framerate', '15', '-i', device]);
    assert.strictEqual(got.msgs[0].frame.source, `v4l2:${device}`);
    fs.rmSync(device);
  });

  it('RTSP through ffmpeg: credentials reach ffmpeg on stdin, never argv, the status or messages', async () => {
    writeFake(dir, 'ffmpeg', { failWith: 'rtsp://admin:hunter2@cam.local/live: 401 Unauthorized' });
    await helper.load(cameraNode, flow({ source: 'rtsp', url: 'rtsp://cam.local/live' }), { 'n-cam': { user: 'admin', password: 'hunter2' } });
    const got = watch();
    await until(() => got.statuses.some((s) => s.fill === 'red'), 'a red status', 5000);
    const { args } = calls(dir)[0];
    assert.strictEqual(args[args.indexOf('-i') + 1], 'pipe:0', 'the URL with credentials comes on stdin, not argv');
    assert.ok(!args.join(' ').includes('hunter2'));
    const shown = JSON.stringify([got.statuses, got.warnings]);
    assert.ok(!shown.includes('hunter2') && shown.includes('admin:***@cam.local'), shown);
  });

  it('RTSP: a long ffmpeg line with the password across its 200th character shows no part of it', async () => {
    const password = 'Long-Secret-Passw0rd';
    // the URL late in a long line (after another URL with a long ONVIF query): the password straddles the cut
    // (the fake prints 'ERROR: ' first: the password starts at the line's 195th character)
    const before = `[rtsp @ 0x5581] redirected from rtsp://cam.local/onvif?${'a=1&'.repeat(25)} to`.padEnd(195 - 'ERROR: '.length - 'rtsp://admin:'.length);
    const line = `${before}rtsp://admin:${password}@cam.local/live: 401 Unauthorized`;
    writeFake(dir, 'ffmpeg', { failWith: line });
    await helper.load(cameraNode, flow({ source: 'rtsp', url: 'rtsp://cam.local/live' }), { 'n-cam': { user: 'admin', password } });
    const got = watch();
    await until(() => got.statuses.some((s) => s.fill === 'red') && got.warnings.length > 0, 'a red status and a warning', 5000);
    const shown = JSON.stringify([got.statuses, got.warnings]);
    assert.ok(!shown.includes(password.slice(0, 4)), shown);
  });

  it('RTSP with credentials: ffmpeg\'s errors about its input name the camera\'s URL, not pipe:0 (where it read the URL)', async () => {
    writeFake(dir, 'ffmpeg', { failWith: 'pipe:0: Server returned 401 Unauthorized (authorization failed)' });
    // ($& in the path: the URL goes into the text as it is, not as a replacement pattern)
    await helper.load(cameraNode, flow({ source: 'rtsp', url: 'rtsp://cam.local/live$&x' }), { 'n-cam': { user: 'admin', password: 'hunter2' } });
    const got = watch();
    await until(() => got.statuses.some((s) => s.fill === 'red'), 'a red status', 5000);
    const status = got.statuses.find((s) => s.fill === 'red').text;
    assert.ok(status.includes('rtsp://cam.local/live$&x: Server returned 401'), status);
    assert.ok(!JSON.stringify([got.statuses, got.warnings]).includes('pipe:0'), JSON.stringify(got.warnings));
  });

  it('the reason a run ended is ffmpeg\'s last error line, not its "Last message repeated N times" note after it', async () => {
    const program = path.join(dir, 'bin', 'ffmpeg');
    fs.writeFileSync(program, '#!/bin/sh\necho "[h264 @ 0x55] error while decoding MB 53 20, bytestream -5" >&2\necho "    Last message repeated 3 times" >&2\nexit 1\n');
    fs.chmodSync(program, 0o755);
    await helper.load(cameraNode, flow({ source: 'test' }));
    const got = watch();
    await until(() => got.statuses.some((s) => s.fill === 'red'), 'a red status', 5000);
    const status = got.statuses.find((s) => s.fill === 'red').text;
    assert.match(status, /^ffmpeg exited with code 1: \[h264 @ 0x55\] error while decoding MB 53 20/);
    assert.ok(!JSON.stringify([got.statuses, got.warnings]).includes('Last message repeated'), JSON.stringify(got.warnings));
  });

  it('start / stop / pause / resume commands; stop ends the process group', async () => {
    writeFake(dir, 'rpicam-vid', { fps: 50 });
    await helper.load(cameraNode, flow({ autostart: false }));
    const got = watch();
    const cam = helper.getNode('n-cam');
    await sleep(200);
    assert.strictEqual(calls(dir).length, 0, 'not started on deploy');
    cam.receive({ command: 'start' });
    await until(() => got.msgs.length >= 3, 'frames after start', 5000);
    cam.receive({ command: 'pause' });
    await until(() => got.statuses.at(-1)?.fill === 'blue', 'paused status', 2000);
    const paused = got.msgs.length;
    await sleep(300);
    assert.strictEqual(got.msgs.length, paused, 'nothing sent while paused');
    assert.strictEqual(processesMentioning(dir).length, 2, 'the process keeps running while paused (sh + producer)');
    cam.receive({ command: 'resume' });
    await until(() => got.msgs.length >= paused + 3, 'frames after resume', 5000);
    assert.ok(got.msgs.at(-1).frame.dropped > 0, 'frames captured while paused count as dropped');
    cam.receive({ command: 'stop' });
    await until(() => got.statuses.at(-1)?.fill === 'grey', 'stopped status', 5000);
    assert.deepStrictEqual(processesMentioning(dir), [], 'the process group is gone after stop');
  });

  it('a start or resume arriving while the node closes (Node-RED delivers input until close is done) starts no process and fails STOPPED', async () => {
    writeFake(dir, 'rpicam-vid', { fps: 50 });
    await helper.load(cameraNode, flow({}));
    const got = watch();
    const cam = helper.getNode('n-cam');
    await until(() => got.msgs.length >= 2, 'frames before close', 5000);
    const closing = cam.close(false);
    cam.receive({ command: 'start' });
    cam.receive({ command: 'resume' });
    await closing;
    await sleep(500);
    assert.deepStrictEqual(processesMentioning(dir), [], 'no capture process outlives close');
    assert.strictEqual(got.errors.length, 2, got.errors.join('; '));
    for (const e of got.errors) assert.match(e, /the node was closed/);
    const sent = got.msgs.length;
    await sleep(300);
    assert.strictEqual(got.msgs.length, sent, 'nothing is sent after close');
  });

  it('the fps in the status after start and resume: none until 3 frames were sent, then never measured across the idle gap', async () => {
    writeFake(dir, 'rpicam-vid', { fps: 20 });
    await helper.load(cameraNode, flow({}));
    const got = watch();
    const cam = helper.getNode('n-cam');
    // each status with the number of frames sent when it was shown (send and status are synchronous)
    const shown = [];
    cam.on('call:status', (c) => shown.push({ text: c.args[0].text, sent: got.msgs.length }));
    const fpsAfter = async (command, idleCommand, idleStatus) => {
      await until(() => got.msgs.length >= 5, 'frames', 5000);
      cam.receive({ command: idleCommand });
      await until(() => idleStatus.test(shown.at(-1)?.text ?? ''), `${idleCommand} status`, 5000);
      await sleep(2500); // idle: the status refreshes with no frame
      const from = shown.length;
      const sent0 = got.msgs.length;
      cam.receive({ command });
      await until(() => got.msgs.length >= sent0 + 30, `frames after ${command}`, 10000);
      await sleep(1100);
      const after = shown.slice(from).map((s) => ({ ...s, sent: s.sent - sent0, fps: Number(/^([\d.]+) fps/.exec(s.text)?.[1] ?? NaN) }));
      assert.ok(after.some((s) => s.fps > 0), `an fps after ${command}: ${after.map((s) => s.text).join(' | ')}`);
      for (const s of after.filter((x) => !Number.isNaN(x.fps))) {
        assert.ok(s.sent >= 3, `${command}: '${s.text}' shown after ${s.sent} frame(s)`);
        assert.ok(s.fps > 2, `${command}: '${s.text}' while frames come at about 20 fps`);
      }
    };
    await fpsAfter('start', 'stop', /^stopped/);
    await fpsAfter('resume', 'pause', /^paused/);
  });

  it('trigger mode: one frame per input msg, reusing the msg; unknown commands fail', async () => {
    writeFake(dir, 'rpicam-vid', { fps: 30 });
    await helper.load(cameraNode, flow({ mode: 'trigger' }));
    const got = watch();
    const cam = helper.getNode('n-cam');
    const errors = [];
    cam.on('call:error', (c) => errors.push(String(c.args[0])));
    await sleep(300);
    assert.strictEqual(got.msgs.length, 0, 'nothing sent without a request');
    for (let i = 0; i < 3; i++) cam.receive({ payload: 'go', keep: i, _msgid: `m${i}` });
    await until(() => got.msgs.length === 3, 'three frames for three requests', 5000);
    assert.deepStrictEqual(got.msgs.map((m) => m.keep), [0, 1, 2]);
    assert.deepStrictEqual(got.msgs.map((m) => m._msgid), ['m0', 'm1', 'm2']);
    assert.ok(got.msgs.every((m) => frames.some((f) => f.equals(m.payload))));
    cam.receive({ command: 'explode' });
    await until(() => errors.length === 1, 'an error', 2000);
    assert.match(errors[0], /unknown command "explode"/);
    // only a string is a command: String(['stop']) is 'stop', and a wrongly built msg stopped the camera
    cam.receive({ command: ['stop'] });
    await until(() => errors.length === 2, 'an error for an array', 2000);
    assert.match(errors[1], /msg.command must be a string .*got an array of 1/);
    cam.receive({ payload: 'still on' });
    await until(() => got.msgs.length === 4, 'a frame: the array did not stop the camera', 5000);
    cam.receive({ command: ' Stop ' });
    await until(() => got.statuses.at(-1)?.text.startsWith('stopped'), "' Stop ' stops, as the shadow test reads its commands", 5000);
  });

  it('trigger mode set with spaces around it (an import or the admin API) is trigger mode for input msgs too', async () => {
    writeFake(dir, 'rpicam-vid', { fps: 30 });
    await helper.load(cameraNode, flow({ mode: ' trigger ' }));
    const got = watch();
    const cam = helper.getNode('n-cam');
    const errors = [];
    cam.on('call:error', (c) => errors.push(String(c.args[0])));
    cam.receive({ payload: 'go' });
    await until(() => got.msgs.length === 1 || errors.length > 0, 'a frame or an error', 5000);
    assert.deepStrictEqual(errors, []);
    assert.ok(frames.some((f) => f.equals(got.msgs[0].payload)));
  });

  it('trigger mode: after stop a request starts nothing and fails STOPPED, the status stays stopped; start makes requests work again', async () => {
    writeFake(dir, 'rpicam-vid', { fps: 30 });
    await helper.load(cameraNode, flow({ mode: 'trigger' }));
    const got = watch();
    const cam = helper.getNode('n-cam');
    const errors = [];
    cam.on('call:error', (c) => errors.push(c.args[0]));
    cam.receive({ payload: 'first' });
    await until(() => got.msgs.length === 1, 'a frame before stop', 5000);
    cam.receive({ command: 'stop' });
    await until(() => processesMentioning(dir).length === 0 && got.statuses.at(-1)?.text.startsWith('stopped'), 'stopped, no process', 5000);
    const started = calls(dir).length;
    cam.receive({ payload: 'after stop' });
    await until(() => errors.length === 1, 'the request after stop fails', 5000);
    assert.strictEqual(errors[0].code, 'STOPPED');
    assert.match(errors[0].message, /stopped.*start/);
    await sleep(500);
    assert.strictEqual(calls(dir).length, started, 'no capture program started by the request');
    assert.deepStrictEqual(processesMentioning(dir), [], 'nothing runs after the request');
    assert.strictEqual(got.msgs.length, 1, 'nothing sent');
    assert.match(got.statuses.at(-1).text, /^stopped/, 'the status stays stopped');
    cam.receive({ command: 'start' });
    cam.receive({ payload: 'after start' });
    await until(() => got.msgs.length === 2, 'a frame after start', 5000);
    assert.strictEqual(got.msgs[1].payload.length > 0, true);
  });

  it('trigger mode: frames a stream delivers while no request waits are not counted as dropped', async () => {
    writeFake(dir, 'rpicam-vid', { fps: 50 });
    await helper.load(cameraNode, flow({ mode: 'trigger' }));
    const got = watch();
    const cam = helper.getNode('n-cam');
    await until(() => /captured ([5-9]|\d\d+)/.test(got.statuses.at(-1)?.text ?? ''), 'frames captured with no request', 5000);
    cam.receive({ payload: 1 });
    await until(() => got.msgs.length === 1, 'a frame', 5000);
    await sleep(300);
    cam.receive({ payload: 2 });
    await until(() => got.msgs.length === 2, 'a second frame', 5000);
    assert.ok(got.msgs[1].frame.captured >= 5, `captured ${got.msgs[1].frame.captured}`);
    assert.deepStrictEqual(got.msgs.map((m) => m.frame.dropped), [0, 0], 'no request went unanswered: nothing lost');
    await until(() => /captured/.test(got.statuses.at(-1)?.text ?? ''), 'a status with counters', 3000);
    assert.match(got.statuses.at(-1).text, /dropped 0/);
  });

  it('saves every Nth frame for calibration, bounded in count', async () => {
    writeFake(dir, 'rpicam-vid', { fps: 100 });
    const calibDir = path.join(dir, 'calib');
    await helper.load(cameraNode, flow({ calibDir, calibEvery: 2, calibMax: 5 }));
    const got = watch();
    await until(() => got.msgs.length >= 20, '20 frames', 5000);
    const files = fs.readdirSync(calibDir).sort();
    assert.deepStrictEqual(files, ['calib-000001.jpg', 'calib-000002.jpg', 'calib-000003.jpg', 'calib-000004.jpg', 'calib-000005.jpg']);
    for (const f of files) assert.ok(frames.some((fr) => fr.equals(fs.readFileSync(path.join(calibDir, f)))));
    fs.rmSync(calibDir, { recursive: true });
  });

  it('counts the earlier calibration frames in batches after the constructor, skipping frames until then (a folder of 300000 files held the event loop at deploy)', async () => {
    const { CalibrationCapture } = lib('camera/calibration-capture');
    const calibDir = path.join(dir, 'calib-earlier');
    fs.mkdirSync(calibDir);
    for (const n of ['calib-000001.jpg', 'calib-000007.jpg', 'notes.txt', ...Array.from({ length: 2000 }, (_, i) => `other-${i}.jpg`)]) fs.writeFileSync(path.join(calibDir, n), '');
    const readdirSync = fs.readdirSync;
    fs.readdirSync = (...args) => assert.fail(`listed at once: ${args[0]}`);
    try {
      const capture = new CalibrationCapture({ dir: calibDir, every: 1, max: 5 });
      assert.strictEqual(capture.count, 0, 'not counted yet');
      capture.offer(frames[0]);
      assert.strictEqual(capture.skippedBusy, 1, 'a frame before the count is skipped');
      await capture.ready;
      assert.strictEqual(capture.count, 2);
      capture.offer(frames[0]);
      await capture.flush();
      assert.strictEqual(capture.count, 3);
    } finally {
      fs.readdirSync = readdirSync;
    }
    assert.ok(fs.existsSync(path.join(calibDir, 'calib-000008.jpg')), 'numbered after the earlier frames');
    fs.rmSync(calibDir, { recursive: true });
  });

  it('a calibration frame appears under its calib-N.jpg name only once whole (quantize may list the folder meanwhile)', async () => {
    const { CalibrationCapture } = lib('camera/calibration-capture');
    const calibDir = path.join(dir, 'calib-atomic');
    const original = fs.writeFile;
    let seenWhileWriting;
    // Holds each write's completion so the folder can be listed while the file is still being written.
    fs.writeFile = (file, data, cb) => original(file, data, (err) => {
      seenWhileWriting = fs.readdirSync(calibDir).filter((n) => /^calib-\d+\.jpg$/.test(n));
      cb(err);
    });
    try {
      const capture = new CalibrationCapture({ dir: calibDir, every: 1, max: 5 });
      await capture.ready;
      capture.offer(frames[0]);
      await capture.flush();
      assert.deepStrictEqual(seenWhileWriting, [], 'no calib-N.jpg before its write completed');
      assert.deepStrictEqual(fs.readdirSync(calibDir), ['calib-000001.jpg']);
      assert.ok(fs.readFileSync(path.join(calibDir, 'calib-000001.jpg')).equals(frames[0]));
    } finally {
      fs.writeFile = original;
      fs.rmSync(calibDir, { recursive: true, force: true });
    }
  });

  it('a calibration frame whose write or rename fails leaves no .part file behind, and the failure is warned about', async () => {
    const { CalibrationCapture } = lib('camera/calibration-capture');
    const calibDir = path.join(dir, 'calib-fail');
    const { rename, writeFile } = fs;
    try {
      for (const failing of ['rename', 'writeFile']) {
        const warnings = [];
        const capture = new CalibrationCapture({ dir: calibDir, every: 1, max: 5 }, (m) => warnings.push(m));
        await capture.ready;
        if (failing === 'rename') fs.rename = (from, to, cb) => setImmediate(() => cb(Object.assign(new Error(`EXDEV: cross-device link not permitted, rename '${from}'`), { code: 'EXDEV' })));
        // a disk that fills up part-way: some bytes written, then the error
        else fs.writeFile = (file, data, cb) => writeFile(file, data.subarray(0, 10), () => cb(Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' })));
        capture.offer(frames[0]);
        await capture.flush();
        fs.rename = rename;
        fs.writeFile = writeFile;
        assert.deepStrictEqual(fs.readdirSync(calibDir), [], `${failing} failed: nothing left in the folder`);
        assert.strictEqual(warnings.length, 1, `${failing}: ${warnings.join(' | ')}`);
        assert.match(warnings[0], failing === 'rename' ? /calibration frame not saved: EXDEV/ : /calibration frame not saved: ENOSPC/);
        assert.strictEqual(capture.count, 0);
      }
    } finally {
      fs.rename = rename;
      fs.writeFile = writeFile;
      fs.rmSync(calibDir, { recursive: true, force: true });
    }
  });

  it('redeploying 50 times leaves no capture process and no zombie behind', async function () {
    this.timeout(45000);
    writeShellFake(dir, 'rpicam-vid', frames[1]);
    const t0 = Date.now();
    for (let i = 0; i < 50; i++) {
      await helper.load(cameraNode, flow({}));
      const got = watch();
      await until(() => got.msgs.length >= 1, `a frame in deploy ${i}`, 5000);
      assert.ok(processesMentioning(dir).length >= 1, 'the fake runs');
      await helper.unload();
      assert.deepStrictEqual(processesMentioning(dir), [], `nothing left after deploy ${i}`);
      assert.deepStrictEqual(zombieChildren(), [], `no zombie after deploy ${i}`);
    }
    assert.strictEqual(calls(dir).length, 50);
    console.log(`      50 deploy/close cycles with a running capture process group: ${Date.now() - t0} ms`);
  });

  it('10,000 frames into a deliberately slow consumer: memory stays flat, drops are counted', async function () {
    this.timeout(60000);
    v8.setFlagsFromString('--expose-gc');
    const gc = vm.runInNewContext('gc');
    writeFake(dir, 'rpicam-vid', { count: 10000, holdOpen: true });
    await helper.load(cameraNode, flow({ fps: 50 }));
    const got = { received: 0, statuses: [] };
    let lastFrame;
    helper.getNode('n-out').on('input', (msg) => {
      got.received++;
      lastFrame = msg.frame;
      const busyUntil = Date.now() + 15; // a consumer that needs 15 ms of CPU per frame
      while (Date.now() < busyUntil);
    });
    helper.getNode('n-cam').on('call:status', (c) => got.statuses.push(c.args[0].text));
    const captured = () => Number(/captured (\d+)/.exec(got.statuses.at(-1) ?? '')?.[1] ?? 0);
    await until(() => captured() >= 1000, '1000 frames captured', 30000);
    gc();
    const m0 = process.memoryUsage();
    const c0 = captured();
    await until(() => captured() === 10000, 'all 10,000 frames captured', 50000);
    // the status can name a frame as sent while Node-RED is still delivering it to the consumer
    const sentNow = () => Number(/sent (\d+)/.exec(got.statuses.at(-1) ?? '')?.[1] ?? 0);
    await until(() => got.received >= sentNow(), 'the last sent frame delivered', 5000);
    gc();
    const m1 = process.memoryUsage();
    const status = got.statuses.at(-1);
    const [, cap, sent, dropped] = /captured (\d+) · sent (\d+) · dropped (\d+)/.exec(status).map(Number);
    const mb = (n) => (n / 1048576).toFixed(1);
    console.log(`      frames ${c0} -> ${cap}: heapUsed ${mb(m0.heapUsed)} -> ${mb(m1.heapUsed)} MB, rss ${mb(m0.rss)} -> ${mb(m1.rss)} MB; sent ${sent}, dropped ${dropped}, consumer got ${got.received}`);
    assert.strictEqual(cap, 10000);
    assert.ok(dropped > 5000, `most frames dropped at the source (${dropped})`);
    assert.ok(cap - sent - dropped <= 1, 'every frame is sent, dropped or the one waiting');
    assert.strictEqual(got.received, sent);
    assert.ok(lastFrame.dropped > 0);
    assert.ok(m1.heapUsed - m0.heapUsed < 8 * 1048576, `heap grew ${mb(m1.heapUsed - m0.heapUsed)} MB`);
    assert.ok(m1.rss - m0.rss < 40 * 1048576, `rss grew ${mb(m1.rss - m0.rss)} MB`);
  });

  it('captures from ffmpeg\'s lavfi test source through the V4L2/RTSP code path (needs Debian ffmpeg)', async function () {
    process.env.PATH = savedPath;
    try {
      const ffmpeg = findProgram('ffmpeg');
      if (!ffmpeg) {
        console.log('      skipped: ffmpeg is not installed (apt-get install -y ffmpeg)');
        this.skip();
      }
      await helper.load(cameraNode, flow({ source: 'test', width: 320, height: 240, fps: 10, stallTimeout: 10 }));
      const got = watch();
      await until(() => got.msgs.length >= 5, 'five frames from ffmpeg', 15000);
      for (const msg of got.msgs) {
        const meta = await sharp(msg.payload).metadata();
        assert.deepStrictEqual([meta.format, meta.width, meta.height, msg.frame.width, msg.frame.height], ['jpeg', 320, 240, 320, 240]);
        assert.strictEqual(msg.frame.source, 'ffmpeg:testsrc2');
      }
    } finally {
      process.env.PATH = pathWith(dir);
    }
  });

  it('RTSP output options on a camera slower than the target fps: every frame once, none repeated; a faster one is cut to the target (needs Debian ffmpeg)', async function () {
    const ffmpeg = findProgram('ffmpeg', savedPath);
    if (!ffmpeg) {
      console.log('      skipped: ffmpeg is not installed (apt-get install -y ffmpeg)');
      this.skip();
    }
    // What the RTSP source asks of ffmpeg after its input, on a 10 fps lavfi input of 3 s (30 frames, as fast as it runs).
    const frames = (fps) => {
      const args = ffmpegArgs(parseCameraConfig({ source: 'rtsp', url: 'rtsp://cam.local/live', fps }));
      const output = args.slice(args.indexOf('-an'));
      const run = require('child_process').spawnSync(ffmpeg, ['-hide_banner', '-nostdin', '-loglevel', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=160x120:rate=10:duration=3', ...output], { maxBuffer: 64 * 1048576 });
      assert.strictEqual(run.status, 0, String(run.stderr));
      const out = [];
      new MjpegSplitter((f) => out.push(f.toString('base64'))).push(run.stdout);
      return out;
    };
    const slower = frames(25);
    // (ffmpeg 7 leaves out one frame just after the first: its constant-rate output goes by the input's frame duration)
    assert.ok(slower.length >= 29 && slower.length <= 30, `${slower.length} frames: each of the camera's 30 once`);
    assert.strictEqual(new Set(slower).size, slower.length, 'no frame repeated');
    assert.strictEqual(new Set(frames(10)).size, 30, 'at the camera\'s own rate: each frame, none lost');
    const faster = frames(4);
    assert.ok(faster.length >= 11 && faster.length <= 13, `${faster.length} frames of 3 s at 4 fps`);
  });

  it('a frame ffmpeg encodes leaves at once, not a frame period later (at 0.25 fps: 4 s) (needs Debian ffmpeg)', async function () {
    process.env.PATH = savedPath;
    try {
      if (!findProgram('ffmpeg')) {
        console.log('      skipped: ffmpeg is not installed (apt-get install -y ffmpeg)');
        this.skip();
      }
      const t0 = Date.now();
      await helper.load(cameraNode, flow({ source: 'test', width: 320, height: 240, fps: 0.25 }));
      const got = watch();
      // lavfi makes the first frame at once (-re): only an encoder holding it back makes it wait for the second
      await until(() => got.msgs.length >= 1, 'the first frame', 10000);
      const waited = Date.now() - t0;
      assert.ok(waited < 3000, `the first frame came after ${waited} ms`);
    } finally {
      process.env.PATH = pathWith(dir);
    }
  });
});
