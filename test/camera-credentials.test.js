'use strict';
// Camera credentials: never in a message, status or log (even for a URL that does not parse), never on
// ffmpeg's command line (measured with Debian's real ffmpeg against an RTSP responder), and for HTTP cameras
// only in the Authorization header.
const assert = require('assert');
const http = require('http');
const path = require('path');
const { execFileSync } = require('child_process');
const helper = require('node-red-node-test-helper');
const { DIST, lib } = require('./support/paths');
const { startRtspResponder, makeTsClip } = require('./support/rtsp-responder');
const { until } = require('./support/wait');
const { parseCameraConfig } = lib('camera/config');
const { ffmpegArgs, rtspStdin } = lib('camera/capture-args');
const { SnapshotClient } = lib('camera/http-sources');
const { findProgram } = lib('camera/process-source');
const { url } = lib('camera/options');

const cameraNode = require(path.join(DIST, 'nodes', 'yolo-camera.js'));
helper.init(require.resolve('node-red'));

/** The forms a password can take in text: as typed and URL-encoded. */
const forms = (password) => [...new Set([password, encodeURIComponent(password)])];
const leaks = (text, password) => forms(password).filter((f) => text.includes(f));

describe('camera credentials: messages never show a password', () => {
  it('a URL that does not parse is named in the error without its password', () => {
    const cases = [
      ['rtsp', 'rtsp://dave:s3cr3t-a@cam.local:99999/live', 's3cr3t-a'],
      ['rtsp', 'rtsp://dave:s3/cr3t-b@cam local/live', 's3/cr3t-b'],
      ['snapshot', 'http://dave:s3cr3t-c@[::1/snap.jpg', 's3cr3t-c'],
      ['mjpeg', 'http://dave:s3cr3t:d@exa mple/video', 's3cr3t:d'],
    ];
    for (const [source, url, password] of cases) {
      let message = '';
      assert.throws(() => parseCameraConfig({ source, url }), (err) => {
        message = err.message;
        return /URL is not a URL/.test(message);
      }, url);
      const parts = [password, ...password.split(/[/:]/).filter((p) => p.length > 3)];
      assert.deepStrictEqual(parts.flatMap((p) => leaks(message, p)), [], message);
      assert.ok(message.includes(url.slice(url.lastIndexOf('@') + 1)), `the URL is still recognisable: ${message}`);
    }
    // The check itself, given a URL with its credentials: they are masked, the rest is shown.
    assert.throws(() => url('URL', 'rtsp://dave:s3cr3t-e@cam.local:99999/live', ['rtsp:']), (err) => err.message === 'URL is not a URL: "rtsp://dave:***@cam.local:99999/live"');
  });

  it('one redaction for URLs and text: user:***@, a lone user name masked, known secrets in any form', () => {
    const { redactUrl, redactText, splitUrlCredentials } = lib('camera/redact');
    assert.strictEqual(redactUrl('rtsp://admin:p%40ss@cam/live'), 'rtsp://admin:***@cam/live');
    assert.strictEqual(redactUrl('https://t0ken@cam/snap.jpg'), 'https://***@cam/snap.jpg');
    assert.strictEqual(redactUrl('rtsp://cam/a@b'), 'rtsp://cam/a@b', 'an @ in the path is no user info');
    assert.deepStrictEqual(splitUrlCredentials('rtsp://cam/a@b'), { url: 'rtsp://cam/a@b', user: '', password: '' });
    assert.deepStrictEqual(splitUrlCredentials('rtsp://a:b@c@cam:99999/x'), { url: 'rtsp://cam:99999/x', user: 'a', password: 'b@c' });
    const text = "[concat] Impossible to open 'rtsp://dave:it's%20me@cam/live' (it's me)";
    assert.strictEqual(redactText(text, ["it's me"]), "[concat] Impossible to open 'rtsp://dave:***@cam/live' (***)");
    assert.strictEqual(redactText('GET http://u:x@h/ failed'), 'GET http://u:***@h/ failed', 'URLs are masked without knowing the secret');
  });

  it('a short password is masked where it stands as the password, not inside ordinary words; a long one everywhere', () => {
    const { redactor } = lib('camera/redact');
    const p = redactor(['p']);
    assert.strictEqual(p('ffmpeg exited with code 1: pipe:0: Input/output error'), 'ffmpeg exited with code 1: pipe:0: Input/output error', 'ordinary words are kept');
    assert.strictEqual(p("[concat] Impossible to open 'rtsp://dave:p@cam/live' (p); user dave:p, password p"), "[concat] Impossible to open 'rtsp://dave:***@cam/live' (***); user dave:***, password ***");
    assert.strictEqual(redactor(['5'])('captured 5 · sent 15 · dropped 0'), 'captured *** · sent 15 · dropped 0');
    // special characters: taken literally, masked raw and URL-encoded; ends that are not letters or digits need no boundary
    const special = redactor(['a.b*c', 'p@ss', 'x!']);
    assert.strictEqual(special('aXbbc a.b*cd (a.b*c)'), 'aXbbc a.b*cd (***)');
    assert.strictEqual(special('open rtsp://cam/live with p%40ss or p@ss; x!y'), 'open rtsp://cam/live with *** or ***; ***y');
    // a long secret is no ordinary word: masked even glued to other text, so no part of it shows
    assert.strictEqual(redactor(['S3cret-Passw0rd'])('tokenS3cret-Passw0rdX S3cret-Passw0rd'), 'token***X ***');
    assert.strictEqual(redactor(["it's", "it's me"])("(it's me) it's"), '(***) ***', 'the longer secret is replaced whole');
  });

  it('a camera that takes its password in the query (Foscam ?usr=admin&pwd=...): the value is masked where a URL is shown', () => {
    const { redactUrl, redactText } = lib('camera/redact');
    const camUrl = 'http://10.0.0.9/cgi-bin/CGIProxy.fcgi?cmd=snapPicture2&usr=admin&pwd=S3cret-Pw';
    assert.strictEqual(redactUrl(camUrl), 'http://10.0.0.9/cgi-bin/CGIProxy.fcgi?cmd=snapPicture2&usr=admin&pwd=***');
    assert.strictEqual(redactUrl('rtsp://cam/live?token=abc123&channel=1'), 'rtsp://cam/live?token=***&channel=1');
    assert.strictEqual(redactUrl('http://u:p@cam/x.cgi?Password=abc#top'), 'http://u:***@cam/x.cgi?Password=***#top');
    assert.strictEqual(redactText(`snapshot ${camUrl}: HTTP 500`), 'snapshot http://10.0.0.9/cgi-bin/CGIProxy.fcgi?cmd=snapPicture2&usr=admin&pwd=***: HTTP 500');
    // a status cut short in the middle of the value
    assert.strictEqual(redactText('snapshot http://cam/snap?pwd=S3cr…'), 'snapshot http://cam/snap?pwd=***');
    assert.strictEqual(redactUrl('http://cam/snap?passport=1&keyframe=2'), 'http://cam/snap?passport=1&keyframe=2', 'other names are kept');
  });

  it('masks a secret query value followed by a long run of punctuation, keeping the run that ends the URL, without hanging', function () {
    // the value before the run was matched lazily and the run backtracked at each character: a URL of 100000 colons
    // after ?pwd= held the event loop 14 s at deploy and at each camera error (1 MB: over 20 minutes); the timeout
    // here is a hang's (the masking takes milliseconds), not a measure of speed
    this.timeout(5000);
    const { redactUrl, redactText, hasSecretParams } = lib('camera/redact');
    const run = ':'.repeat(1e5);
    assert.strictEqual(redactUrl(`http://cam/snap?pwd=S3cret${run}x`), 'http://cam/snap?pwd=***');
    assert.strictEqual(redactText(`snapshot http://cam/snap?pwd=S3cret${run}`), `snapshot http://cam/snap?pwd=***${run}`);
    assert.strictEqual(redactText('snapshot http://cam/snap?pwd=a)b.: HTTP 500'), 'snapshot http://cam/snap?pwd=***.: HTTP 500');
    assert.strictEqual(hasSecretParams(`http://cam/snap?pwd=${run}x`), true);
  });

  it('credentials typed into a URL are used, the URL kept has none', () => {
    const c = parseCameraConfig({ source: 'rtsp', url: 'rtsp://dave:p%40ss@cam.local/live' });
    assert.deepStrictEqual([c.user, c.password, c.url.href], ['dave', 'p@ss', 'rtsp://cam.local/live']);
    const k = parseCameraConfig({ source: 'rtsp', url: 'rtsp://dave:old@cam.local/live' }, { user: 'eve', password: 'new' });
    assert.deepStrictEqual([k.user, k.password], ['eve', 'new'], 'the node credentials win over an old URL');
  });

  it('without credentials the RTSP URL stays on the command line and nothing goes to stdin', () => {
    const c = parseCameraConfig({ source: 'rtsp', url: 'rtsp://cam.local/live', fps: 5 });
    const args = ffmpegArgs(c);
    assert.strictEqual(args[args.indexOf('-i') + 1], 'rtsp://cam.local/live');
    assert.ok(args.join(' ').includes('-rtsp_transport tcp'));
    assert.strictEqual(rtspStdin(c), undefined);
    const udp = ffmpegArgs(parseCameraConfig({ source: 'rtsp', url: 'rtsp://cam.local/live', rtspTransport: 'udp' }));
    assert.deepStrictEqual(udp.slice(udp.indexOf('-rtsp_transport'), udp.indexOf('-i') + 2), ['-rtsp_transport', 'udp', '-i', 'rtsp://cam.local/live'], 'the transport chosen');
    assert.throws(() => parseCameraConfig({ source: 'rtsp', url: 'rtsp://cam.local/live', rtspTransport: 'udp -x' }), (e) => e.code === 'BAD_CONFIG' && /RTSP transport/.test(e.message));
  });

  it('an RTSP URL with a secret in its query (token=): ffmpeg reads it from stdin, ps never shows it', () => {
    const c = parseCameraConfig({ source: 'rtsp', url: 'rtsp://cam.local/live?channel=1&token=T0k3n', fps: 5 });
    const args = ffmpegArgs(c);
    assert.deepStrictEqual(leaks(args.join(' '), 'T0k3n'), [], args.join(' '));
    assert.strictEqual(args[args.indexOf('-i') + 1], 'pipe:0');
    assert.strictEqual(rtspStdin(c), "ffconcat version 1.0\nfile 'rtsp://cam.local/live?channel=1&token=T0k3n'\noption rtsp_transport tcp\n");
  });

  it('with credentials ffmpeg reads the URL from stdin: a concat list, quotes escaped', () => {
    const c = parseCameraConfig({ source: 'rtsp', url: "rtsp://cam.local/it's/live", fps: 5 }, { user: 'dave', password: "it's me" });
    const args = ffmpegArgs(c);
    assert.deepStrictEqual(args.slice(args.indexOf('-f'), args.indexOf('-i') + 2), ['-f', 'concat', '-safe', '0', '-protocol_whitelist', 'pipe,tcp,tls', '-i', 'pipe:0']);
    assert.ok(!args.join(' ').includes('me'), args.join(' '));
    assert.strictEqual(rtspStdin(c), "ffconcat version 1.0\nfile 'rtsp://dave:it'\\''s%20me@cam.local/it'\\''s/live'\noption rtsp_transport tcp\n");
  });
});

describe('camera credentials: HTTP cameras get them in the Authorization header', () => {
  let server;
  let seen;

  before(async () => {
    server = http.createServer((req, res) => {
      seen.push({ url: req.url, auth: Buffer.from(String(req.headers.authorization || '').replace(/^Basic /, ''), 'base64').toString() });
      res.writeHead(500, { 'content-type': 'text/plain' });
      res.end('no');
    });
    await new Promise((r) => server.listen(0, '127.0.0.1', r));
  });
  beforeEach(() => { seen = []; });
  after(() => new Promise((r) => server.close(r)));

  it('a snapshot URL that still carries user:password: header only, and the error names it without', async () => {
    const url = new URL(`http://bob:s3cr%40t@127.0.0.1:${server.address().port}/snap.jpg`);
    const client = new SnapshotClient({ url, user: '', password: '' }, 5000, 1 << 20);
    const err = await client.next().then(() => undefined, (e) => e);
    client.release();
    assert.deepStrictEqual(seen, [{ url: '/snap.jpg', auth: 'bob:s3cr@t' }]);
    assert.ok(err && /HTTP 500/.test(err.message), String(err));
    assert.deepStrictEqual(leaks(err.message, 's3cr@t'), [], err.message);
  });

  it('a password of digits stored as a number (a JSON number through the admin API) is sent as text; an object is BAD_CONFIG', async () => {
    // the number threw a TypeError out of the constructor: Node-RED left the camera out of the flow, with no status
    const flow = [{ id: 'n-cam', type: 'yolo-camera', source: 'snapshot', mode: 'trigger', url: `http://127.0.0.1:${server.address().port}/snap.jpg`, wires: [[]] }];
    try {
      await helper.load(cameraNode, flow, { 'n-cam': { user: 'dave', password: 12345678 } });
      const cam = helper.getNode('n-cam');
      assert.ok(cam, 'the node was created');
      const failed = new Promise((resolve) => cam.on('call:error', (c) => resolve(c.args[0])));
      cam.receive({});
      const err = await failed;
      assert.deepStrictEqual(seen, [{ url: '/snap.jpg', auth: 'dave:12345678' }]);
      assert.deepStrictEqual(leaks(String(err.message), '12345678'), [], err.message);
      await helper.unload();
      await helper.load(cameraNode, flow, { 'n-cam': { user: 'dave', password: { value: 'x' } } });
      assert.deepStrictEqual(helper.getNode('n-cam').status.lastCall.args[0], { fill: 'red', shape: 'ring', text: 'config: password must be text, got an object' });
    } finally {
      await helper.unload();
    }
  });

  it('a snapshot URL with the password in its query: sent as is, but neither the source name nor the error shows it', async () => {
    const config = parseCameraConfig({ source: 'snapshot', url: `http://127.0.0.1:${server.address().port}/cgi-bin/CGIProxy.fcgi?cmd=snapPicture2&usr=admin&pwd=Qu3ry-Pw` });
    const { createSource } = lib('camera/source-factory');
    const src = createSource(config, { frame() {}, state() {}, warn() {} });
    const err = await src.pull().then(() => undefined, (e) => e);
    await src.stop();
    assert.deepStrictEqual(seen, [{ url: '/cgi-bin/CGIProxy.fcgi?cmd=snapPicture2&usr=admin&pwd=Qu3ry-Pw', auth: '' }]);
    assert.ok(err && /HTTP 500/.test(err.message), String(err));
    assert.deepStrictEqual(leaks(`${src.name} ${err.message}`, 'Qu3ry-Pw'), [], `${src.name} / ${err.message}`);
  });
});

describe('camera credentials: a status cut to fit its badge', function () {
  this.timeout(30000);
  let server;
  afterEach(async () => {
    await helper.unload();
    server?.close();
  });

  it('is masked before it is cut: a password across the cut shows no part of it', async () => {
    const password = `Long-Secret-Passw0rd-${process.pid}`;
    // a camera that answers with text, naming the password in its content type (a misconfigured proxy echoing it)
    let pad = '';
    server = http.createServer((req, res) => {
      res.writeHead(200, { 'content-type': `text/plain; note=${pad}${password}` });
      res.end('hello');
    });
    await new Promise((r) => server.listen(0, '127.0.0.1', r));
    const flow = [{ id: 'n-cam', type: 'yolo-camera', source: 'snapshot', url: `http://127.0.0.1:${server.address().port}/snap`, fps: 5, retryMin: 0.1, retryMax: 0.2, wires: [[]] }];
    await helper.load(cameraNode, flow, { 'n-cam': { user: 'dave', password } });
    const texts = [];
    helper.getNode('n-cam').on('call:status', (c) => texts.push(String(c.args[0].text)));
    const shown = () => texts.filter((t) => t.includes('note='));
    const leaked = () => shown().filter((t) => t.includes(password.slice(0, 4)));
    await until(() => shown().length > 0, 'a red status naming the content type', 10000);
    assert.deepStrictEqual(leaked(), [], 'no part of the password shows');
    // the password now starts a few characters before the status's 100th
    pad = 'x'.repeat(Math.max(0, 95 - shown()[0].indexOf('note=') - 5));
    await until(() => texts.some((t) => t.includes('note=x')), 'a status with the padded content type', 10000);
    assert.ok(shown().every((t) => t.length <= 100), shown().at(-1));
    assert.deepStrictEqual(leaked(), [], 'no part of the password shows');
  });
});

describe('camera credentials: RTSP with a real ffmpeg', function () {
  this.timeout(120000);
  const user = 'dave';
  // Quote, space, @ and colon: the characters that break quoting and URL encoding.
  const password = `Pw'x y@z:${process.pid}`;
  let ts;
  let cam;

  before(function () {
    if (!findProgram('ffmpeg')) {
      console.warn('      no ffmpeg on PATH: skipping the real RTSP tests (apt-get install ffmpeg)');
      this.skip();
    }
    ts = makeTsClip();
  });
  beforeEach(async () => { cam = await startRtspResponder({ user, password, ts }); });
  afterEach(async () => {
    await helper.unload();
    await cam.close();
  });

  function flow() {
    return [
      { id: 'n-cam', type: 'yolo-camera', name: 'camera', wires: [['n-out']], source: 'rtsp', url: `rtsp://127.0.0.1:${cam.port}/live`, fps: 5, retryMin: 0.2, retryMax: 0.5, stallTimeout: 10 },
      { id: 'n-out', type: 'helper' },
    ];
  }

  function watch() {
    const got = { msgs: [], shown: [] };
    helper.getNode('n-out').on('input', (msg) => got.msgs.push(msg));
    const node = helper.getNode('n-cam');
    for (const call of ['status', 'warn', 'error', 'log']) node.on(`call:${call}`, (c) => got.shown.push(JSON.stringify(c.args[0])));
    return got;
  }

  it('the password reaches the camera and frames come back, but ps never shows it', async () => {
    await helper.load(cameraNode, flow(), { 'n-cam': { user, password } });
    const got = watch();
    const ps = [];
    await until(() => {
      ps.push(execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' }));
      return got.msgs.length >= 3;
    }, 'three frames from the RTSP camera (ffmpeg probes the stream for several seconds first)', 90000);
    assert.ok(cam.auths.includes(`${user}:${password}`), `the camera got: ${JSON.stringify(cam.auths)}`);
    const ffmpegLines = ps.join('\n').split('\n').filter((l) => /^\S*ffmpeg .* -f mjpeg -$/.test(l));
    assert.ok(ffmpegLines.length > 0, 'ffmpeg was seen running');
    assert.deepStrictEqual(leaks(ps.join('\n'), password), [], ffmpegLines[0]);
    assert.ok(ffmpegLines.some((l) => l.includes('-i pipe:0')), ffmpegLines[0]);
    assert.ok(got.msgs[0].payload[0] === 0xff && got.msgs[0].payload[1] === 0xd8, 'JPEG frames');
    assert.strictEqual(got.msgs[0].frame.source, `rtsp://127.0.0.1:${cam.port}/live`);
    assert.deepStrictEqual(leaks(got.shown.join('\n'), password), []);
  });

  it('RTSP transport udp: ffmpeg given the URL on stdin asks the camera for UDP (its concat input may open udp and rtp)', async () => {
    const [node, out] = flow();
    await helper.load(cameraNode, [{ ...node, rtspTransport: 'udp' }, out], { 'n-cam': { user, password } });
    assert.ok(rtspStdin(parseCameraConfig({ source: 'rtsp', url: node.url, rtspTransport: 'udp' }, { user, password })).endsWith('\noption rtsp_transport udp\n'));
    await until(() => cam.state.transports.length > 0, 'a SETUP from ffmpeg', 30000);
    assert.match(cam.state.transports[0], /^RTP\/AVP(\/UDP)?;unicast;client_port=\d+-\d+/);
  });

  it('a wrong password: ffmpeg prints the URL with it, the node shows neither', async () => {
    const wrong = `Wr0ng'pw ${process.pid}`;
    await helper.load(cameraNode, flow(), { 'n-cam': { user, password: wrong } });
    const got = watch();
    await until(() => got.shown.some((s) => /401|Unauthorized|Impossible to open/.test(s)), 'the failure in a status or warning', 20000);
    assert.ok(cam.auths.includes(`${user}:${wrong}`), 'ffmpeg sent the wrong password');
    assert.deepStrictEqual(leaks(got.shown.join('\n'), wrong), [], got.shown.join('\n'));
    assert.ok(got.shown.some((s) => s.includes('dave:***@') || s.includes('***')), got.shown.join('\n'));
  });
});
