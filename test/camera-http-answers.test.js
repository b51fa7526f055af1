'use strict';
// What an IP camera answers instead of images (a Digest challenge, a redirect, a login page, a stream at a
// snapshot URL): the reason shown must say what came and what to change, not a misleading guess.
const assert = require('assert');
const http = require('http');
const net = require('net');
const path = require('path');
const { DIST } = require('./support/paths');
const { makeFrames } = require('./support/jpeg-fixtures');
const { until } = require('./support/wait');

const { SnapshotClient, MjpegHttpSource } = require(path.join(DIST, 'lib', 'camera', 'http-sources.js'));
const { DEFAULT_SUPERVISION } = require(path.join(DIST, 'lib', 'camera', 'source.js'));

/** A loopback server answering every request with `answer(req, res)`. */
function serve(answer) {
  const sockets = new Set();
  const server = http.createServer(answer);
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({
        url: (p = '/') => new URL(`http://127.0.0.1:${server.address().port}${p}`),
        close: () => {
          for (const s of sockets) s.destroy();
          return new Promise((r) => server.close(r));
        },
      }),
    ),
  );
}

const supervision = { ...DEFAULT_SUPERVISION, retryMinMs: 50, retryMaxMs: 100, stallMs: 2000 };

/** The first warning an MJPEG source gives against the server. */
async function mjpegWarning(server, user = '', password = '') {
  const warnings = [];
  const src = new MjpegHttpSource({ url: server.url('/video'), user, password }, { frame() {}, state() {}, warn: (m) => warnings.push(m) }, supervision);
  src.start();
  try {
    return await until(() => warnings[0], 'a warning');
  } finally {
    await src.stop();
  }
}

async function snapshotError(server, user = '', password = '', timeoutMs = 5000, maxBytes = 8 * 1024 * 1024) {
  const client = new SnapshotClient({ url: server.url('/snap'), user, password }, timeoutMs, maxBytes);
  const started = Date.now();
  try {
    await client.next();
  } catch (err) {
    return { err, ms: Date.now() - started };
  } finally {
    client.release();
  }
  throw new Error('the snapshot did not fail');
}

describe('camera: what an IP camera answers instead of images', function () {
  this.timeout(20000);
  let server;
  afterEach(async () => {
    if (server) await server.close();
    server = undefined;
  });

  it('a camera that only offers Digest authentication: says so rather than "check user and password"', async () => {
    server = await serve((req, res) => {
      res.writeHead(401, { 'www-authenticate': 'Digest realm="IP Camera(basic, digest)", qop="auth,auth-int", nonce="4e3a", opaque="x"' });
      res.end();
    });
    for (const message of [(await snapshotError(server, 'admin', 'pw')).err.message, await mjpegWarning(server, 'admin', 'pw')]) {
      assert.match(message, /HTTP 401 Unauthorized \(the camera wants Digest authentication; this node sends Basic only/);
      assert.doesNotMatch(message, /check user and password/);
    }
  });

  it('401 with Basic offered: check user and password; without any credentials set: the camera needs them', async () => {
    server = await serve((req, res) => {
      res.writeHead(401, { 'www-authenticate': 'Digest realm="cam", nonce="1", Basic realm="cam"' });
      res.end();
    });
    assert.match((await snapshotError(server, 'admin', 'wrong')).err.message, /HTTP 401 Unauthorized \(check user and password\)$/);
    assert.match(await mjpegWarning(server), /HTTP 401 Unauthorized \(the camera needs a user and password\)$/);
  });

  it('a redirect is not followed (the password would go along) but named, absolute and without credentials', async () => {
    server = await serve((req, res) => {
      res.writeHead(302, { location: req.url === '/snap' ? 'http://admin:hunter2@10.9.8.7/cgi/jpg?ch=1' : '/other/video.mjpg' });
      res.end();
    });
    const snap = (await snapshotError(server)).err.message;
    assert.match(snap, /HTTP 302 Found: the camera sends it to http:\/\/admin:\*\*\*@10\.9\.8\.7\/cgi\/jpg\?ch=1; put that URL in the node/);
    assert.doesNotMatch(snap, /hunter2/);
    assert.match(await mjpegWarning(server), new RegExp(`HTTP 302 Found: the camera sends it to ${server.url('/other/video.mjpg').href.replace(/[.?]/g, '\\$&')};`));
  });

  it('an MJPEG URL that answers a page (a login form) and ends: names what came, not "the server ended the stream"', async () => {
    server = await serve((req, res) => {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end('<html><body><form>login</form></body></html>');
    });
    const message = await mjpegWarning(server);
    assert.match(message, /^the server answered text\/html without a JPEG frame \(44 bytes received, 44 not JPEG, 0 parts rejected\); is it the camera's MJPEG URL\?$/);
  });

  it('an MJPEG stream that ends after frames is still "the server ended the stream"', async () => {
    const [frame] = await makeFrames(1, 32, 24);
    server = await serve((req, res) => {
      res.writeHead(200, { 'content-type': 'multipart/x-mixed-replace; boundary=b' });
      res.end(Buffer.concat([Buffer.from(`--b\r\nContent-Type: image/jpeg\r\nContent-Length: ${frame.length}\r\n\r\n`), frame, Buffer.from('\r\n')]));
    });
    assert.strictEqual(await mjpegWarning(server), 'the server ended the stream');
  });

  it('a snapshot URL that answers an MJPEG stream fails at once saying so, not after the timeout', async () => {
    const [frame] = await makeFrames(1, 32, 24);
    const timers = new Set();
    server = await serve((req, res) => {
      res.writeHead(200, { 'content-type': 'multipart/x-mixed-replace; boundary=frame' });
      const part = () => {
        if (res.destroyed) return;
        res.write(Buffer.concat([Buffer.from('--frame\r\nContent-Type: image/jpeg\r\n\r\n'), frame, Buffer.from('\r\n')]));
        timers.add(setTimeout(part, 20));
      };
      part();
    });
    try {
      // read as an image, the stream would fail only at the 10 s timeout
      const { err, ms } = await snapshotError(server, '', '', 10000);
      assert.strictEqual(err.code, 'SNAPSHOT_FAILED');
      assert.match(err.message, /the URL sends a stream \(multipart\/x-mixed-replace; boundary=frame\), not one image; use the HTTP MJPEG source$/);
      assert.ok(ms < 5000, `failed after ${ms} ms`);
    } finally {
      for (const t of timers) clearTimeout(t);
    }
  });

  it('a snapshot over max frame MB fails at once when its Content-Length says so, and names the setting either way', async () => {
    const maxBytes = Math.floor(0.1 * 1048576);
    const timers = new Set();
    server = await serve((req, res) => {
      const declared = req.url === '/snap';
      // 300 KB at 10 KB per 300 ms: reading up to the limit would take three seconds, the whole image nine
      res.writeHead(200, declared ? { 'content-type': 'image/jpeg', 'content-length': 300000 } : { 'content-type': 'image/jpeg' });
      const more = () => {
        if (res.destroyed) return;
        res.write(Buffer.alloc(10000, 1));
        timers.add(setTimeout(more, 300));
      };
      more();
    });
    try {
      const { err, ms } = await snapshotError(server, '', '', 10000, maxBytes);
      assert.match(err.message, /: image of 300000 bytes, over the max frame size \(0\.1 MB\); if the camera sends larger images, raise "Max frame MB" in the node's settings$/);
      assert.ok(ms < 1500, `failed after ${ms} ms`);
      const client = new SnapshotClient({ url: server.url('/chunked'), user: '', password: '' }, 10000, maxBytes);
      await assert.rejects(client.next(), /: image over the max frame size \(0\.1 MB\); if the camera sends larger images, raise "Max frame MB"/);
      client.release();
    } finally {
      for (const t of timers) clearTimeout(t);
    }
  });

  it('a snapshot followed by bytes its Content-Length did not count: the whole image is taken, every time', async () => {
    const [frame] = await makeFrames(1, 32, 24);
    let requests = 0;
    const raw = net.createServer((socket) => {
      socket.on('error', () => {});
      socket.on('data', () => {
        requests++;
        socket.write(Buffer.concat([Buffer.from(`HTTP/1.1 200 OK\r\nContent-Type: image/jpeg\r\nContent-Length: ${frame.length}\r\n\r\n`), frame, Buffer.from('\0\0\0\0')]));
      });
    });
    await new Promise((r) => raw.listen(0, '127.0.0.1', r));
    const client = new SnapshotClient({ url: new URL(`http://127.0.0.1:${raw.address().port}/snap`), user: '', password: '' }, 5000, 1 << 20);
    try {
      for (let i = 0; i < 3; i++) assert.ok((await client.next()).jpeg.equals(frame), `fetch ${i}`);
      assert.strictEqual(requests, 3);
    } finally {
      client.release();
      await new Promise((r) => raw.close(r));
    }
  });

  it('a kept-alive connection the camera closes just as the next fetch goes out: that fetch is sent again on a new one', async () => {
    const [frame] = await makeFrames(1, 32, 24);
    let connections = 0;
    let requests = 0;
    // Answers the first request of each connection; the next one finds it closing (its keep-alive time is up).
    const raw = net.createServer((socket) => {
      connections++;
      let served = 0;
      socket.on('error', () => {});
      socket.on('data', () => {
        requests++;
        if (served++ > 0) return socket.destroy();
        socket.write(Buffer.concat([Buffer.from(`HTTP/1.1 200 OK\r\nContent-Type: image/jpeg\r\nContent-Length: ${frame.length}\r\n\r\n`), frame]));
      });
    });
    await new Promise((r) => raw.listen(0, '127.0.0.1', r));
    const client = new SnapshotClient({ url: new URL(`http://127.0.0.1:${raw.address().port}/snap`), user: '', password: '' }, 5000, 1 << 20);
    try {
      for (let i = 0; i < 3; i++) assert.ok((await client.next()).jpeg.equals(frame), `fetch ${i}`);
      assert.deepStrictEqual([connections, requests], [3, 5], 'each fetch after the first was tried on the old connection, then on a new one');
    } finally {
      client.release();
      await new Promise((r) => raw.close(r));
    }
  });

  it('a connection left idle between snapshots is closed by the node, not held until the camera or the network drops it', async () => {
    const [frame] = await makeFrames(1, 32, 24);
    const open = new Set();
    let connections = 0;
    const server = http.createServer((req, res) => {
      res.writeHead(200, { 'content-type': 'image/jpeg', 'content-length': frame.length });
      res.end(frame);
    });
    server.keepAliveTimeout = 0; // this camera never closes an idle connection itself
    server.on('connection', (s) => {
      connections++;
      open.add(s);
      s.on('close', () => open.delete(s));
    });
    await new Promise((r) => server.listen(0, '127.0.0.1', r));
    const client = new SnapshotClient({ url: new URL(`http://127.0.0.1:${server.address().port}/snap`), user: '', password: '' }, 5000, 1 << 20, 300);
    try {
      assert.ok((await client.next()).jpeg.equals(frame));
      assert.ok((await client.next()).jpeg.equals(frame));
      assert.strictEqual(connections, 1, 'back-to-back fetches share a connection');
      await until(() => open.size === 0, 'the idle connection closed', 5000);
      assert.ok((await client.next()).jpeg.equals(frame));
      assert.strictEqual(connections, 2);
    } finally {
      client.release();
      for (const s of open) s.destroy();
      await new Promise((r) => server.close(r));
    }
  });

  it('a fetch on a new connection that the camera drops is not sent again: it fails', async () => {
    let requests = 0;
    const raw = net.createServer((socket) => {
      socket.on('error', () => {});
      socket.on('data', () => {
        requests++;
        socket.destroy();
      });
    });
    await new Promise((r) => raw.listen(0, '127.0.0.1', r));
    const client = new SnapshotClient({ url: new URL(`http://127.0.0.1:${raw.address().port}/snap`), user: '', password: '' }, 5000, 1 << 20);
    try {
      await assert.rejects(client.next(), (e) => e.code === 'SNAPSHOT_FAILED' && /socket hang up/.test(e.message));
      assert.strictEqual(requests, 1);
    } finally {
      client.release();
      await new Promise((r) => raw.close(r));
    }
  });
});
