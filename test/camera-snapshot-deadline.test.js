'use strict';
// The snapshot source against a hostile server that answers 200 and then trickles the image at 1 byte/s: a socket
// idle timeout never fires, so each fetch needs an overall deadline, and stop/close must abort a fetch in flight.
const assert = require('assert');
const http = require('http');
const path = require('path');
const helper = require('node-red-node-test-helper');
const { DIST } = require('./support/paths');
const { makeFrames } = require('./support/jpeg-fixtures');
const { watchCamera } = require('./support/camera-fakes');
const { until } = require('./support/wait');

const cameraNode = require(path.join(DIST, 'nodes', 'yolo-camera.js'));
helper.init(require.resolve('node-red'));

const MB = 1024 * 1024;

/** /snapshot: the headers of a whole JPEG, then one byte of it per second, never the rest; /whole: the JPEG at once. */
function startTrickleServer(jpeg) {
  const state = { requests: 0, connections: 0, bytesSent: 0, sockets: new Set(), timers: new Set() };
  const server = http.createServer((req, res) => {
    state.requests++;
    if (req.url === '/whole') {
      res.writeHead(200, { 'content-type': 'image/jpeg', 'content-length': jpeg.length });
      return res.end(jpeg);
    }
    res.writeHead(200, { 'content-type': 'image/jpeg', 'content-length': jpeg.length });
    let i = 0;
    const send = () => {
      if (res.destroyed || i >= jpeg.length - 1) return;
      res.write(jpeg.subarray(i, ++i));
      state.bytesSent++;
      const t = setTimeout(send, 1000);
      state.timers.add(t);
    };
    send();
  });
  server.on('connection', (s) => {
    state.connections++;
    state.sockets.add(s);
    s.on('close', () => state.sockets.delete(s));
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => {
      state.url = `http://127.0.0.1:${server.address().port}/snapshot`;
      state.wholeUrl = `http://127.0.0.1:${server.address().port}/whole`;
      state.close = () => {
        for (const t of state.timers) clearTimeout(t);
        for (const s of state.sockets) s.destroy();
        return new Promise((r) => server.close(r));
      };
      resolve(state);
    }),
  );
}

function flow(config) {
  return [
    { id: 'n-cam', type: 'yolo-camera', name: 'camera', wires: [['n-out']], source: 'snapshot', fps: 10, retryMin: 0.1, retryMax: 0.4, ...config },
    { id: 'n-out', type: 'helper' },
  ];
}

const watch = () => watchCamera(helper);

describe('camera node: snapshot fetch deadline against a 1 byte/s server', function () {
  this.timeout(30000);
  let jpeg;
  let server;

  before(async () => {
    jpeg = (await makeFrames(1, 200, 150))[0];
  });

  beforeEach((done) => {
    helper.startServer(done);
  });

  afterEach(async () => {
    await helper.unload();
    await new Promise((r) => helper.stopServer(r));
    if (server) await server.close();
    server = undefined;
  });

  it('a fetch that outlives its deadline fails with a clear error, is retried with backoff, in bounded time and memory', async () => {
    server = await startTrickleServer(jpeg);
    const rss0 = process.memoryUsage.rss();
    const t0 = Date.now();
    // 2 s overall deadline: longer than the 1 s between bytes, so an idle timeout of the same length never fires.
    await helper.load(cameraNode, flow({ url: server.url, timeout: 2 }));
    const got = watch();
    await until(() => got.warnings.length >= 1, 'a deadline warning', 5000);
    const firstFailureMs = Date.now() - t0;
    assert.match(got.warnings[0], /^snapshot http:\/\/127\.0\.0\.1:\d+\/snapshot: no whole image within 2\.0 s \(\d+ bytes? of the image received\)$/);
    assert.ok(firstFailureMs < 4000, `first failure after ${firstFailureMs} ms with a 2 s deadline`);
    // The status line is shortened to 100 characters; the warning above holds the whole reason.
    assert.ok(got.statuses.some((s) => s.fill === 'red' && /no whole image within 2\.0 s/.test(s.text)), 'the red status names the deadline');
    await until(() => server.requests >= 2, 'the next poll after the backoff', 3000);
    // The first fetch's socket was destroyed by the deadline: only the retry's socket is open.
    await until(() => server.sockets.size <= 1, 'the timed-out socket closed', 1000);
    assert.strictEqual(got.msgs.length, 0);
    const growthMb = (process.memoryUsage.rss() - rss0) / MB;
    assert.ok(growthMb < 100, `RSS grew ${growthMb.toFixed(1)} MB`);
    assert.ok(Date.now() - t0 < 10000, `finished in ${Date.now() - t0} ms`);
  });

  it('stop aborts a fetch in flight at once and leaves no socket open', async () => {
    server = await startTrickleServer(jpeg);
    await helper.load(cameraNode, flow({ url: server.url, timeout: 60 }));
    const got = watch();
    await until(() => server.bytesSent >= 2, 'a fetch in flight', 5000);
    const t0 = Date.now();
    helper.getNode('n-cam').receive({ command: 'stop' });
    await until(() => server.sockets.size === 0, 'no socket left on the server', 1000);
    assert.ok(Date.now() - t0 < 1000, `the fetch was aborted ${Date.now() - t0} ms after stop`);
    await until(() => got.statuses.some((s) => /^stopped/.test(s.text)), 'the stopped status', 2000);
    assert.strictEqual(got.errors.length, 0, got.errors.join('; '));
    assert.strictEqual(got.warnings.length, 0, 'an abort on stop is not a failure to warn about');
    const requests = server.requests;
    await new Promise((r) => setTimeout(r, 500));
    assert.strictEqual(server.requests, requests, 'no fetch after stop');
  });

  it('a healthy camera: one kept-alive connection while polling, closed on stop', async () => {
    server = await startTrickleServer(jpeg);
    await helper.load(cameraNode, flow({ url: server.wholeUrl, timeout: 2 }));
    const got = watch();
    await until(() => got.msgs.length >= 4, 'four snapshots', 5000);
    assert.ok(got.msgs.every((m) => m.payload.equals(jpeg)));
    assert.strictEqual(server.connections, 1, `${server.requests} requests over ${server.connections} connections`);
    helper.getNode('n-cam').receive({ command: 'stop' });
    await until(() => server.sockets.size === 0, 'the idle kept-alive socket closed on stop', 1000);
  });

  it('closing the node (redeploy) aborts a fetch in flight at once and leaves no socket open', async () => {
    server = await startTrickleServer(jpeg);
    await helper.load(cameraNode, flow({ url: server.url, timeout: 60 }));
    await until(() => server.bytesSent >= 2, 'a fetch in flight', 5000);
    const t0 = Date.now();
    await helper.unload();
    const closeMs = Date.now() - t0;
    assert.ok(closeMs < 1000, `close took ${closeMs} ms`);
    await until(() => server.sockets.size === 0, 'no socket left on the server', 1000);
  });

  it('trigger mode: requests beyond 16 waiting are answered BUSY at once; close fails the waiting ones', async () => {
    server = await startTrickleServer(jpeg);
    await helper.load(cameraNode, flow({ url: server.url, timeout: 60, mode: 'trigger' }));
    const got = watch();
    const cam = helper.getNode('n-cam');
    // the helper's spies go at unload: errors after it are seen here
    const errors = [];
    cam.error = (err) => errors.push(err);
    for (let i = 0; i < 20; i++) cam.receive({ payload: i });
    await until(() => errors.length >= 4, 'BUSY for the four requests beyond 16', 2000);
    assert.deepStrictEqual(errors.map((e) => e.code), Array(4).fill('BUSY'));
    assert.match(errors[0].message, /16 capture requests are already waiting/);
    assert.strictEqual(server.requests, 1, 'one fetch at a time');
    await helper.unload();
    await until(() => errors.length === 20, 'every waiting request failed on close', 2000);
    assert.deepStrictEqual(errors.slice(4).map((e) => e.code), Array(16).fill('STOPPED'));
    assert.strictEqual(got.msgs.length, 0);
    assert.strictEqual(server.requests, 1, 'no queued request was fetched on close');
  });

  it('trigger mode: a request that outlives its deadline fails the input message so Catch nodes see it', async () => {
    server = await startTrickleServer(jpeg);
    await helper.load(cameraNode, flow({ url: server.url, timeout: 1.5, mode: 'trigger' }));
    const got = watch();
    const t0 = Date.now();
    helper.getNode('n-cam').receive({ payload: 1 });
    await until(() => got.errors.length >= 1, 'an error for the input', 4000);
    assert.ok(Date.now() - t0 < 3500, `failed after ${Date.now() - t0} ms with a 1.5 s deadline`);
    assert.match(got.errors[0], /no whole image within 1\.5 s/);
    await until(() => server.sockets.size === 0, 'no socket left on the server', 1000);
    assert.strictEqual(got.msgs.length, 0);
  });
});
