'use strict';
const assert = require('assert');
const { lib } = require('./support/paths');
const fs = require('fs');
const path = require('path');
const { ROOT } = require('./support/paths');
const { loadEditorDefs, editorNodeVerdict, defaultsOf } = require('./support/editor-defs');
const { parseCameraConfig, FIELD_SOURCES, SOURCE_KINDS } = lib('camera/config');
const { rpicamArgs, ffmpegArgs, rtspStdin } = lib('camera/capture-args');
const { redactor } = lib('camera/redact');
const { LatestFrameGate } = lib('camera/latest-frame');
const { RateMeter } = lib('rate-meter');

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

describe('camera: configuration and program arguments', () => {
  it('builds rpicam-vid arguments from validated options, extra arguments before the output', () => {
    const c = parseCameraConfig({ source: 'rpicam', width: '640', height: '480', fps: '10', quality: '70', rotation: '180', hflip: true, shutter: '20000', gain: '2', ev: '-0.5', awb: 'daylight', denoise: 'cdn_fast', afMode: 'manual', lensPosition: '2.5', camera: '1', extraArgs: '--metering spot --roi "0.1,0.1,0.5,0.5"' });
    assert.deepStrictEqual(rpicamArgs(c), ['-t', '0', '-n', '--codec', 'mjpeg', '--width', '640', '--height', '480', '--framerate', '10', '-q', '70', '--flush', '--camera', '1', '--rotation', '180', '--hflip', '--shutter', '20000', '--gain', '2', '--ev', '-0.5', '--awb', 'daylight', '--denoise', 'cdn_fast', '--autofocus-mode', 'manual', '--lens-position', '2.5', '--metering', 'spot', '--roi', '0.1,0.1,0.5,0.5', '-o', '-']);
  });

  it('refuses an object (JSON in a flow file) in a text field, naming it: it ran "[object Object]" or passed it as arguments', () => {
    const refused = (c, re) => assert.throws(() => parseCameraConfig(c), (e) => e.code === 'BAD_CONFIG' && re.test(e.message));
    refused({ source: 'test', extraArgs: { a: 1 } }, /^extra arguments must be text, got an object$/);
    refused({ source: 'rpicam', command: { path: '/usr/bin/rpicam-vid' } }, /^command must be text, got an object$/);
    refused({ source: 'test', ffmpeg: {} }, /^ffmpeg command must be text, got an object$/);
    refused({ source: 'v4l2', device: { dev: '/dev/video0' } }, /^device must be text, got an object$/);
    refused({ source: 'mjpeg', url: { href: 'http://cam/x' } }, /^URL must be text, got an object$/);
    refused({ source: 'folder', folder: { path: '/tmp' } }, /^folder must be text, got an object$/);
    // a list is read as the editor would store it
    assert.deepStrictEqual(parseCameraConfig({ source: 'test', ffmpeg: ['ffmpeg'] }).ffmpeg, 'ffmpeg');
  });

  it('shows a megabyte value of a flow file cut in the error: its first 200 characters and its length', () => {
    // the whole value went into the log line and into the error of every msg the node refused
    const big = 'a/'.repeat(5e5);
    const cut = `"${big.slice(0, 200)}"... (1000000 characters)`;
    const says = (c, start) => assert.throws(() => parseCameraConfig(c), (e) => e.code === 'BAD_CONFIG' && e.message === `${start}${cut}`);
    says({ source: big }, 'source must be one of rpicam, v4l2, rtsp, mjpeg, snapshot, folder, test, got ');
    says({ fps: big }, 'fps must be a number from 0.01 to 120, got ');
    says({ source: 'v4l2', device: big }, 'device must be a path of at most 4096 characters, got ');
    says({ source: 'folder', folder: big }, 'folder must be a path of at most 4096 characters, got ');
    says({ source: 'test', ffmpeg: big }, 'ffmpeg command must be a path of at most 4096 characters, got ');
    says({ source: 'rpicam', command: big }, 'command must be a path of at most 4096 characters, got ');
    // a megabyte URL that parses was named whole in every failed snapshot's error
    const longUrl = `http://cam/${'a'.repeat(1e6)}`;
    assert.throws(() => parseCameraConfig({ source: 'snapshot', url: longUrl }), (e) => e.code === 'BAD_CONFIG' && e.message === `URL must be at most 8192 characters, got "${longUrl.slice(0, 200)}"... (1000011 characters)`);
    assert.strictEqual(parseCameraConfig({ source: 'snapshot', url: `http://cam/${'a'.repeat(8000)}` }).url.href.length, 8011);
    // a megabyte of extra arguments failed every start with 'spawn E2BIG', retried for ever
    assert.throws(() => parseCameraConfig({ source: 'test', extraArgs: 'ab '.repeat(4e5) }), (e) => e.code === 'BAD_CONFIG' && e.message === 'extra arguments must be at most 65536 characters, got 1199999');
    assert.strictEqual(parseCameraConfig({ source: 'test', extraArgs: `-vf "${'x'.repeat(65000)}"` }).extraArgs[1].length, 65000);
    says({ source: 'v4l2', inputFormat: big }, 'input format must be a v4l2 format name like mjpeg or yuyv422, got ');
    says({ source: 'mjpeg', url: big }, 'URL must be at most 8192 characters, got ');
    assert.throws(() => parseCameraConfig({ source: 'mjpeg', url: big.slice(0, 8000) }), (e) => e.message === `URL is not a URL: "${big.slice(0, 200)}"... (8000 characters)`);
    // a path setting on two lines is a paste gone wrong, and would split the log line naming it
    assert.throws(() => parseCameraConfig({ source: 'folder', folder: '/srv/images\nERROR x' }), (e) => e.code === 'BAD_CONFIG' && e.message === 'folder must be a path on one line, without control characters, got "/srv/images\\nERROR x"');
    const dash = `-${big.slice(1)}`;
    assert.throws(() => parseCameraConfig({ source: 'test', ffmpeg: dash }), (e) => e.message === `ffmpeg command must not start with '-', got "${dash.slice(0, 200)}"... (1000000 characters)`);
  });

  it('rejects bad numbers and names, naming the field', () => {
    assert.throws(() => parseCameraConfig({ width: '640; rm -rf /' }), /width must be a whole number from 16 to 8192/);
    assert.throws(() => parseCameraConfig({ fps: '0' }), /fps must be a number from 0.01 to 120/);
    assert.throws(() => parseCameraConfig({ awb: 'sunny' }), /AWB must be one of/);
    assert.throws(() => parseCameraConfig({ source: 'v4l2', device: '-f' }), /device must not start with '-'/);
    assert.throws(() => parseCameraConfig({ source: 'v4l2', device: 'video0' }), /absolute path/);
    assert.throws(() => parseCameraConfig({ source: 'rtsp', url: 'http://cam/x' }), /URL must start with rtsp:\/\//);
    assert.throws(() => parseCameraConfig({ source: 'folder' }), /folder is required/);
  });

  it('ignores the V4L2 device of another source: the editor hides it there, so a stale value must not stop that camera', () => {
    assert.strictEqual(parseCameraConfig({ source: 'rpicam', device: '-f' }).source, 'rpicam');
    assert.strictEqual(parseCameraConfig({ source: 'test', device: 'video0' }).source, 'test');
  });

  it('builds ffmpeg arguments for V4L2 (copy + mjpeg2jpeg, or encode), RTSP and lavfi', () => {
    const v = parseCameraConfig({ source: 'v4l2', device: '/dev/video2', width: 1280, height: 720, fps: 15 });
    assert.deepStrictEqual(ffmpegArgs(v), ['-hide_banner', '-nostdin', '-loglevel', 'error', '-f', 'v4l2', '-input_format', 'mjpeg', '-video_size', '1280x720', '-framerate', '15', '-i', '/dev/video2', '-an', '-c:v', 'copy', '-bsf:v', 'mjpeg2jpeg', '-f', 'mjpeg', '-']);
    const y = ffmpegArgs(parseCameraConfig({ source: 'v4l2', inputFormat: 'yuyv422' }));
    assert.ok(y.join(' ').includes('-input_format yuyv422') && y.join(' ').includes('-c:v mjpeg -pix_fmt yuvj420p'));
    const r = parseCameraConfig({ source: 'rtsp', url: 'rtsp://cam.local:554/stream1', fps: 5 }, { user: 'admin', password: 'p@ss word' });
    const ra = ffmpegArgs(r);
    assert.strictEqual(ra[ra.indexOf('-i') + 1], 'pipe:0', 'with credentials the URL comes on stdin');
    assert.ok(rtspStdin(r).includes("file 'rtsp://admin:p%40ss%20word@cam.local:554/stream1'\noption rtsp_transport tcp\n"));
    assert.match(ra[ra.indexOf('-vf') + 1], /^select=.*,setpts=N\/\(5\*TB\)$/);
    assert.ok(ra.join(' ').includes('-r 5 -f mjpeg -'));
    // ffmpeg 9 has no -vsync, ffmpeg 4 no -fps_mode, and ffmpeg 6 and later refuse a non-constant one beside -r
    assert.ok(!ra.includes('-vsync') && !ra.includes('-fps_mode'), ra.join(' '));
    assert.strictEqual(r.url.href, 'rtsp://cam.local:554/stream1', 'the URL kept for display has no credentials');
    const t = ffmpegArgs(parseCameraConfig({ source: 'test', width: 320, height: 240, fps: 10 }));
    assert.ok(t.join(' ').includes('-re -f lavfi -i testsrc2=size=320x240:rate=10'));
  });

  it('RTSP with a video filter in the extra args (a scale): the rate limit stays the first filter, not replaced by theirs', () => {
    const vf = (extraArgs) => {
      const a = ffmpegArgs(parseCameraConfig({ source: 'rtsp', url: 'rtsp://cam.local/stream1', fps: 2, extraArgs }));
      // ffmpeg uses only the last video filter option it is given
      const at = a.map((x, i) => (['-vf', '-filter:v'].includes(x) ? i : -1)).filter((i) => i >= 0);
      return a[at.at(-1) + 1];
    };
    const limit = vf('');
    assert.match(limit, /^select=.*,setpts=N\/\(2\*TB\)$/);
    assert.strictEqual(vf('-vf scale=640:-2'), `${limit},scale=640:-2`);
    assert.strictEqual(vf('-threads 2 -filter:v "scale=320:240"'), `${limit},scale=320:240`);
  });

  it('a value the dialog hides for the chosen source (left from another source) is not read: neither the runtime nor the dialog refuses it', () => {
    // each field of a group, with a value the runtime refuses where the field is shown
    const STALE = {
      size: { width: '8', height: 'abc' },
      quality: { quality: '0' },
      rpicam: { command: '-x', camera: '16', rotation: '90', hflip: 'maybe', vflip: 'maybe', shutter: 'abc', gain: '-1', ev: '11', exposure: 'long', awb: 'sunny', denoise: 'x', afMode: 'x', lensPosition: '33' },
      v4l2: { device: '-x', inputFormat: 'yuyv 422', mjpeg2jpeg: 'maybe' },
      ffmpeg: { ffmpeg: '-x' },
      rtsp: { rtspTransport: 'udp -x' },
      extraArgs: { extraArgs: '"a\nb"' },
      timeout: { timeout: '0' },
    };
    assert.deepStrictEqual(Object.keys(STALE).sort(), Object.keys(FIELD_SOURCES).sort());
    // the rows of the dialog: which sources each field is shown for
    const html = fs.readFileSync(path.join(ROOT, 'nodes', 'yolo-camera.html'), 'utf8');
    const shownFor = {};
    for (const row of html.split('<div class="form-row').slice(1)) {
      const classes = /^([^"]*)"/.exec(row)[1];
      const sources = [...classes.matchAll(/yolo-camera-(\w+)/g)].map((m) => m[1]).filter((c) => c !== 'only');
      for (const [, id] of row.matchAll(/id="node-input-(\w+)"/g)) if (classes.includes('yolo-camera-only')) shownFor[id] = sources;
    }
    const def = loadEditorDefs('yolo-camera')['yolo-camera'];
    const base = { source: 'rpicam', url: 'rtsp://cam/x', folder: '/tmp/frames' };
    for (const [group, fields] of Object.entries(STALE)) {
      for (const [field, value] of Object.entries(fields)) {
        assert.deepStrictEqual(shownFor[field], [...FIELD_SOURCES[group]], `${field}: the dialog shows it for the sources of ${group}`);
        for (const source of SOURCE_KINDS) {
          const node = { ...defaultsOf(def), ...base, source, url: source === 'mjpeg' || source === 'snapshot' ? 'http://cam/x' : base.url };
          const where = `${field}=${JSON.stringify(value)} for ${source}`;
          if (FIELD_SOURCES[group].includes(source)) {
            assert.throws(() => parseCameraConfig({ ...node, [field]: value }), (e) => e.code === 'BAD_CONFIG', where);
          } else {
            assert.deepStrictEqual(parseCameraConfig({ ...node, [field]: value }), parseCameraConfig(node), where);
            assert.strictEqual(editorNodeVerdict(def, { ...node, [field]: value }), true, where);
          }
        }
      }
    }
  });

  it('takes max frame MB as whole bytes, also for fractions (0.1 MB is not a whole number of bytes)', () => {
    for (const [mb, bytes] of [['0.1', 104857], ['1.1', 1153433], [2.7, 2831155], ['8', 8388608]]) {
      assert.strictEqual(parseCameraConfig({ source: 'test', maxFrameMB: mb }).supervision.maxFrameBytes, bytes, `${mb} MB`);
    }
  });

  it('the stall timeout is at least two frame periods: a camera asked for one frame every 15 s is not stuck after 10 s', () => {
    const stall = (fps, stallTimeout) => parseCameraConfig({ source: 'rpicam', fps, stallTimeout }).supervision.stallMs;
    assert.strictEqual(stall(5, ''), 10000, 'the default at 5 fps');
    assert.strictEqual(stall(1 / 15, ''), 30000, 'one frame every 15 s');
    assert.strictEqual(stall(0.5, 2), 4000);
    assert.strictEqual(stall(0.5, 60), 60000, 'a longer stall timeout stands');
  });

  it('moves credentials typed into a URL to the credential fields and redacts the password', () => {
    const c = parseCameraConfig({ source: 'mjpeg', url: 'http://bob:s3cret@10.0.0.5/video.mjpg' });
    assert.deepStrictEqual([c.user, c.password, c.url.href], ['bob', 's3cret', 'http://10.0.0.5/video.mjpg']);
    assert.strictEqual(redactor(['p@ss'])('rtsp://u:p%40ss@h failed; p@ss'), 'rtsp://u:***@h failed; ***');
  });
});

describe('camera: rate meter (the status fps)', () => {
  it('no rate until 3 frames, then the rate of the frames themselves; reset forgets; a silent source has none', () => {
    const m = new RateMeter(2000);
    m.tick(10000);
    m.tick(10100);
    assert.strictEqual(m.rate(10100), undefined, 'two frames say nothing');
    m.tick(10200);
    assert.strictEqual(m.rate(10900), 10, 'frames 100 ms apart: 10 fps, not counted over the time since the first');
    m.reset();
    m.tick(60000);
    assert.strictEqual(m.rate(60000), undefined, 'after a reset (start, resume, reconnect) the frames before the gap do not count');
    m.tick(60050);
    m.tick(60100);
    assert.strictEqual(m.rate(60100), 20);
    assert.strictEqual(m.rate(63000), undefined, 'no frame within the window: no rate');
  });
});

describe('camera: latest-frame gate', () => {
  const frame = (i) => ({ jpeg: Buffer.from([i]), timestamp: i });

  it('sends at most one frame per period, always the newest, and counts the rest as dropped', async () => {
    const sent = [];
    const gate = new LatestFrameGate((f) => sent.push(f.jpeg[0]), 50);
    for (let i = 0; i < 10; i++) gate.put(frame(i));
    assert.deepStrictEqual(sent, [0], 'the first frame goes at once');
    await sleep(80);
    assert.deepStrictEqual(sent, [0, 9], 'then the newest when the period is up');
    assert.deepStrictEqual(gate.counters, { captured: 10, emitted: 2, dropped: 8 });
    assert.strictEqual(gate.pending, 0);
  });

  it('on request: gives the newest unsent frame or waits for the next, bounded', async () => {
    const gate = new LatestFrameGate(() => assert.fail('no timed sends in trigger mode'), 'on-request', 2);
    gate.put(frame(1));
    gate.put(frame(2));
    assert.strictEqual((await gate.next(100)).jpeg[0], 2);
    const a = gate.next(1000);
    const b = gate.next(1000);
    await assert.rejects(gate.next(1000), /already waiting/);
    gate.put(frame(3));
    assert.deepStrictEqual([(await a).jpeg[0], (await b).jpeg[0]], [3, 3]);
    await assert.rejects(gate.next(30), /no frame within/);
    assert.deepStrictEqual(gate.counters, { captured: 3, emitted: 3, dropped: 0 }, 'frame 3 answered two requests: two msgs sent; frame 1, replaced before anyone asked, is not lost work');
  });

  it('on request: frames nobody asked for (replaced, arriving while paused, cleared on stop) are not counted as dropped', () => {
    const gate = new LatestFrameGate(() => assert.fail('no timed sends in trigger mode'), 'on-request');
    gate.put(frame(1));
    gate.put(frame(2));
    gate.setPaused(true);
    gate.put(frame(3));
    gate.setPaused(false);
    gate.put(frame(4));
    gate.clear('stopped');
    assert.deepStrictEqual(gate.counters, { captured: 4, emitted: 0, dropped: 0 });
  });

  it('with pace 0 (sources polled at the target rate) sends each frame at once', () => {
    const sent = [];
    const gate = new LatestFrameGate((f) => sent.push(f.jpeg[0]), 0);
    for (let i = 0; i < 5; i++) gate.put(frame(i));
    assert.deepStrictEqual(sent, [0, 1, 2, 3, 4]);
    assert.deepStrictEqual(gate.counters, { captured: 5, emitted: 5, dropped: 0 });
  });

  it('drops everything while paused', () => {
    const gate = new LatestFrameGate(() => assert.fail('paused'), 10);
    gate.setPaused(true);
    gate.put(frame(1));
    assert.deepStrictEqual(gate.counters, { captured: 1, emitted: 0, dropped: 1 });
  });
});
