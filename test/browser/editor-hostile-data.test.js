'use strict';
// The editor with data it does not control, in a real browser (playwright-core + chromium): preview messages that
// carry no thumbnail, a model whose class names are long, a model of one class, switches written as text.
const assert = require('assert');
const fs = require('fs');
const http = require('http');
const path = require('path');
const sharp = require('sharp');
const { DIST, MODEL, lib, requireModel } = require('../support/paths');
const { startNodeRed } = require('../support/node-red-server');
const { renameClasses, firstClasses } = require('../support/model-variants');
const fx = require('../support/fixtures');

const CHROMIUM = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser'].filter(Boolean).find((p) => fs.existsSync(p));
const LAUNCH_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const TOPIC = 'yolo-edge/preview/';

describe('editor with hostile data (playwright-core + chromium)', function () {
  this.timeout(240000);
  let red;
  let browser;
  let page;
  let tracker;
  let trackerHits = 0;
  const errors = [];

  before(async function () {
    requireModel();
    if (!CHROMIUM) {
      console.warn('      no chromium: skipping the hostile data editor test');
      this.skip();
    }
    const flows = [
      { id: 'tab1', type: 'tab', label: 'hostile' },
      { id: 'model1', type: 'yolo-model', model: 'models/long-names.onnx' },
      { id: 'detect1', type: 'yolov8-detect', z: 'tab1', model: 'model1', x: 200, y: 100, wires: [] },
    ];
    red = await startNodeRed({ flows });
    fs.mkdirSync(path.join(red.userDir, 'models'));
    renameClasses(MODEL, path.join(red.userDir, 'models', 'long-names.onnx'), Array.from({ length: 80 }, (_, i) => `${i}${'w'.repeat(300)}`));
    firstClasses(MODEL, path.join(red.userDir, 'models', 'one-class.onnx'), 1);
    // a host a thumbnail URL would make the browser fetch
    tracker = http.createServer((req, res) => { trackerHits++; res.end(); });
    await new Promise((r) => tracker.listen(0, '127.0.0.1', r));
    const { chromium } = require('playwright-core');
    browser = await chromium.launch({ executablePath: CHROMIUM, args: LAUNCH_ARGS });
    page = await browser.newPage({ viewport: { width: 1400, height: 900 }, locale: 'en-US' });
    page.on('pageerror', (e) => errors.push(e.message));
    // the editor's comms socket, to hand it messages as the runtime would send them
    await page.addInitScript(() => {
      const Native = window.WebSocket;
      window.WebSocket = function (...args) {
        window.__commsSocket = new Native(...args);
        return window.__commsSocket;
      };
      Object.assign(window.WebSocket, Native);
      window.WebSocket.prototype = Native.prototype;
    });
    await page.goto(`${red.url}/`);
    await page.fill('#node-dialog-login-username', red.user);
    await page.fill('#node-dialog-login-password', red.password);
    await page.click('#node-dialog-login-submit');
    await page.waitForFunction(() => window.RED && RED.nodes && RED.nodes.node('detect1') && window.__commsSocket, null, { timeout: 60000 });
    await page.evaluate(() => RED.workspaces.show('tab1'));
    await page.waitForSelector('[id="detect1"] .red-ui-flow-node');
  });

  after(async () => {
    await browser?.close();
    await red?.stop();
    tracker?.close();
  });

  // a failed step must not leave a dialog over the editor for the next test
  afterEach(async () => {
    for (const sel of ['#node-config-dialog-cancel', '#node-dialog-cancel']) {
      const b = page?.locator(`${sel}:visible`);
      if (b && await b.count()) await b.first().click().catch(() => undefined);
    }
  });

  /** Hands the editor a comms message, as if the runtime had published it. */
  const publish = (topic, data) => page.evaluate(([t, d]) => window.__commsSocket.onmessage({ data: JSON.stringify([{ topic: t, data: d }]) }), [topic, data]);
  const thumbnail = () => page.evaluate(() => {
    const img = document.querySelector('[id="detect1"] image.yolo-edge-preview');
    return img ? img.getAttribute('href') : null;
  });

  it('draws only a JPEG data URL under the node: a URL, a number or bytes that are no image leave no thumbnail', async () => {
    const jpeg = await sharp({ create: { width: 16, height: 8, channels: 3, background: '#08f' } }).jpeg().toBuffer();
    const good = `data:image/jpeg;base64,${jpeg.toString('base64')}`;
    const bad = [
      { image: `http://127.0.0.1:${tracker.address().port}/pixel.png` },
      { image: 12345 },
      { image: { src: good } },
      { image: [good] },
      { image: 'data:image/svg+xml,<svg xmlns="http://www.w3.org/2000/svg"/>' },
      { image: `data:image/jpeg;base64,${Buffer.from('not a jpeg at all').toString('base64')}` },
    ];
    for (const data of bad) {
      await publish(`${TOPIC}detect1`, { image: good, objects: 1, at: 1 });
      await page.waitForFunction(() => {
        const img = document.querySelector('[id="detect1"] image.yolo-edge-preview');
        return img && img.getBBox().width > 0; // drawn
      });
      await publish(`${TOPIC}detect1`, data);
      await page.waitForTimeout(500); // a fetch, or a failed decode, is asynchronous
      assert.strictEqual(await thumbnail(), null, `thumbnail after ${JSON.stringify(data).slice(0, 80)}`);
    }
    assert.strictEqual(trackerHits, 0, 'the browser fetched a URL sent as the thumbnail');
    // a tab shown again draws the last good thumbnail only
    await publish(`${TOPIC}detect1`, bad[5]);
    await page.waitForTimeout(500);
    await page.evaluate(() => RED.events.emit('workspace:change', { workspace: 'tab1' }));
    await page.waitForTimeout(2000);
    assert.strictEqual(await thumbnail(), null);
    assert.deepStrictEqual(errors, []);
  });

  it('a switch written as text or blank (a flow from the admin API) shows as the runtime reads it, and Done keeps that', async () => {
    const { flag } = lib('config/fields');
    // what the runtime runs for a node without the switch: the parsers' own readings
    const detect = lib('detect-config').parseDetectConfig({});
    const { filePathsOption } = require(path.join(DIST, 'nodes', 'shared', 'detect-message.js'));
    const camera = lib('camera/config').parseCameraConfig({ source: 'rpicam' });
    const guard = lib('temperature/config').parseTemperatureConfig({}).monitor.guard;
    const blankIs = {
      'yolov8-detect': { agnostic: detect.agnostic, annotate: detect.annotate, filePaths: filePathsOption({}), preview: true }, // preview: nodes/yolov8-detect.ts
      'yolo-shadow-test': { agnostic: detect.agnostic, annotate: detect.annotate, filePaths: filePathsOption({}) },
      'yolo-camera': { autostart: camera.autostart, hflip: camera.rpicam.hflip, vflip: camera.rpicam.vflip, mjpeg2jpeg: camera.v4l2.mjpeg2jpeg, loop: camera.folder.loop, watch: camera.folder.watch },
      'yolo-temperature': { guard: guard !== null, criticalPause: guard.criticalPause },
    };
    const bad = [];
    for (const [type, fallbacks] of Object.entries(blankIs)) {
      const defaults = await page.evaluate((t) => Object.entries(RED.nodes.getType(t).defaults).filter(([, d]) => typeof d.value === 'boolean').map(([k]) => k), type);
      assert.deepStrictEqual(defaults.sort(), Object.keys(fallbacks).sort(), `${type}: the switches the test knows the runtime's reading of`);
      for (const value of ['false', 'off', '0', 0, 'true', '1', 'on', 1, '', ' ', null, undefined]) {
        const props = Object.fromEntries(defaults.map((k) => [k, value]));
        const id = await page.evaluate(([t, p]) => {
          const nodeId = RED.nodes.id();
          RED.view.importNodes([{ id: nodeId, type: t, z: 'tab1', x: 500, y: 300, wires: [], ...p }], { generateIds: false });
          return nodeId;
        }, [type, props]);
        await page.mouse.click(700, 600); // drop the imported node
        await page.evaluate((i) => RED.editor.edit(RED.nodes.node(i)), id);
        await page.waitForSelector('#node-dialog-ok', { state: 'visible' });
        await page.waitForSelector(`#node-input-${defaults[0]}`, { state: 'attached' });
        const shown = await page.evaluate((keys) => Object.fromEntries(keys.map((k) => [k, document.querySelector(`#node-input-${k}`).checked])), defaults);
        const runs = Object.fromEntries(defaults.map((k) => [k, flag(k, value, fallbacks[k])]));
        if (JSON.stringify(shown) !== JSON.stringify(runs)) bad.push(`${type} ${JSON.stringify(value)}: dialog ${JSON.stringify(shown)}, runtime ${JSON.stringify(runs)}`);
        await page.click('#node-dialog-ok');
        await page.waitForSelector('#node-dialog-ok', { state: 'detached' });
        // Node-RED keeps a value its box agrees with (0 for an unticked box): what counts is how the runtime reads it
        const saved = await page.evaluate(([i, keys]) => Object.fromEntries(keys.map((k) => [k, RED.nodes.node(i)[k]])), [id, defaults]);
        if (defaults.some((k) => flag(k, saved[k], fallbacks[k]) !== runs[k])) bad.push(`${type} ${JSON.stringify(value)}: saved ${JSON.stringify(saved)}, runtime ran ${JSON.stringify(runs)}`);
        await page.evaluate((i) => { RED.nodes.remove(i); RED.view.redraw(true); }, id);
      }
    }
    assert.deepStrictEqual(bad, []);
    assert.deepStrictEqual(errors, []);
  });

  it('model picker: long class names wrap inside the dialog, not past its edge', async () => {
    await page.evaluate(() => RED.editor.editConfig('', 'yolo-model', 'model1'));
    await page.waitForFunction(() => /^80 classes: /.test(document.getElementById('yolo-model-info')?.textContent || ''), null, { timeout: 60000 });
    const box = await page.locator('#yolo-model-info').evaluate((e) => {
      const tray = e.closest('.red-ui-tray-body') || e.closest('.red-ui-tray');
      return { text: e.textContent, right: e.getBoundingClientRect().right, scroll: e.scrollWidth, width: e.clientWidth, trayRight: tray.getBoundingClientRect().right };
    });
    assert.match(box.text, /^80 classes: 0w+…, 1w+…, /);
    assert.ok(box.scroll <= box.width, `the names run ${box.scroll - box.width} px past the box`);
    assert.ok(box.right <= box.trayRight, 'the box stays in the dialog');
    // one class is one class, not "1 classes"
    await page.selectOption('#yolo-model-picker', 'models/one-class.onnx');
    assert.match(await page.locator('#yolo-model-info').textContent(), /^1 class: c0 · /);
    await page.click('#node-config-dialog-cancel');
    assert.deepStrictEqual(errors, []);
  });
});
