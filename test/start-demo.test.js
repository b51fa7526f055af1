'use strict';
// `npm start` as a user runs it (scripts/start.js): the demo endpoint refuses bodies it would have to hold whole
// in memory, and a malformed request gets no stack trace or host path.
const assert = require('assert');
const fs = require('fs');
const http = require('http');
const net = require('net');
const path = require('path');
const { spawn } = require('child_process');
const { ROOT, requireModel, cocoImage } = require('./support/paths');
const fx = require('./support/fixtures');
const { until } = require('./support/wait');

function freePort() {
  return new Promise((resolve) => {
    const srv = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

describe('npm start (the demo)', function () {
  this.timeout(120000);
  let child;
  let url;
  /** What Node-RED has written to its console (stdout and stderr) so far. */
  let log = '';
  before(async () => {
    requireModel();
    const port = await freePort();
    const dir = fx.tmpDir('yolo-edge-start-');
    const env = { ...process.env, HOST: '127.0.0.1', PORT: String(port), YOLO_EDGE_USER_DIR: path.join(dir, 'user'), YOLO_EDGE_SAMPLES: path.join(dir, 'samples') };
    child = spawn(process.execPath, [path.join(ROOT, 'scripts', 'start.js')], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.setEncoding('utf8').on('data', (d) => { log += d; });
    child.stderr.setEncoding('utf8').on('data', (d) => { log += d; });
    url = `http://127.0.0.1:${port}/yolo-edge/detect`;
    const until = Date.now() + 90000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`npm start exited with ${child.exitCode}`);
      const res = await fetch(url, { method: 'POST', headers: { 'Content-Type': 'image/jpeg' }, body: fs.readFileSync(cocoImage('000000000034.jpg')) }).catch(() => undefined);
      if (res && res.status === 200) break;
      if (Date.now() > until) throw new Error('the demo endpoint did not answer 200');
      await new Promise((r) => setTimeout(r, 500));
    }
  });
  after(async () => {
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGINT');
    await exited;
  });

  /**
   * An upload from `localAddress` that stays open (10 of its 1000 bytes sent); `answered` once the server replies to
   * it, with `status` and the JSON `body`.
   */
  function openUpload(localAddress) {
    const target = new URL(url);
    return new Promise((resolve) => {
      const req = http.request({ host: target.hostname, port: target.port, path: target.pathname, localAddress, method: 'POST', headers: { 'Content-Type': 'image/jpeg', 'Content-Length': 1000 } });
      req.on('error', () => {});
      req.on('response', (res) => {
        req.answered = true;
        req.status = res.statusCode;
        let text = '';
        res.setEncoding('utf8').on('data', (d) => { text += d; }).on('end', () => { req.body = JSON.parse(text); });
      });
      req.write(Buffer.alloc(10), () => resolve(req));
    });
  }

  /** A whole upload of `body` from `localAddress`: its status and JSON answer. */
  function upload(localAddress, body) {
    const target = new URL(url);
    return new Promise((resolve, reject) => {
      const req = http.request({ host: target.hostname, port: target.port, path: target.pathname, localAddress, method: 'POST', headers: { 'Content-Type': 'image/jpeg', 'Content-Length': body.length } });
      req.on('error', reject);
      req.on('response', (res) => {
        let text = '';
        res.setEncoding('utf8').on('data', (d) => { text += d; }).on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: JSON.parse(text) }));
      });
      req.end(body);
    });
  }

  it('answers 413 to a body over 20 MB and 411 to one that does not say its length, before reading it', async () => {
    const big = await fetch(url, { method: 'POST', headers: { 'Content-Type': 'image/jpeg' }, body: Buffer.alloc(21 * 1048576) });
    assert.strictEqual(big.status, 413);
    assert.match((await big.json()).error, /over 20 MB/);
    const chunked = new ReadableStream({ start(c) { c.enqueue(new Uint8Array([0xff, 0xd8])); c.close(); } });
    const unsized = await fetch(url, { method: 'POST', headers: { 'Content-Type': 'image/jpeg' }, body: chunked, duplex: 'half' });
    assert.strictEqual(unsized.status, 411);
  });

  it('answers a malformed request without a stack trace or host path, and a bad image as the client\'s error', async () => {
    const notJpeg = await fetch(url, { method: 'POST', headers: { 'Content-Type': 'image/jpeg' }, body: Buffer.from('not a jpeg at all') });
    assert.strictEqual(notJpeg.status, 400);
    assert.strictEqual((await notJpeg.json()).code, 'BAD_IMAGE');
    const text2 = await fetch(url, { method: 'POST', headers: { 'Content-Type': 'text/plain' }, body: 'hello' });
    assert.strictEqual(text2.status, 400);
    assert.deepStrictEqual(await text2.json(), { error: 'send the image itself as the request body (Content-Type image/jpeg, image/png or image/webp)', code: 'BAD_PAYLOAD' });
  });

  it('answers a JSON or form body with its own JSON error, unread: a broken or large one logs no stack trace', async () => {
    // The editor's body parsers, in front of every path, read these first: a broken or over 5 MB one got Node-RED's
    // HTML error page and a stack trace in the log per request.
    const bodies = [
      ['application/json', '"/etc/passwd'],
      ['application/json', '{"image": '],
      ['application/json', JSON.stringify({ image: 'x'.repeat(6 * 1048576) })],
      ['application/json; charset=utf-8', '{"image": "a"}'],
      ['application/x-www-form-urlencoded', 'image=a&b=%E0%A4%A'],
      ['application/x-www-form-urlencoded', `image=${'x'.repeat(6 * 1048576)}`],
    ];
    const before = log.length;
    for (const [type, body] of bodies) {
      const res = await fetch(url, { method: 'POST', headers: { 'Content-Type': type }, body });
      const what = `${type}, ${body.length} characters`;
      assert.strictEqual(res.status, 415, what);
      assert.deepStrictEqual(await res.json(), { error: 'a JSON or form body is not read: send the image itself as the request body (Content-Type image/jpeg, image/png or image/webp)' }, what);
    }
    const ok = await fetch(url, { method: 'POST', headers: { 'Content-Type': 'image/jpeg' }, body: fs.readFileSync(cocoImage('000000000034.jpg')) });
    assert.strictEqual(ok.status, 200);
    assert.ok(!/\n\s+at /.test(log.slice(before)), log.slice(before, before + 2000));
    // the editor's API still reads its own bodies: a broken one is its 400
    const admin = await fetch(new URL('/flows', url), { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"flows": ' });
    assert.strictEqual(admin.status, 400);
  });

  it('answers a Content-Type it cannot read as the client\'s error (400, JSON), not 500', async () => {
    // the http in node's own parsers threw on these: 500 'Internal Server Error' and a stack trace in the log
    const jpeg = fs.readFileSync(cocoImage('000000000034.jpg'));
    for (const type of ['multipart/form-data; boundary=', 'image/jpeg; charset', 'image/jpeg, text/plain', 'image/*jpeg']) {
      const res = await fetch(url, { method: 'POST', headers: { 'Content-Type': type }, body: jpeg });
      assert.strictEqual(res.status, 400, type);
      assert.match((await res.json()).error, /Content-Type header cannot be read/, type);
    }
    const ok = await fetch(url, { method: 'POST', headers: { 'Content-Type': 'image/jpeg; charset=binary' }, body: jpeg });
    assert.strictEqual(ok.status, 200);
  });

  it('refuses an upload with 503 before reading its body while 10 are in progress, and takes uploads again after', async () => {
    // Node-RED read every body whole before the detect node could refuse it BUSY: 100 uploads of 19 MB at once
    // took it to 2 GB. Here 10 uploads stay open, their bodies not all sent.
    // each from its own loopback address: one address may hold only a few places
    const open = await Promise.all(Array.from({ length: 10 }, (_, i) => openUpload(`127.0.3.${i + 1}`)));
    // An upload of ours that reached the server after a probe took the 10th place was refused itself: open another.
    const holdTen = async () => {
      for (const [i, req] of open.entries()) {
        if (req.answered) open[i] = await openUpload(`127.0.3.${i + 1}`);
      }
    };
    try {
      const jpeg = fs.readFileSync(cocoImage('000000000034.jpg'));
      const busy = await until(async () => {
        await holdTen();
        const res = await fetch(url, { method: 'POST', headers: { 'Content-Type': 'image/jpeg' }, body: jpeg });
        return res.status === 503 && { res, body: await res.json() };
      }, 'the 11th upload to be refused', 10000).catch(() => undefined);
      assert.ok(busy, 'an 11th upload was read and detected');
      assert.deepStrictEqual(busy.body, { error: 'busy: 10 uploads are in progress; try again', code: 'BUSY' });
      assert.strictEqual(busy.res.headers.get('retry-after'), '1');
    } finally {
      for (const req of open) req.destroy();
    }
    await until(async () => (await fetch(url, { method: 'POST', headers: { 'Content-Type': 'image/jpeg' }, body: fs.readFileSync(cocoImage('000000000034.jpg')) })).status === 200, 'uploads to be taken again', 10000);
  });

  it('gives one address 4 places, and frees the place of an upload not answered in full in 60 s', async function () {
    // Ten uploads that sent their headers and then nothing, all from one host, held every place until Node.js
    // gave up on them after 300 s: every other upload was refused 503 meanwhile, and the host could start again.
    // One that does not read its answer (larger than the sockets' buffers) held its place for ever.
    this.timeout(150000);
    const jpeg = fs.readFileSync(cocoImage('000000000034.jpg'));
    const noise = Buffer.alloc(5000 * 5000 * 3);
    require('crypto').randomFillSync(noise);
    const big = await require('sharp')(noise, { raw: { width: 5000, height: 5000, channels: 3 } }).jpeg({ quality: 70 }).toBuffer();
    // sent whole before the stalled uploads start: its deadline has passed when theirs has
    const unread = net.connect({ host: '127.0.0.1', port: new URL(url).port, localAddress: '127.0.4.3' });
    unread.on('error', () => {});
    unread.pause();
    unread.write(`POST ${new URL(url).pathname} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: image/jpeg\r\nContent-Length: ${big.length}\r\n\r\n`);
    await new Promise((resolve) => unread.write(big, resolve));
    const stalled = await Promise.all(Array.from({ length: 4 }, () => openUpload('127.0.4.1')));
    try {
      const started = Date.now();
      const fifth = await upload('127.0.4.1', jpeg);
      assert.strictEqual(fifth.status, 429);
      assert.deepStrictEqual(fifth.body, { error: 'busy: 4 uploads from your address are in progress; wait for their answers', code: 'BUSY' });
      assert.strictEqual(fifth.headers['retry-after'], '1');
      assert.strictEqual((await upload('127.0.4.2', jpeg)).status, 200, 'another address is served');
      await until(() => stalled.every((r) => r.body), 'the stalled uploads to be answered', 90000);
      const waited = Date.now() - started;
      assert.ok(waited > 50000 && waited < 80000, `answered after ${waited} ms`);
      for (const r of stalled) assert.deepStrictEqual([r.status, r.body], [408, { error: 'the image did not arrive within 60 s' }]);
      assert.strictEqual((await upload('127.0.4.1', jpeg)).status, 200, 'the address has its places back');
      // read now, the answer ends before its Content-Length: the server cut it off at the deadline
      const chunks = [];
      const ended = new Promise((resolve) => unread.on('close', resolve));
      unread.on('data', (d) => chunks.push(d)).resume();
      await ended;
      const answer = Buffer.concat(chunks);
      const head = answer.subarray(0, answer.indexOf('\r\n\r\n')).toString();
      assert.match(head, /^HTTP\/1\.1 200/);
      const length = Number(/content-length: (\d+)/i.exec(head)[1]);
      assert.ok(answer.length - head.length - 4 < length, `${answer.length} bytes of an answer of ${length}`);
    } finally {
      for (const r of stalled) r.destroy();
      unread.destroy();
    }
  });

  it('opens the editor without the telemetry consent dialog, which shows while telemetryEnabled is unset', async () => {
    const settings = await (await fetch(new URL('/settings', url))).json();
    assert.strictEqual(settings.telemetryEnabled, false);
  });
});

describe('npm start with a port it cannot use', function () {
  this.timeout(120000);

  /** Runs scripts/start.js to its end with PORT (and HOST, else 127.0.0.1); resolves with {code, stdout, stderr}. */
  function start(port, host = '127.0.0.1') {
    const dir = fx.tmpDir('yolo-edge-start-');
    const env = { ...process.env, HOST: host, PORT: port, YOLO_EDGE_USER_DIR: path.join(dir, 'user'), YOLO_EDGE_SAMPLES: path.join(dir, 'samples') };
    const child = spawn(process.execPath, [path.join(ROOT, 'scripts', 'start.js')], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    const out = { stdout: '', stderr: '' };
    child.stdout.on('data', (d) => { out.stdout += d; });
    child.stderr.on('data', (d) => { out.stderr += d; });
    // one that starts Node-RED after all is stopped (it forwards SIGTERM), so that no server outlives the test
    const timer = setTimeout(() => child.kill('SIGTERM'), 60000);
    return new Promise((resolve) => child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, ...out });
    }));
  }

  it('says the port is in use, and how to choose another, instead of printing the other server\'s address', async () => {
    requireModel();
    const port = await freePort();
    const other = net.createServer().listen(port, '127.0.0.1'); // a Node-RED run as a service, say
    try {
      const r = await start(String(port));
      assert.strictEqual(r.code, 1);
      assert.ok(r.stderr.includes(`yolo-edge demo: 127.0.0.1:${port} is in use (a Node-RED already running?). Stop it, or start the demo on another port: PORT=${port + 1} npm start`), r.stderr);
      assert.ok(!r.stdout.includes(`http://127.0.0.1:${port}/yolo-edge/`), r.stdout);
      assert.ok(!r.stderr.includes('no login'), r.stderr);
    } finally {
      other.close();
    }
  });

  it('warns that the editor has no login when HOST puts it on another address than loopback', async () => {
    // HOST, often set for other servers, put the editor on the network without a word
    requireModel();
    const port = await freePort();
    const other = net.createServer().listen(port, '0.0.0.0'); // the demo stops there, before starting Node-RED
    try {
      const r = await start(String(port), '0.0.0.0');
      assert.strictEqual(r.code, 1);
      assert.ok(r.stderr.includes(`yolo-edge demo: HOST=0.0.0.0: the editor has no login, so anyone who can reach 0.0.0.0:${port} can change its flows and run commands on this machine.`), r.stderr);
    } finally {
      other.close();
    }
  });

  it('refuses a PORT that is not a port number, naming it', async () => {
    for (const bad of ['abc', '0', '65536', '1880x', '-1']) {
      const r = await start(bad);
      assert.strictEqual(r.code, 2, bad);
      assert.ok(r.stderr.includes(`yolo-edge demo: PORT must be a port number from 1 to 65535, got ${JSON.stringify(bad)}`), r.stderr);
    }
  });
});
