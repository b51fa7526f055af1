'use strict';
// https IP cameras that sign their own certificate (most do): refused with a reason that says what to set, and
// read through Node-RED's own TLS configuration node (its CA certificate, or with verification off).
const assert = require('assert');
const fs = require('fs');
const https = require('https');
const path = require('path');
const helper = require('node-red-node-test-helper');
const { DIST } = require('./support/paths');
const { makeFrames } = require('./support/jpeg-fixtures');
const { watchCamera } = require('./support/camera-fakes');
const { until } = require('./support/wait');

const { SnapshotClient, MjpegHttpSource } = require(path.join(DIST, 'lib', 'camera', 'http-sources.js'));
const { DEFAULT_SUPERVISION } = require(path.join(DIST, 'lib', 'camera', 'source.js'));
const cameraNode = require(path.join(DIST, 'nodes', 'yolo-camera.js'));
const tlsNode = require(require.resolve('@node-red/nodes/core/network/05-tls.js'));
helper.init(require.resolve('node-red'));

const TLS_DIR = path.join(__dirname, 'fixtures', 'tls');
const CERT = fs.readFileSync(path.join(TLS_DIR, 'camera-cert.pem'));
const KEY = fs.readFileSync(path.join(TLS_DIR, 'camera-key.pem'));
const AUTH = 'Basic ' + Buffer.from('viewer:s3cret').toString('base64');
const UNTRUSTED = /the camera's certificate is not trusted \(self-signed certificate\): use a TLS configuration with its CA certificate, or with "verify server certificate" off/;

/** A loopback https camera with a self-signed certificate: /snap (one JPEG), /video (MJPEG), basic auth. */
function startCamera(frames) {
  const state = { snapshots: 0, sockets: new Set() };
  const server = https.createServer({ cert: CERT, key: KEY }, (req, res) => {
    if (req.headers.authorization !== AUTH) {
      res.writeHead(401, { 'www-authenticate': 'Basic realm="cam"' });
      return res.end();
    }
    if (req.url === '/snap') {
      const f = frames[state.snapshots++ % frames.length];
      res.writeHead(200, { 'content-type': 'image/jpeg', 'content-length': f.length });
      return res.end(f);
    }
    res.writeHead(200, { 'content-type': 'multipart/x-mixed-replace; boundary=b' });
    let i = 0;
    const timer = setInterval(() => res.write(Buffer.concat([Buffer.from('--b\r\nContent-Type: image/jpeg\r\n\r\n'), frames[i++ % frames.length], Buffer.from('\r\n')])), 10);
    res.on('close', () => clearInterval(timer));
  });
  server.on('secureConnection', (s) => {
    state.sockets.add(s);
    s.on('close', () => state.sockets.delete(s));
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => {
      state.url = (p) => new URL(`https://127.0.0.1:${server.address().port}${p}`);
      state.close = () => {
        for (const s of state.sockets) s.destroy();
        return new Promise((r) => server.close(r));
      };
      resolve(state);
    }),
  );
}

const supervision = { ...DEFAULT_SUPERVISION, retryMinMs: 50, retryMaxMs: 100, stallMs: 2000 };

async function snapshot(camera, tls) {
  const client = new SnapshotClient({ url: camera.url('/snap'), user: 'viewer', password: 's3cret', tls }, 5000, 1 << 20);
  try {
    return await client.next();
  } finally {
    client.release();
  }
}

/** The first frame or the first warning of an MJPEG source against the camera. */
async function mjpegOutcome(camera, tls) {
  const got = { frames: [], warnings: [] };
  const src = new MjpegHttpSource({ url: camera.url('/video'), user: 'viewer', password: 's3cret', tls }, { frame: (jpeg) => got.frames.push(jpeg), state() {}, warn: (m) => got.warnings.push(m) }, supervision);
  src.start();
  try {
    await until(() => got.frames.length > 0 || got.warnings.length > 0, 'a frame or a warning', 5000);
    return got;
  } finally {
    await src.stop();
  }
}

describe('camera: https cameras with their own certificate', function () {
  this.timeout(20000);
  let frames;
  let camera;
  before(async () => {
    frames = await makeFrames(3);
  });
  beforeEach(async () => {
    camera = await startCamera(frames);
  });
  afterEach(async () => {
    await helper.unload();
    await camera.close();
  });

  it('without a TLS configuration: refused, and the reason says what to set (snapshot and MJPEG)', async () => {
    await assert.rejects(snapshot(camera), (err) => err.code === 'SNAPSHOT_FAILED' && UNTRUSTED.test(err.message));
    const got = await mjpegOutcome(camera);
    assert.strictEqual(got.frames.length, 0);
    assert.match(got.warnings[0], UNTRUSTED);
  });

  it('with the camera\'s certificate as CA, verified: images come (snapshot and MJPEG)', async () => {
    const { jpeg } = await snapshot(camera, { ca: CERT, rejectUnauthorized: true });
    assert.ok(jpeg.equals(frames[0]));
    const got = await mjpegOutcome(camera, { ca: CERT, rejectUnauthorized: true });
    assert.deepStrictEqual(got.warnings, []);
    assert.ok(got.frames[0].equals(frames[0]));
  });

  it('with verification off: images come (snapshot and MJPEG)', async () => {
    const { jpeg } = await snapshot(camera, { rejectUnauthorized: false });
    assert.ok(jpeg.equals(frames[0]));
    assert.ok((await mjpegOutcome(camera, { rejectUnauthorized: false })).frames[0].equals(frames[0]));
  });

  it('the node with a tls-config node holding the CA certificate: snapshots in https, credentials sent', async () => {
    const flow = [
      { id: 'n-tls', type: 'tls-config', name: 'camera CA', verifyservercert: true },
      { id: 'n-cam', type: 'yolo-camera', source: 'snapshot', url: camera.url('/snap').href, fps: 20, tls: 'n-tls', wires: [['n-out']] },
      { id: 'n-out', type: 'helper' },
    ];
    await helper.load([tlsNode, cameraNode], flow, { 'n-tls': { cadata: CERT.toString() }, 'n-cam': { user: 'viewer', password: 's3cret' } });
    const got = watchCamera(helper);
    await until(() => got.msgs.length >= 3, 'three snapshots', 10000);
    assert.ok(got.msgs.every((m) => frames.some((f) => f.equals(m.payload))));
    assert.deepStrictEqual(got.errors, []);
  });

  it('the node without it: the status says the certificate is not trusted', async () => {
    const flow = [
      { id: 'n-cam', type: 'yolo-camera', source: 'mjpeg', url: camera.url('/video').href, retryMin: 0.1, retryMax: 0.2, wires: [['n-out']] },
      { id: 'n-out', type: 'helper' },
    ];
    await helper.load(cameraNode, flow, { 'n-cam': { user: 'viewer', password: 's3cret' } });
    const got = watchCamera(helper);
    await until(() => got.statuses.some((s) => s.fill === 'red'), 'a red status', 5000);
    assert.match(got.statuses.find((s) => s.fill === 'red').text, /^the camera's certificate is not trusted \(self-signed certificate\): use a TLS configuration/);
    assert.strictEqual(got.msgs.length, 0);
  });

  it('a TLS configuration that is not deployed: a configuration error; for a source that does not use it, nothing', async () => {
    const flow = (source) => [
      { id: 'n-cam', type: 'yolo-camera', source, url: camera.url('/snap').href, folder: path.join(__dirname, 'fixtures', 'coco128-sample'), tls: 'gone', wires: [['n-out']] },
      { id: 'n-out', type: 'helper' },
    ];
    await helper.load(cameraNode, flow('snapshot'));
    let got = watchCamera(helper);
    helper.getNode('n-cam').receive({ payload: 1 });
    await until(() => got.errors.length >= 1, 'an error', 2000);
    assert.match(got.errors[0], /TLS configuration gone not found \(deleted, or not a tls-config node\)/);
    await helper.unload();
    await helper.load(cameraNode, flow('folder'));
    got = watchCamera(helper);
    await until(() => got.msgs.length >= 1, 'a frame from the folder', 5000);
    await helper.unload();
    // an id of a megabyte (a hand-edited flow file) was named whole in the log and in every refused msg's error
    const big = 'a/'.repeat(5e5);
    const f = flow('snapshot');
    f[0].tls = big;
    await helper.load(cameraNode, f);
    got = watchCamera(helper);
    helper.getNode('n-cam').receive({ payload: 1 });
    await until(() => got.errors.length >= 1, 'an error', 2000);
    assert.ok(got.errors.every((e) => e.length < 400), `${got.errors[0].length} characters`);
    assert.strictEqual(got.errors[0], `camera configuration: TLS configuration "${big.slice(0, 200)}"... (1000000 characters) not found (deleted, or not a tls-config node)`);
  });
});
