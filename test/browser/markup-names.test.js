'use strict';
// The upload demo page, and class and file names with markup, as a model's metadata or its file name may carry
// them, shown as text everywhere they appear in a browser: the upload page, the model picker and the node status.
// Each name is an <img> whose onerror would set window.__xss.
const assert = require('assert');
const fs = require('fs');
const path = require('path');
const { MODEL, ROOT, requireModel, cocoImage } = require('../support/paths');
const { startNodeRed } = require('../support/node-red-server');
const { renameClasses } = require('../support/model-variants');
const fx = require('../support/fixtures');

const CHROMIUM = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser'].filter(Boolean).find((p) => fs.existsSync(p));
const LAUNCH_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const markup = (i) => `<img src=x onerror=window.__xss=${i}>`;
const ZEBRA = 22; // COCO class id of the zebra in 000000000034.jpg

/** What ran or was parsed as markup in a page: window.__xss, and <img src=x> elements. */
const executed = (page) => page.evaluate(() => ({ xss: window.__xss ?? null, imgs: document.querySelectorAll('img[src="x"]').length }));

describe('upload page and names with markup in the browser (playwright-core + chromium)', function () {
  this.timeout(240000);
  let red;
  let browser;
  let model;
  let modelId;

  before(async function () {
    requireModel();
    if (!CHROMIUM) {
      console.warn('      no chromium: skipping the markup names test');
      this.skip();
    }
    model = path.join(fx.tmpDir('yolo-edge-markup-'), 'markup.onnx');
    renameClasses(MODEL, model, Array.from({ length: 80 }, (_, i) => markup(i)));
    // the upload demo as `npm start` deploys it, on this model, and a detect node whose class filter names a class
    // the model lacks (its status lists the model's classes)
    const demo = JSON.parse(fs.readFileSync(path.join(ROOT, 'examples', 'upload-page-demo.json'), 'utf8'));
    const modelNode = demo.find((n) => n.type === 'yolo-model');
    modelNode.model = model;
    modelId = modelNode.id;
    const tab = demo.find((n) => n.type === 'tab').id;
    demo.push({ id: 'bad0classes0001', type: 'yolov8-detect', z: tab, model: modelNode.id, classes: 'nothere', x: 400, y: 320, wires: [] });
    red = await startNodeRed({ flows: demo });
    fs.mkdirSync(path.join(red.userDir, 'models'));
    fs.copyFileSync(model, path.join(red.userDir, 'models', `${markup('file')}.onnx`));
    const { chromium } = require('playwright-core');
    browser = await chromium.launch({ executablePath: CHROMIUM, args: LAUNCH_ARGS });
  });

  after(async () => {
    await browser?.close();
    await red?.stop();
  });

  it('upload page: a detection\'s class name and the file name are shown as text', async () => {
    const page = await browser.newPage();
    await page.goto(`${red.url}/yolo-edge/`);
    await page.setInputFiles('#file', { name: `${markup('upload')}.jpg`, mimeType: 'image/jpeg', buffer: fs.readFileSync(cocoImage('000000000034.jpg')) });
    await page.waitForFunction(() => /object\(s\) in|Error/.test(document.getElementById('state').textContent), null, { timeout: 120000 });
    const cells = await page.locator('#detections tbody td:nth-child(2)').allTextContents();
    assert.deepStrictEqual(cells, [markup(ZEBRA)]);
    await page.waitForTimeout(300); // an <img src=x> fails to load and runs its onerror
    assert.deepStrictEqual(await executed(page), { xss: null, imgs: 0 });
    await page.close();
  });

  it('upload page opened without the trailing slash posts to its own endpoint', async () => {
    // Node-RED serves the page for /yolo-edge too, where a relative 'detect' was /detect: 404 for every upload
    const page = await browser.newPage();
    await page.goto(`${red.url}/yolo-edge`);
    await page.setInputFiles('#file', cocoImage('000000000034.jpg'));
    await page.waitForFunction(() => /object\(s\) in|Error/.test(document.getElementById('state').textContent), null, { timeout: 120000 });
    assert.strictEqual(await page.locator('#state').textContent(), '1 object(s) in 000000000034.jpg');
    await page.close();
  });

  it('editor: the model picker, the model summary and the node status show the names as text', async () => {
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 }, locale: 'en-US' });
    const errors = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${red.url}/`);
    await page.fill('#node-dialog-login-username', red.user);
    await page.fill('#node-dialog-login-password', red.password);
    await page.click('#node-dialog-login-submit');
    await page.waitForFunction(() => window.RED && RED.nodes && RED.nodes.node('bad0classes0001'), null, { timeout: 60000 });
    const status = await page.waitForFunction(() => {
      const n = RED.nodes.node('bad0classes0001');
      RED.workspaces.show(n.z);
      return document.querySelector('[id="bad0classes0001"] .red-ui-flow-node-status-label')?.textContent.match(/unknown class.*/)?.[0];
    }, null, { timeout: 60000 });
    assert.match(await status.jsonValue(), /the model knows <img src=x/);

    await page.evaluate((id) => RED.editor.editConfig('', 'yolo-model', id), modelId);
    await page.waitForFunction(() => document.querySelectorAll('#yolo-model-picker option').length > 2, null, { timeout: 60000 });
    const options = await page.locator('#yolo-model-picker option').allTextContents();
    assert.ok(options.some((o) => o.startsWith(`${markup('file')}.onnx (fp32`)), JSON.stringify(options));
    await page.selectOption('#yolo-model-picker', `models/${markup('file')}.onnx`);
    const info = await page.locator('#yolo-model-info').textContent();
    assert.ok(info.startsWith(`80 classes: ${markup(0)}, ${markup(1)}`), info);
    await page.waitForTimeout(300);
    assert.deepStrictEqual(await executed(page), { xss: null, imgs: 0 });
    assert.deepStrictEqual(errors, []);
    await page.close();
  });
});
