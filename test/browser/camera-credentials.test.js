'use strict';
// The camera's edit dialog in a real browser: user:password pasted into the URL move into the credential
// fields, and after a deploy neither flows.json, GET /flows nor any file of the user dir holds the password,
// while the camera (a real ffmpeg against an RTSP responder) logs in with it.
const assert = require('assert');
const crypto = require('crypto');
const fs = require('fs');
const path = require('path');
const { lib } = require('../support/paths');
const { startNodeRed } = require('../support/node-red-server');
const { startRtspResponder, makeTsClip } = require('../support/rtsp-responder');
const { until } = require('../support/wait');
const { findProgram } = lib('camera/process-source');

const CHROMIUM = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser'].filter(Boolean).find((p) => fs.existsSync(p));
const LAUNCH_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const leaks = (text, password) => [...new Set([password, encodeURIComponent(password)])].filter((f) => text.includes(f));

describe('camera credentials in the editor (playwright-core + chromium)', function () {
  this.timeout(240000);
  const user = 'eve';
  const password = `Ed'pw ${crypto.randomBytes(4).toString('hex')}`;
  let red;
  let cam;
  let browser;
  let page;

  before(async function () {
    if (!CHROMIUM || !findProgram('ffmpeg')) {
      console.warn('      no chromium or no ffmpeg: skipping the editor credentials test');
      this.skip();
    }
    cam = await startRtspResponder({ user, password, ts: makeTsClip() });
    red = await startNodeRed({ settings: { credentialSecret: crypto.randomBytes(16).toString('hex') } });
    const { chromium } = require('playwright-core');
    browser = await chromium.launch({ executablePath: CHROMIUM, args: LAUNCH_ARGS });
    page = await browser.newPage({ viewport: { width: 1400, height: 900 }, locale: 'en-US' });
    await page.goto(`${red.url}/`);
    await page.fill('#node-dialog-login-username', red.user);
    await page.fill('#node-dialog-login-password', red.password);
    await page.click('#node-dialog-login-submit');
    await page.waitForFunction(() => window.RED && RED.nodes && RED.nodes.getType('yolo-camera') && document.querySelector('#red-ui-palette .red-ui-palette-node'), null, { timeout: 60000 });
  });

  after(async () => {
    await browser?.close();
    await red?.stop();
    await cam?.close();
  });

  it('moves user:password out of a pasted URL, on change and on Done; the deployed flow has no password', async () => {
    await page.locator('.red-ui-palette-node[data-palette-type="yolo-camera"]').dragTo(page.locator('#red-ui-workspace-chart'), { targetPosition: { x: 300, y: 150 } });
    const id = await page.evaluate(() => RED.nodes.filterNodes({ type: 'yolo-camera' })[0]?.id);
    assert.ok(id, 'a camera node');
    await page.dblclick(`[id="${id}"] .red-ui-flow-node`);
    await page.waitForSelector('#node-dialog-ok', { state: 'visible' });
    await page.selectOption('#node-input-source', 'rtsp');
    const base = `rtsp://127.0.0.1:${cam.port}/live`;

    // Typed or pasted, then the field is left: the credential fields get them.
    await page.fill('#node-input-url', `rtsp://someone:${encodeURIComponent('first try')}@127.0.0.1:${cam.port}/live`);
    await page.dispatchEvent('#node-input-url', 'change');
    assert.deepStrictEqual(await page.evaluate(() => [$('#node-input-url').val(), $('#node-input-user').val(), $('#node-input-password').val()]), [base, 'someone', 'first try']);

    // Set without any event (a script, autofill), then Done: oneditsave moves them.
    await page.evaluate((v) => $('#node-input-url').val(v), `rtsp://${user}:${encodeURIComponent(password)}@127.0.0.1:${cam.port}/live`);
    await page.click('#node-dialog-ok');
    await page.waitForSelector('#node-dialog-ok', { state: 'detached' });
    const node = await page.evaluate((nid) => { const n = RED.nodes.node(nid); return { url: n.url, credentials: n.credentials }; }, id);
    assert.strictEqual(node.url, base);
    assert.strictEqual(node.credentials.user, user);
    assert.strictEqual(node.credentials.password, password);

    await page.click('#red-ui-header-button-deploy');
    await page.waitForSelector('.red-ui-notification:has-text("Successfully deployed")', { timeout: 30000 });
    await until(() => cam.auths.includes(`${user}:${password}`), 'the camera to get the password from the node credentials', 60000);

    const flowsJson = fs.readFileSync(path.join(red.userDir, 'flows.json'), 'utf8');
    assert.ok(flowsJson.includes(base), flowsJson);
    assert.deepStrictEqual(leaks(flowsJson, password), [], flowsJson);
    const flows = await page.evaluate(() => fetch('flows', { headers: { Authorization: `Bearer ${JSON.parse(localStorage.getItem('auth-tokens')).access_token}` } }).then((r) => r.text()));
    assert.ok(flows.includes(base), flows);
    assert.deepStrictEqual(leaks(flows, password), [], flows);
    for (const name of fs.readdirSync(red.userDir).filter((n) => n !== 'node_modules' && fs.statSync(path.join(red.userDir, n)).isFile())) {
      assert.deepStrictEqual(leaks(fs.readFileSync(path.join(red.userDir, name), 'latin1'), password), [], name);
    }
    assert.deepStrictEqual(leaks(fs.readFileSync(red.logFile, 'utf8'), password), [], 'the log');
  });
});
