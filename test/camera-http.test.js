'use strict';
// The yolo-camera node with IP cameras (loopback HTTP MJPEG and snapshot servers on 127.0.0.1, port 0) and
// image folders (the shared coco128 images, and a temp folder that grows while watched).
const assert = require('assert');
const fs = require('fs');
const http = require('http');
const os = require('os');
const path = require('path');
const helper = require('node-red-node-test-helper');
const { DIST, requireCoco128 } = require('./support/paths');
const { makeFrames, withExifThumbnail, oddChunks } = require('./support/jpeg-fixtures');
const { watchCamera } = require('./support/camera-fakes');
const { until } = require('./support/wait');

const cameraNode = require(path.join(DIST, 'nodes', 'yolo-camera.js'));
helper.init(require.resolve('node-red'));

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function flow(config) {
  return [
    { id: 'n-cam', type: 'yolo-camera', name: 'camera', wires: [['n-out']], fps: 100, retryMin: 0.1, retryMax: 0.4, stallTimeout: 2, ...config },
    { id: 'n-out', type: 'helper' },
  ];
}

const watch = () => watchCamera(helper);

const AUTH = 'Basic ' + Buffer.from('viewer:s3cret').toString('base64');

/** A loopback camera: /mjpeg (multipart, Content-Length optional), /snapshot (one JPEG), basic auth. */
function startCamera(frames, options = {}) {
  const state = { connections: 0, snapshots: 0, sockets: new Set() };
  const server = http.createServer(async (req, res) => {
    if (req.headers.authorization !== AUTH) {
      res.writeHead(401, { 'www-authenticate': 'Basic realm="cam"' });
      return res.end();
    }
    if (req.url === '/snapshot') {
      const f = frames[state.snapshots++ % frames.length];
      res.writeHead(200, { 'content-type': options.snapshotType ?? 'image/jpeg', 'content-length': f.length });
      return res.end(f);
    }
    if (req.url === '/mjpeg') {
      state.connections++;
      const boundary = 'camboundary';
      res.writeHead(200, { 'content-type': `multipart/x-mixed-replace; boundary=${options.dashedBoundary ? '--' : ''}${boundary}` });
      for (let i = 0; i < (options.framesPerConnection ?? Infinity) && !res.destroyed; i++) {
        const f = frames[i % frames.length];
        const head = `--${boundary}\r\nContent-Type: image/jpeg\r\n${options.contentLength ? `Content-Length: ${f.length}\r\n` : ''}\r\n`;
        for (const c of oddChunks(Buffer.concat([Buffer.from(head), f, Buffer.from('\r\n')]), [7, 501, 3, 1999])) res.write(c);
        await sleep(10);
      }
      return res.end();
    }
    res.writeHead(404);
    res.end();
  });
  server.on('connection', (s) => {
    state.sockets.add(s);
    s.on('close', () => state.sockets.delete(s));
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => {
      state.url = (p) => `http://127.0.0.1:${server.address().port}${p}`;
      state.close = () => {
        for (const s of state.sockets) s.destroy();
        return new Promise((r) => server.close(r));
      };
      resolve(state);
    }),
  );
}

const creds = { 'n-cam': { user: 'viewer', password: 's3cret' } };

describe('camera node: IP cameras and folders', function () {
  this.timeout(20000);
  let frames;
  let camera;

  before(async () => {
    const plain = await makeFrames(4, 200, 150);
    const thumb = (await makeFrames(1, 40, 30))[0];
    frames = plain.map((f, i) => (i === 2 ? withExifThumbnail(f, thumb) : f));
  });

  beforeEach((done) => {
    helper.startServer(done);
  });

  afterEach(async () => {
    await helper.unload();
    await new Promise((r) => helper.stopServer(r));
    if (camera) await camera.close();
    camera = undefined;
  });

  for (const contentLength of [true, false]) {
    it(`HTTP MJPEG ${contentLength ? 'with' : 'without'} Content-Length: whole frames, basic auth, reconnects when the server ends the stream`, async () => {
      camera = await startCamera(frames, { contentLength, dashedBoundary: !contentLength, framesPerConnection: 8 });
      await helper.load(cameraNode, flow({ source: 'mjpeg', url: camera.url('/mjpeg') }), creds);
      const got = watch();
      await until(() => camera.connections >= 2 && got.msgs.length >= 12, 'frames from two connections', 10000);
      for (const msg of got.msgs) {
        assert.ok(frames.some((f) => f.equals(msg.payload)), `frame ${msg.frame.seq} whole`);
        assert.deepStrictEqual([msg.frame.width, msg.frame.height, msg.frame.source], [200, 150, camera.url('/mjpeg')]);
      }
      assert.ok(got.msgs.some((m) => m.payload.equals(frames[2])), 'the frame with an EXIF thumbnail came through whole');
      assert.ok(got.statuses.some((s) => s.fill === 'red' && /the server ended the stream; retry in 0\.1 s/.test(s.text)));
    });
  }

  it('HTTP MJPEG with a wrong password: a clear status, retried with backoff', async () => {
    camera = await startCamera(frames, { contentLength: true });
    await helper.load(cameraNode, flow({ source: 'mjpeg', url: camera.url('/mjpeg') }), { 'n-cam': { user: 'viewer', password: 'wrong' } });
    const got = watch();
    await until(() => got.statuses.filter((s) => s.fill === 'red').length >= 2, 'two failed attempts', 5000);
    assert.match(got.statuses.find((s) => s.fill === 'red').text, /^HTTP 401 Unauthorized \(check user and password\); retry in 0\.1 s$/);
    assert.strictEqual(got.msgs.length, 0);
  });

  it('HTTP MJPEG with frames over max frame MB: the stall reason counts them, one warning names the setting', async () => {
    const seg = Buffer.alloc(65537, 0x41);
    seg.set([0xff, 0xfe], 0);
    seg.writeUInt16BE(65535, 2);
    const big = Buffer.concat([frames[0].subarray(0, 2), ...Array(10).fill(seg), frames[0].subarray(2)]);
    camera = await startCamera([big], {});
    await helper.load(cameraNode, flow({ source: 'mjpeg', url: camera.url('/mjpeg'), maxFrameMB: 0.5, stallTimeout: 1 }), creds);
    const got = watch();
    await until(() => got.warnings.some((w) => /^no JPEG frame/.test(w)), 'the stall warning', 10000);
    assert.match(got.warnings.find((w) => /^no JPEG frame/.test(w)), /^no JPEG frame for 1\.0 s \(\d+ frames? over the max frame size \(0\.5 MB\); \d+ bytes received, \d+ not JPEG/);
    assert.deepStrictEqual(got.warnings.filter((w) => /^a frame over/.test(w)), ['a frame over the max frame size (0.5 MB) was dropped; if the camera sends larger frames, raise "Max frame MB" in the node\'s settings']);
    assert.strictEqual(got.msgs.length, 0);
  });

  it('HTTP MJPEG closed by the camera in the middle of a frame: the status says so, not just "aborted"', async () => {
    const server = http.createServer((req, res) => {
      res.writeHead(200, { 'content-type': 'multipart/x-mixed-replace; boundary=b' });
      res.write(`--b\r\nContent-Type: image/jpeg\r\nContent-Length: ${frames[0].length}\r\n\r\n`);
      res.write(frames[0].subarray(0, 100), () => setTimeout(() => res.destroy(), 50));
    });
    await new Promise((r) => server.listen(0, '127.0.0.1', r));
    try {
      await helper.load(cameraNode, flow({ source: 'mjpeg', url: `http://127.0.0.1:${server.address().port}/` }));
      const got = watch();
      await until(() => got.warnings.length >= 1, 'a warning', 5000);
      assert.match(got.warnings[0], /the camera closed the connection in the middle of a response/);
      assert.ok(got.statuses.some((st) => st.fill === 'red' && /closed the connection/.test(st.text)), JSON.stringify(got.statuses));
    } finally {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
  });

  it('HTTP MJPEG pointed at a snapshot URL says to use the snapshot source', async () => {
    camera = await startCamera(frames);
    await helper.load(cameraNode, flow({ source: 'mjpeg', url: camera.url('/snapshot') }), creds);
    const got = watch();
    await until(() => got.statuses.some((s) => s.fill === 'red'), 'a red status', 5000);
    assert.match(got.statuses.find((s) => s.fill === 'red').text, /sends single images \(image\/jpeg\); use the snapshot source/);
  });

  it('HTTP snapshot polling: fetches at the target rate only, never more', async () => {
    camera = await startCamera(frames);
    await helper.load(cameraNode, flow({ source: 'snapshot', url: camera.url('/snapshot'), fps: 10 }), creds);
    const got = watch();
    await sleep(1050);
    const n = got.msgs.length;
    assert.ok(n >= 5 && n <= 12, `${n} frames in 1 s at 10 fps`);
    assert.ok(camera.snapshots <= n + 1, `${camera.snapshots} requests for ${n} frames: nothing fetched to be dropped`);
    got.msgs.forEach((m, i) => assert.ok(m.payload.equals(frames[i % frames.length])));
    assert.strictEqual(got.msgs.at(-1).frame.dropped, 0);
  });

  it('HTTP snapshot in trigger mode: one request per input msg', async () => {
    camera = await startCamera(frames);
    await helper.load(cameraNode, flow({ source: 'snapshot', url: camera.url('/snapshot'), mode: 'trigger' }), creds);
    const got = watch();
    await sleep(200);
    assert.strictEqual(camera.snapshots, 0);
    for (let i = 0; i < 3; i++) helper.getNode('n-cam').receive({ payload: i });
    await until(() => got.msgs.length === 3, 'three snapshots', 5000);
    assert.strictEqual(camera.snapshots, 3);
    assert.deepStrictEqual(got.msgs.map((m) => m.frame.seq), [1, 2, 3]);
  });

  it('trigger mode topic: the configured topic, else the input message\'s, else the source\'s name (as the help says)', async () => {
    camera = await startCamera(frames);
    const url = camera.url('/snapshot');
    await helper.load(cameraNode, flow({ source: 'snapshot', url, mode: 'trigger', topic: 'line1' }), creds);
    let got = watch();
    helper.getNode('n-cam').receive({ payload: 'go', topic: 'from-input' });
    await until(() => got.msgs.length === 1, 'a frame', 5000);
    assert.strictEqual(got.msgs[0].topic, 'line1');
    await helper.unload();
    await helper.load(cameraNode, flow({ source: 'snapshot', url, mode: 'trigger' }), creds);
    got = watch();
    helper.getNode('n-cam').receive({ payload: 'go', topic: 'from-input' });
    helper.getNode('n-cam').receive({ payload: 'go' });
    await until(() => got.msgs.length === 2, 'two frames', 5000);
    assert.deepStrictEqual(got.msgs.map((m) => m.topic), ['from-input', got.msgs[1].frame.source]);
  });

  it('HTTP snapshot in trigger mode: a failed fetch turns the status red with its reason, the next success back to ready', async () => {
    // every other snapshot is not a JPEG: fail, succeed, fail ...
    camera = await startCamera([Buffer.from('<html>login</html>'), frames[0]]);
    await helper.load(cameraNode, flow({ source: 'snapshot', url: camera.url('/snapshot'), mode: 'trigger' }), creds);
    const got = watch();
    const cam = helper.getNode('n-cam');
    cam.receive({ payload: 'go' });
    await until(() => got.errors.length === 1, 'the failed request', 5000);
    await until(() => got.statuses.at(-1)?.fill === 'red', 'a red status after the failure', 3000);
    assert.match(got.statuses.at(-1).text, /not a whole JPEG/);
    cam.receive({ payload: 'go' });
    await until(() => got.msgs.length === 1, 'a frame', 5000);
    await until(() => got.statuses.at(-1)?.fill === 'green', 'green again after a frame', 3000);
    assert.match(got.statuses.at(-1).text, /^ready/);
  });

  it('HTTP snapshot that is not a JPEG: warned and retried, nothing sent', async () => {
    camera = await startCamera([Buffer.from('<html>login</html>')], { snapshotType: 'text/html' });
    await helper.load(cameraNode, flow({ source: 'snapshot', url: camera.url('/snapshot'), fps: 20 }), creds);
    const got = watch();
    await until(() => got.warnings.length >= 1, 'a warning', 5000);
    assert.match(got.warnings[0], /not a whole JPEG \(18 bytes, text\/html\)/);
    assert.strictEqual(got.msgs.length, 0);
  });

  it('image folder: every coco128 JPEG once, in name order, then "no more images"', async function () {
    const dir = path.join(requireCoco128(this), 'images');
    const names = fs.readdirSync(dir).filter((n) => /\.jpe?g$/i.test(n)).sort();
    await helper.load(cameraNode, flow({ source: 'folder', folder: dir, fps: 100 }));
    const got = watch();
    await until(() => got.statuses.some((s) => /^no more images/.test(s.text)), 'the end of the folder', 15000);
    assert.deepStrictEqual(got.msgs.map((m) => m.frame.file), names);
    const first = got.msgs[0];
    assert.ok(first.payload.equals(fs.readFileSync(path.join(dir, names[0]))));
    assert.strictEqual(first.frame.source, `folder:${dir}`);
    assert.ok(first.frame.width > 0 && first.frame.height > 0);
  });

  it('image folder, watched and looped: new files are picked up; trigger mode steps through files', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'yolo-camera-folder-'));
    try {
      fs.writeFileSync(path.join(dir, 'frame-2.jpg'), frames[0]);
      fs.writeFileSync(path.join(dir, 'frame-10.jpg'), frames[1]);
      fs.writeFileSync(path.join(dir, 'notes.txt'), 'not an image');
      await helper.load(cameraNode, flow({ source: 'folder', folder: dir, fps: 50, watch: true }));
      let got = watch();
      await until(() => got.msgs.length === 2, 'the two files', 5000);
      assert.deepStrictEqual(got.msgs.map((m) => m.frame.file), ['frame-2.jpg', 'frame-10.jpg'], 'natural order');
      fs.writeFileSync(path.join(dir, 'frame-11.jpg'), frames[2]);
      await until(() => got.msgs.length === 3, 'the new file', 5000);
      assert.strictEqual(got.msgs[2].frame.file, 'frame-11.jpg');
      await helper.unload();

      await helper.load(cameraNode, flow({ source: 'folder', folder: dir, mode: 'trigger', loop: true }));
      got = watch();
      for (let i = 0; i < 4; i++) helper.getNode('n-cam').receive({ payload: i });
      await until(() => got.msgs.length === 4, 'four frames', 5000);
      assert.deepStrictEqual(got.msgs.map((m) => m.frame.file), ['frame-2.jpg', 'frame-10.jpg', 'frame-11.jpg', 'frame-2.jpg']);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('image folder in trigger mode: a burst beyond 16 waiting requests is answered BUSY; close sends nothing more', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'yolo-camera-folder-'));
    try {
      const big = (await makeFrames(1, 1280, 960))[0];
      for (let i = 0; i < 50; i++) fs.writeFileSync(path.join(dir, `f${i}.jpg`), big);
      await helper.load(cameraNode, flow({ source: 'folder', folder: dir, mode: 'trigger', loop: true }));
      const got = watch();
      const cam = helper.getNode('n-cam');
      let closing = false;
      let sentWhileClosing = 0;
      const send = cam.send.bind(cam);
      cam.send = (m) => {
        if (closing) sentWhileClosing++;
        return send(m);
      };
      // the helper's spies go at unload: errors after it are seen here
      const errors = [];
      cam.error = (err) => errors.push(err);
      for (let i = 0; i < 100; i++) cam.receive({ payload: i });
      await until(() => errors.length >= 100 - 16, 'BUSY for the requests beyond 16', 5000);
      assert.ok(errors.every((e) => e.code === 'BUSY'), errors[0]?.message);
      closing = true;
      const sent = got.msgs.length;
      await helper.unload();
      await until(() => sent + errors.length === 100, 'an answer for every request', 2000);
      assert.strictEqual(sentWhileClosing, 0, 'nothing sent while or after closing');
      assert.ok(errors.slice(84).every((e) => e.code === 'STOPPED'), 'requests still queued fail on close');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a bad configuration shows a red status and fails inputs so Catch nodes see it', async () => {
    await helper.load(cameraNode, flow({ source: 'rtsp', url: 'http://not-rtsp/' }));
    const got = watch();
    helper.getNode('n-cam').receive({ payload: 1 });
    await until(() => got.errors.length >= 1, 'an error', 2000);
    assert.match(got.errors.at(-1), /URL must start with rtsp:\/\/ or rtsps:\/\//);
  });
});
