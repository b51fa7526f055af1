'use strict';
// An old flow whose camera URL carries user:password, in a real Node-RED (started from node_modules, a user
// dir of its own, encrypted credentials) with a real ffmpeg against an RTSP responder: the camera works,
// GET /flows for a read-only user, the log and ps never show the password, and after a deploy no file of
// the user dir holds it.
const assert = require('assert');
const crypto = require('crypto');
const fs = require('fs');
const path = require('path');
const { execFileSync } = require('child_process');
const { lib } = require('./support/paths');
const { startNodeRed } = require('./support/node-red-server');
const { startRtspResponder, makeTsClip } = require('./support/rtsp-responder');
const { until } = require('./support/wait');
const { findProgram } = lib('camera/process-source');

const forms = (password) => [...new Set([password, encodeURIComponent(password)])];
const leaks = (text, password) => forms(password).filter((f) => text.includes(f));

async function token(red, username, password, scope = '*') {
  const res = await fetch(`${red.url}/auth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ client_id: 'node-red-admin', grant_type: 'password', scope, username, password }),
  });
  assert.strictEqual(res.status, 200, `login as ${username}`);
  return (await res.json()).access_token;
}

/** Every file of the user dir but the package link, as text. */
function userDirText(dir) {
  const out = [];
  for (const name of fs.readdirSync(dir)) {
    const file = path.join(dir, name);
    if (name === 'node_modules') continue;
    const st = fs.statSync(file);
    if (st.isDirectory()) out.push(...userDirText(file).map(([f, t]) => [path.join(name, f), t]));
    else out.push([name, fs.readFileSync(file, 'latin1')]);
  }
  return out;
}

describe('camera credentials in a real Node-RED: an old flow with user:password in the URL', function () {
  this.timeout(180000);
  const user = 'dave';
  const password = `Old'pw ${crypto.randomBytes(4).toString('hex')}`;
  const viewer = { username: 'viewer', password: crypto.randomBytes(9).toString('base64url'), permissions: 'read' };
  let cam;
  let red;
  const log = () => fs.readFileSync(red.logFile, 'utf8');
  const ps = [];

  before(async function () {
    if (!findProgram('ffmpeg')) {
      console.warn('      no ffmpeg on PATH: skipping (apt-get install ffmpeg)');
      this.skip();
    }
    cam = await startRtspResponder({ user, password, ts: makeTsClip() });
    const inUrl = `${user}:${encodeURIComponent(password)}`;
    const flows = [
      { id: 'tab-cams', type: 'tab', label: 'cameras' },
      { id: 'cam-old', type: 'yolo-camera', z: 'tab-cams', name: 'old', source: 'rtsp', url: `rtsp://${inUrl}@127.0.0.1:${cam.port}/live`, fps: 2, retryMin: 0.5, retryMax: 2, stallTimeout: 20, x: 100, y: 100, wires: [[]] },
      // Does not parse (port out of range): the configuration error is logged.
      { id: 'cam-bad', type: 'yolo-camera', z: 'tab-cams', name: 'bad', source: 'rtsp', url: `rtsp://${inUrl}@127.0.0.1:99999/live`, x: 100, y: 200, wires: [[]] },
    ];
    red = await startNodeRed({ flows, users: [viewer], settings: { credentialSecret: crypto.randomBytes(16).toString('hex') } });
    assert.ok(fs.readFileSync(path.join(red.userDir, 'flows.json'), 'utf8').includes(inUrl), 'the old flow holds the password');
  });

  after(async () => {
    await red?.stop();
    await cam?.close();
  });

  const psNow = () => {
    const out = execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' });
    ps.push(out);
    return out;
  };

  it('the camera gets the password from the old URL; ps never shows it while ffmpeg runs', async () => {
    await until(() => {
      psNow();
      return cam.state.playing >= 1;
    }, 'ffmpeg to play the RTSP stream', 90000);
    for (let i = 0; i < 10; i++) {
      psNow();
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.ok(cam.auths.includes(`${user}:${password}`), JSON.stringify(cam.auths));
    const all = ps.join('\n');
    const ffmpegLines = all.split('\n').filter((l) => /^\S*ffmpeg .* -f mjpeg -$/.test(l));
    assert.ok(ffmpegLines.length > 0, 'ffmpeg was seen running');
    assert.deepStrictEqual(leaks(all, password), [], ffmpegLines[0]);
    assert.ok(ffmpegLines.some((l) => l.includes('-i pipe:0')), ffmpegLines[0]);
  });

  it('GET /flows as a read-only user: the URL without credentials, which are the node\'s credentials now', async () => {
    const bearer = await token(red, viewer.username, viewer.password, 'read');
    const res = await fetch(`${red.url}/flows`, { headers: { authorization: `Bearer ${bearer}` } });
    assert.strictEqual(res.status, 200);
    const text = await res.text();
    assert.deepStrictEqual(leaks(text, password), [], text);
    const nodes = JSON.parse(text);
    assert.strictEqual(nodes.find((n) => n.id === 'cam-old').url, `rtsp://127.0.0.1:${cam.port}/live`);
    assert.strictEqual(nodes.find((n) => n.id === 'cam-bad').url, 'rtsp://127.0.0.1:99999/live');
    const denied = await fetch(`${red.url}/flows`, { method: 'POST', headers: { authorization: `Bearer ${bearer}`, 'content-type': 'application/json' }, body: text });
    assert.strictEqual(denied.status, 401, 'the viewer is read-only');
    const creds = await fetch(`${red.url}/credentials/yolo-camera/cam-old`, { headers: { authorization: `Bearer ${bearer}` } });
    const body = await creds.text();
    assert.deepStrictEqual(JSON.parse(body), { user, has_password: true });
  });

  it('the log warns once to deploy, names the bad URL, and never shows the password', () => {
    const text = log();
    assert.deepStrictEqual(leaks(text, password), [], text);
    assert.match(text, /URL is not a URL: "rtsp:\/\/127\.0\.0\.1:99999\/live"/);
    assert.strictEqual(text.split('holds a user name and password in plain text').length - 1, 2, `one warning per camera node: ${text}`);
  });

  it('after a deploy flows.json has no password, the camera still logs in, and no file of the user dir holds it', async () => {
    const bearer = await token(red, red.user, red.password);
    const headers = { authorization: `Bearer ${bearer}`, 'content-type': 'application/json', 'Node-RED-API-Version': 'v2', 'Node-RED-Deployment-Type': 'full' };
    const played = cam.state.playing;
    // Twice: Node-RED keeps the previous flows.json as .flows.json.backup.
    for (let i = 0; i < 2; i++) {
      const current = await (await fetch(`${red.url}/flows`, { headers })).json();
      const res = await fetch(`${red.url}/flows`, { method: 'POST', headers, body: JSON.stringify({ flows: current.flows, rev: current.rev }) });
      assert.strictEqual(res.status, 200, await res.text());
    }
    const flowsJson = fs.readFileSync(path.join(red.userDir, 'flows.json'), 'utf8');
    assert.deepStrictEqual(leaks(flowsJson, password), [], flowsJson);
    assert.ok(flowsJson.includes(`"url": "rtsp://127.0.0.1:${cam.port}/live"`) || flowsJson.includes(`"url":"rtsp://127.0.0.1:${cam.port}/live"`), flowsJson);
    await until(() => {
      psNow();
      return cam.state.playing > played;
    }, 'the redeployed camera to play again with its stored credentials', 90000);
    const files = userDirText(red.userDir).filter(([, t]) => leaks(t, password).length > 0).map(([f]) => f);
    assert.deepStrictEqual(files, [], 'files holding the password');
    assert.ok(fs.existsSync(path.join(red.userDir, 'flows_cred.json')), 'the credentials are stored, encrypted');
    assert.deepStrictEqual(leaks(ps.join('\n'), password), []);
    const text = log();
    assert.strictEqual(text.split('holds a user name and password in plain text').length - 1, 2, 'no new warning after the deploy');
    assert.deepStrictEqual(leaks(text, password), []);
  });
});
