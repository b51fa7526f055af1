'use strict';
// The editor in a real browser (playwright-core + Debian's chromium): palette, every edit dialog, help,
// Import > Examples, deploying the demo flow and watching detections and the preview arrive.
// Node types come from package.json and examples from examples/, so nodes merged later are covered too.
const assert = require('assert');
const fs = require('fs');
const path = require('path');
const { spawnSync } = require('child_process');
const { ROOT, MODEL, lib, requireModel, cocoImage } = require('../support/paths');
const { startNodeRed } = require('../support/node-red-server');

const PKG = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
const OUT = path.join(ROOT, 'test-output');
const CHROMIUM_PATHS = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser'].filter(Boolean);
const STRUCTURAL = new Set(['tab', 'subflow', 'group', 'junction', 'comment']);
const LAUNCH_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

const findChromium = () => CHROMIUM_PATHS.find((p) => fs.existsSync(p));

/** Debian's chromium, installed with apt-get when missing and allowed (root); undefined when not possible. */
function ensureChromium() {
  if (findChromium()) return findChromium();
  const canApt = process.getuid?.() === 0 && spawnSync('sh', ['-c', 'command -v apt-get']).status === 0;
  if (!canApt || process.env.YOLO_EDGE_NO_APT) return undefined;
  console.log('      installing chromium with apt-get (once) ...');
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  spawnSync('apt-get', ['update', '-q'], { stdio: 'ignore', env });
  const r = spawnSync('apt-get', ['install', '-y', '-q', 'chromium'], { stdio: 'ignore', env });
  if (r.status !== 0) return undefined;
  return findChromium();
}

/** The third-party node types each example needs, from README.md's "Example flows" table. */
function documentedThirdParty() {
  const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const out = {};
  for (const line of readme.split('\n')) {
    const cells = line.split('|').map((c) => c.trim());
    const file = /^`([\w.-]+\.json)`$/.exec(cells[1] ?? '');
    if (!file) continue;
    out[file[1]] = (cells[3] ?? '').split(',').map((t) => t.replace(/`/g, '').trim()).filter(Boolean);
  }
  return out;
}

const shot = (page, name) => page.screenshot({ path: path.join(OUT, `editor-${name}.png`) });

/** Wrong values the dialogs must flag, for the node types that exist in this checkout. */
const INVALID = {
  'yolov8-detect': { confidence: '2', iou: '-0.1', maxDetections: '0', queueSize: '2.5' },
  'yolo-model': { model: 'model.txt', threads: '-1', providers: 'cpu; rm -rf' },
  'yolo-camera': { fps: '0', width: '10.5', quality: '101', command: '-o /tmp/x', calibEvery: '0', height: '1e', calibMax: 'abc' },
  'yolo-temperature': { interval: '0', warm: '90', hysteresis: '-1', warmFps: '-2', throttleAt: '200' },
  'yolo-shadow-test': { confidence: '1.5', sampleValue: '101', windowSize: '0', minF1: '2', queueSize: '2.5', minSamples: '60', maxDetections: 'many' },
};

describe('editor in a real browser (playwright-core + chromium)', function () {
  this.timeout(15 * 60 * 1000);
  let chromium;
  let red;
  let browser;
  let page;
  let types = []; // [{type, set, config, def}]
  const pageErrors = [];

  before(async function () {
    requireModel();
    const executablePath = ensureChromium();
    if (!executablePath) {
      console.warn(`\n${'!'.repeat(78)}\n!! SKIPPING THE BROWSER TEST: no chromium at ${CHROMIUM_PATHS.join(' or ')} and it could not be\n!! installed (needs root and apt-get: apt-get update && apt-get install -y chromium).\n${'!'.repeat(78)}\n`);
      this.skip();
    }
    ({ chromium } = require('playwright-core'));
    fs.mkdirSync(OUT, { recursive: true });
    red = await startNodeRed({ logFile: path.join(OUT, 'node-red.log') });
    browser = await chromium.launch({ executablePath, args: LAUNCH_ARGS });
    page = await browser.newPage({ viewport: { width: 1400, height: 900 }, locale: 'en-US' });
    page.on('pageerror', (e) => pageErrors.push(e.message));
    await login(page);
    types = await page.evaluate((sets) => {
      const mod = RED.nodes.registry.getModuleList()['node-red-contrib-yolo-edge'];
      return sets.flatMap((set) => (mod?.sets[set]?.types ?? []).map((type) => {
        const def = RED.nodes.getType(type);
        return { type, set, config: def.category === 'config', inputs: def.inputs || 0, outputs: def.outputs || 0, category: def.category, icon: typeof def.icon === 'string' ? def.icon : null };
      }));
    }, Object.keys(PKG['node-red'].nodes));
  });

  after(async () => {
    await browser?.close();
    await red?.stop();
  });

  // A failed step must not leave a dialog over the editor for the next test.
  afterEach(async function () {
    if (!page) return;
    if (this.currentTest.state === 'failed') await shot(page, `failed-${this.currentTest.title.slice(0, 40).replace(/\W+/g, '-')}`);
    for (const sel of ['#node-config-dialog-cancel', '#node-dialog-cancel', '#red-ui-clipboard-dialog-cancel']) {
      const b = page.locator(`${sel}:visible`);
      if (await b.count()) await b.first().click().catch(() => undefined);
    }
    await page.keyboard.press('Escape');
  });

  async function login(p) {
    await p.goto(`${red.url}/`);
    await p.fill('#node-dialog-login-username', red.user);
    await p.fill('#node-dialog-login-password', red.password);
    await p.click('#node-dialog-login-submit');
    // Every node type of the package, not only one: the editor registers them one after the other.
    await p.waitForFunction((types) => window.RED && RED.nodes && types.every((t) => RED.nodes.getType(t)) && document.querySelector('#red-ui-palette .red-ui-palette-node'), Object.keys(PKG['node-red'].nodes), { timeout: 60000 });
  }

  /** Text of the open tray, with placeholders, titles and options, to look for untranslated catalog keys. */
  const trayText = (p) => p.evaluate(() => {
    const tray = [...document.querySelectorAll('.red-ui-tray')].pop();
    const attrs = [...tray.querySelectorAll('[placeholder],[title]')].map((e) => `${e.getAttribute('placeholder') || ''} ${e.getAttribute('title') || ''}`);
    return `${tray.innerText} ${attrs.join(' ')}`;
  });

  function assertTranslated(text, where) {
    for (const { type } of types) {
      const key = new RegExp(`${type.replace(/[-.]/g, '\\$&')}\\.[A-Za-z]`);
      assert.ok(!key.test(text), `${where}: untranslated key '${type}.…' in: ${text.slice(0, 600)}`);
    }
  }

  async function assertHelp(p, t, headings) {
    await p.evaluate((type) => RED.sidebar.help.show(type), t.type);
    const help = await p.locator('.red-ui-help').last().innerText();
    const h3 = await p.evaluate(() => [...[...document.querySelectorAll('.red-ui-help')].pop().querySelectorAll('h3')].map((h) => h.textContent.trim()));
    const want = [...(t.config ? [] : [...(t.inputs ? [headings.inputs] : []), ...(t.outputs ? [headings.outputs] : [])]), headings.details, headings.references];
    for (const h of want) assert.ok(h3.includes(h), `${t.type} help has no '${h}' section: ${h3.join(', ')}`);
    assert.ok(help.length > 200, `${t.type} help is too short`);
  }

  /** Sets each wrong value and expects the dialog to mark the field, then puts the old value back. */
  async function assertValidation(p, type, prefix) {
    for (const [prop, bad] of Object.entries(INVALID[type] ?? {})) {
      const sel = `#${prefix}-${prop}`;
      const old = await p.inputValue(sel);
      await p.fill(sel, bad);
      await p.dispatchEvent(sel, 'change');
      assert.ok(await p.locator(sel).evaluate((e) => e.classList.contains('input-error')), `${type}.${prop} = ${bad} is not flagged`);
      await p.fill(sel, old);
      await p.dispatchEvent(sel, 'change');
      assert.ok(!(await p.locator(sel).evaluate((e) => e.classList.contains('input-error'))), `${type}.${prop} = ${old} is flagged`);
    }
    // A blank number field is its default at run time: not flagged, and the default shows in the empty field.
    const numbers = await p.evaluate((t) => Object.entries(RED.nodes.getType(t).defaults).filter(([, d]) => typeof d.value === 'number').map(([k, d]) => [k, d.value]), type);
    for (const [prop, value] of numbers) {
      const sel = `#${prefix}-${prop}`;
      const old = await p.inputValue(sel);
      // set in the page: some of these fields are hidden for the current choices (another source, the pause on)
      const set = (v) => p.locator(sel).evaluate((e, x) => { e.value = x; e.dispatchEvent(new Event('change')); }, v);
      await set('');
      assert.ok(!(await p.locator(sel).evaluate((e) => e.classList.contains('input-error'))), `${type}.${prop} blank is flagged`);
      assert.strictEqual(await p.getAttribute(sel, 'placeholder'), String(value), `${type}.${prop}: the placeholder of a blank field`);
      await set(old);
    }
  }

  async function undoAll(p) {
    await p.evaluate(() => { while (RED.history.depth() > 0) RED.history.pop(); });
  }

  it('lists every node type of package.json in the palette under "yolo edge", with its icon', async () => {
    assert.deepStrictEqual([...new Set(types.map((t) => t.set))].sort(), Object.keys(PKG['node-red'].nodes).sort(), 'every node set of package.json is loaded');
    const regular = types.filter((t) => !t.config);
    assert.ok(regular.length > 0);
    for (const t of regular) {
      const item = page.locator(`#red-ui-palette-container-yolo_edge .red-ui-palette-node[data-palette-type="${t.type}"]`);
      assert.strictEqual(await item.count(), 1, `${t.type} is not in the 'yolo edge' palette category`);
      assert.ok(t.icon && !t.icon.startsWith('font-awesome/'), `${t.type} has no own icon file`);
      const icon = await page.evaluate((url) => fetch(url).then(async (r) => ({ status: r.status, type: r.headers.get('content-type'), body: await r.text() })), `icons/node-red-contrib-yolo-edge/${t.icon}`);
      assert.strictEqual(icon.status, 200, `${t.type} icon ${t.icon}`);
      assert.match(icon.type, /svg/);
      assert.match(icon.body, /#fff/i, 'white on transparent');
    }
    await page.locator('#red-ui-palette-header-yolo_edge').scrollIntoViewIfNeeded();
    await shot(page, 'palette');
  });

  it('opens the edit dialog of every node type: translated, with help, validation and the model picker', async () => {
    const en = { inputs: 'Inputs', outputs: 'Outputs', details: 'Details', references: 'References' };
    const regular = types.filter((t) => !t.config);
    for (const [i, t] of regular.entries()) {
      const before = await page.evaluate((type) => RED.nodes.filterNodes({ type }).map((n) => n.id), t.type);
      await page.locator(`.red-ui-palette-node[data-palette-type="${t.type}"]`).dragTo(page.locator('#red-ui-workspace-chart'), { targetPosition: { x: 250 + 220 * (i % 3), y: 120 + 80 * Math.floor(i / 3) } });
      const id = await page.evaluate(([type, old]) => RED.nodes.filterNodes({ type }).map((n) => n.id).find((x) => !old.includes(x)), [t.type, before]);
      assert.ok(id, `dragging ${t.type} from the palette made no node`);
      await page.dblclick(`[id="${id}"] .red-ui-flow-node`);
      await page.waitForSelector('#node-dialog-ok', { state: 'visible' });
      await page.waitForTimeout(300);
      assertTranslated(await trayText(page), `${t.type} dialog`);
      await assertValidation(page, t.type, 'node-input');
      await shot(page, `dialog-${t.type}`);
      await page.click('#node-dialog-cancel');
      await page.waitForSelector('#node-dialog-ok', { state: 'detached' });
      await assertHelp(page, t, en);
    }
    await assertConfigDialogs(page, en);
    await undoAll(page);
  });

  /** Config nodes open from a node that uses them: the pencil button beside the property. */
  async function assertConfigDialogs(p, headings) {
    for (const t of types.filter((x) => x.config)) {
      const owner = await p.evaluate((type) => {
        for (const n of RED.nodes.filterNodes({})) {
          const d = n._def.defaults || {};
          const prop = Object.keys(d).find((k) => d[k].type === type);
          if (prop) return { id: n.id, prop };
        }
        return null;
      }, t.type);
      assert.ok(owner, `no node on the workspace uses config type ${t.type}`);
      await p.dblclick(`[id="${owner.id}"] .red-ui-flow-node`);
      await p.waitForSelector('#node-dialog-ok', { state: 'visible' });
      await p.waitForTimeout(300);
      // Node-RED 4 has an add (+) button beside the config select; older versions a lookup (pencil) button.
      const add = p.locator(`#node-input-btn-${owner.prop}-add`);
      await ((await add.count()) ? add : p.locator(`#node-input-lookup-${owner.prop}`)).click();
      await p.waitForSelector('#node-config-dialog-ok', { state: 'visible' });
      await p.waitForTimeout(300);
      if (t.type === 'yolo-model') await assertModelPicker(p);
      assertTranslated(await trayText(p), `${t.type} dialog`);
      await assertValidation(p, t.type, 'node-config-input');
      await shot(p, `dialog-${t.type}`);
      await p.click('#node-config-dialog-cancel');
      await p.waitForSelector('#node-config-dialog-ok', { state: 'detached' });
      await p.click('#node-dialog-cancel');
      await p.waitForSelector('#node-dialog-ok', { state: 'detached' });
      await assertHelp(p, t, headings);
    }
  }

  async function assertModelPicker(p) {
    await p.waitForFunction(() => [...document.querySelectorAll('#yolo-model-picker option')].some((o) => o.value === 'yolov8n.onnx'), null, { timeout: 30000 });
    assert.strictEqual(await p.inputValue('#node-config-input-threads'), '0', 'a new model node shows its default threads');
    const option = await p.locator('#yolo-model-picker option[value="yolov8n.onnx"]').innerText();
    assert.match(option, /yolov8n\.onnx \(fp32, 640px, 80\)/);
    await p.fill('#node-config-input-model', 'elsewhere/custom.onnx');
    await p.dispatchEvent('#node-config-input-model', 'change');
    assert.match(await p.locator('#yolo-model-info').innerText(), /Not in a models\/ folder/);
    await p.selectOption('#yolo-model-picker', 'yolov8n.onnx');
    assert.strictEqual(await p.inputValue('#node-config-input-model'), 'yolov8n.onnx');
    const info = await p.locator('#yolo-model-info').innerText();
    assert.match(info, /80 classes: person, bicycle, car/);
    assert.match(info, /input 640×640 \(float32\) · FP32/);
    assert.match(await p.locator('#yolo-model-folders').innerText(), /models/);
  }

  /** A new yolo-model's dialog, opened as a user does: a detect node's add (+) button beside its model. */
  async function openNewModelDialog(p) {
    await p.evaluate(() => RED.workspaces.show(RED.workspaces.active() || RED.nodes.getWorkspaceOrder()[0]));
    const before = await p.evaluate(() => RED.nodes.filterNodes({ type: 'yolov8-detect' }).map((n) => n.id));
    await p.locator('.red-ui-palette-node[data-palette-type="yolov8-detect"]').dragTo(p.locator('#red-ui-workspace-chart'), { targetPosition: { x: 300, y: 400 } });
    const id = await p.evaluate((old) => RED.nodes.filterNodes({ type: 'yolov8-detect' }).map((n) => n.id).find((x) => !old.includes(x)), before);
    await p.dblclick(`[id="${id}"] .red-ui-flow-node`);
    await p.waitForSelector('#node-dialog-ok', { state: 'visible' });
    const add = p.locator('#node-input-btn-model-add');
    await ((await add.count()) ? add : p.locator('#node-input-lookup-model')).click();
    await p.waitForSelector('#node-config-dialog-ok', { state: 'visible' });
    await p.waitForFunction(() => document.querySelector('#yolo-model-folders')?.textContent, null, { timeout: 30000 });
  }

  // Where install scripts do not run (palette manager, npm 12) the default model is not in the package's models/:
  // the first deploy fetches it into the user dir's models/, which the runtime then uses for 'yolov8n.onnx'.
  it('model picker: the default model is shown where the runtime finds it, and the folders in the editor\'s language', async () => {
    const userModels = path.join(red.userDir, 'models');
    fs.mkdirSync(userModels, { recursive: true });
    fs.symlinkSync(MODEL, path.join(userModels, 'yolov8n.onnx'));
    fs.symlinkSync(MODEL, path.join(userModels, 'coco-copy.onnx')); // another model, there all along
    let keep = () => true;
    const ctx = await browser.newContext({ locale: 'en-US', viewport: { width: 1400, height: 900 } });
    const zhCtx = await browser.newContext({ locale: 'zh-CN', viewport: { width: 1400, height: 900 } });
    try {
      // the server's own listing, less the copies this install is to lack
      for (const c of [ctx, zhCtx]) {
        await c.route(/\/yolo-edge\/models$/, async (route) => {
          const res = await route.fetch();
          const body = await res.json();
          await route.fulfill({ response: res, json: { ...body, models: body.models.filter(keep) } });
        });
      }
      const p = await ctx.newPage();
      await login(p);
      keep = (m) => !(m.source === 'package' && m.value === 'yolov8n.onnx');
      await openNewModelDialog(p);
      assert.strictEqual(await p.inputValue('#node-config-input-model'), 'yolov8n.onnx');
      assert.strictEqual(await p.inputValue('#yolo-model-picker'), 'models/yolov8n.onnx', 'the picker shows the copy the runtime uses');
      assert.match(await p.locator('#yolo-model-info').innerText(), /80 classes: person, bicycle, car/);
      keep = (m) => m.file !== 'yolov8n.onnx'; // read again: the copy is gone from both folders
      await p.click('#yolo-model-refresh');
      // the listing is read again when the picker offers models once more (while it loads it holds one 'reading' entry)
      await p.waitForFunction(() => [...document.querySelectorAll('#yolo-model-picker option')].some((o) => o.value === 'models/coco-copy.onnx'));
      assert.ok(!(await p.locator('#yolo-model-picker option[value$="yolov8n.onnx"]').count()));
      assert.match(await p.locator('#yolo-model-info').innerText(), /default model .*fetched into models\/ in the Node-RED user directory when the flow is deployed/);
      await p.fill('#node-config-input-model', 'elsewhere/custom.onnx');
      await p.dispatchEvent('#node-config-input-model', 'change');
      assert.match(await p.locator('#yolo-model-info').innerText(), /Not in a models\/ folder/);

      keep = () => true;
      const zh = await zhCtx.newPage();
      await login(zh);
      await openNewModelDialog(zh);
      const folders = await zh.locator('#yolo-model-folders').innerText();
      assert.match(folders, /本软件包的 models\/.*Node-RED 用户目录中的 models\//, folders);
      assert.ok(!/[A-Za-z]{4,}/.test(folders.replace(/Node-RED|onnx|models/g, '')), `English in the zh-CN dialog: ${folders}`);
      // with a copy in both folders, 'yolov8n.onnx' is the user dir's at run time (it may be the user's own model)
      const { findDefaultModel } = lib('model/default-model');
      assert.strictEqual(findDefaultModel(red.userDir), path.join(userModels, 'yolov8n.onnx'));
      await zh.fill('#node-config-input-model', 'yolov8n.onnx');
      await zh.dispatchEvent('#node-config-input-model', 'change');
      assert.strictEqual(await zh.inputValue('#yolo-model-picker'), 'models/yolov8n.onnx', 'the picker shows the copy the runtime uses');
    } finally {
      await ctx.close();
      await zhCtx.close();
      fs.rmSync(userModels, { recursive: true, force: true });
    }
  });

  // A node written by hand (a snippet, the admin API) may leave settings out: the runtime then takes their defaults,
  // and the dialog must show those, or opening it and clicking Done changes what runs (the guard turned off).
  it('a node written without its switches: the dialog shows what the runtime runs, and Done keeps it', async () => {
    const { parseCameraConfig } = lib('camera/config');
    const { parseTemperatureConfig } = lib('temperature/config');
    const camera = parseCameraConfig({ source: 'test' });
    const temperature = parseTemperatureConfig({}).monitor;
    const runtime = {
      'yolo-camera': { autostart: camera.autostart, mjpeg2jpeg: camera.v4l2.mjpeg2jpeg, hflip: camera.rpicam.hflip, vflip: camera.rpicam.vflip, loop: camera.folder.loop, watch: camera.folder.watch },
      'yolo-temperature': { guard: temperature.guard !== null, criticalPause: temperature.guard.criticalPause, vcgencmd: temperature.vcgencmd },
    };
    const written = { 'yolo-camera': { source: 'test' }, 'yolo-temperature': {} };
    for (const [type, want] of Object.entries(runtime)) {
      const switches = await page.evaluate((t) => Object.entries(RED.nodes.getType(t).defaults).filter(([, d]) => typeof d.value === 'boolean').map(([k]) => k), type);
      assert.deepStrictEqual(switches.filter((k) => !(k in want)), [], `${type}: switches the test does not know the runtime's value of`);
      const id = await page.evaluate(([t, props]) => {
        const z = RED.workspaces.active();
        const nodeId = RED.nodes.id();
        RED.view.importNodes([{ id: nodeId, type: t, z, x: 300, y: 300, wires: [], ...props }], { generateIds: false });
        return nodeId;
      }, [type, written[type]]);
      await page.mouse.click(700, 600); // drop the imported node
      await page.dblclick(`[id="${id}"] .red-ui-flow-node`);
      await page.waitForSelector('#node-dialog-ok', { state: 'visible' });
      const shown = await page.evaluate((keys) => Object.fromEntries(keys.map((k) => {
        const e = document.querySelector(`#node-input-${k}`);
        return [k, e.type === 'checkbox' ? e.checked : e.value];
      })), Object.keys(want));
      assert.deepStrictEqual(shown, want, `${type} dialog`);
      await page.click('#node-dialog-ok');
      await page.waitForSelector('#node-dialog-ok', { state: 'detached' });
      const saved = await page.evaluate(([i, keys]) => Object.fromEntries(keys.map((k) => [k, RED.nodes.node(i)[k]])), [id, Object.keys(want)]);
      assert.deepStrictEqual(saved, want, `${type} after Done`);
    }
    await undoAll(page);
  });

  it('an https camera: its TLS configuration is chosen behind a checkbox; unticked, none is saved', async () => {
    const ids = await page.evaluate(() => {
      const z = RED.workspaces.active();
      const tls = RED.nodes.id();
      const cam = RED.nodes.id();
      RED.view.importNodes([
        { id: tls, type: 'tls-config', name: 'camera CA', verifyservercert: false },
        { id: cam, type: 'yolo-camera', z, x: 300, y: 300, wires: [], source: 'snapshot', url: 'https://10.0.0.5/snap.jpg', tls },
      ], { generateIds: false });
      return { tls, cam };
    });
    await page.mouse.click(700, 600); // drop the imported node
    await page.dblclick(`[id="${ids.cam}"] .red-ui-flow-node`);
    await page.waitForSelector('#node-dialog-ok', { state: 'visible' });
    assert.ok(await page.isChecked('#node-input-usetls'), 'a camera with a TLS configuration has the box ticked');
    assert.ok(await page.isVisible('#node-input-tls'));
    assert.strictEqual(await page.inputValue('#node-input-tls'), ids.tls);
    await page.uncheck('#node-input-usetls');
    assert.ok(!(await page.isVisible('#node-input-tls')), 'unticked, the choice is hidden');
    await page.selectOption('#node-input-source', 'folder');
    assert.ok(!(await page.isVisible('#node-input-usetls')), 'a folder camera has no TLS row');
    await page.selectOption('#node-input-source', 'snapshot');
    await page.click('#node-dialog-ok');
    await page.waitForSelector('#node-dialog-ok', { state: 'detached' });
    assert.strictEqual(await page.evaluate((i) => RED.nodes.node(i).tls, ids.cam), '');
    await undoAll(page);
  });

  /** Import > Examples > node-red-contrib-yolo-edge > <name>, then drop the nodes on the workspace. */
  async function importExample(p, name) {
    await p.click('#red-ui-header-button-sidemenu');
    await p.click('#menu-item-import');
    await p.click('#red-ui-tab-red-ui-clipboard-dialog-import-tab-examples a');
    const tab = p.locator('#red-ui-clipboard-dialog-import-tab-examples');
    await tab.locator('.red-ui-treeList-label-text', { hasText: /^node-red-contrib-yolo-edge$/ }).click();
    const item = tab.locator('.red-ui-treeList-label-text', { hasText: new RegExp(`^${name}$`) });
    await item.click();
    // A click that lands while the package folder is still opening selects nothing: click again until Import is on.
    const ok = p.locator('#red-ui-clipboard-dialog-ok');
    for (let i = 0; i < 10 && (await ok.isDisabled()); i++) {
      await p.waitForTimeout(300);
      if (await ok.isDisabled()) await item.click();
    }
    await ok.click();
    await p.mouse.move(500, 300);
    await p.mouse.click(500, 300);
  }

  /** The package's nodes of an imported example are valid, and each one's dialog opens with no field flagged. */
  async function assertExampleDialogs(p, file) {
    const ours = types.map((t) => t.type);
    const nodes = await p.evaluate((ts) => {
      const all = [];
      RED.nodes.eachNode((n) => { if (ts.includes(n.type)) all.push(n); });
      RED.nodes.eachConfig((n) => { if (ts.includes(n.type)) all.push(n); });
      return all.filter((n) => n.changed).map((n) => ({ id: n.id, type: n.type, z: n.z, valid: n.valid, errors: n.validationErrors, config: !n.z || n._def.category === 'config' }));
    }, ours);
    assert.ok(nodes.length > 0, `${file}: none of the package's nodes imported`);
    for (const n of nodes) assert.ok(n.valid, `${file}: ${n.type} ${n.id} is invalid on import: ${JSON.stringify(n.errors)}`);
    for (const n of nodes.filter((x) => !x.config)) {
      await p.evaluate((id) => { const node = RED.nodes.node(id); RED.workspaces.show(node.z); RED.editor.edit(node); }, n.id);
      await p.waitForSelector('#node-dialog-ok', { state: 'visible' });
      await p.waitForTimeout(300);
      const flagged = await p.evaluate(() => [...[...document.querySelectorAll('.red-ui-tray')].pop().querySelectorAll('.input-error')].map((e) => `${e.id}=${JSON.stringify(e.value)}`));
      assert.deepStrictEqual(flagged, [], `${file}: ${n.type} dialog flags fields nobody changed`);
      await p.click('#node-dialog-cancel');
      await p.waitForSelector('#node-dialog-ok', { state: 'detached' });
    }
  }

  it('imports every example through Import > Examples, with no unknown node types but the documented ones', async () => {
    const thirdParty = documentedThirdParty();
    const examples = fs.readdirSync(path.join(ROOT, 'examples')).filter((f) => f.endsWith('.json')).sort();
    assert.ok(examples.length > 0);
    const onWorkspaces = () => page.evaluate(() => RED.nodes.filterNodes({}).length);
    for (const file of examples) {
      assert.ok(file in thirdParty, `${file} is not in README.md's "Example flows" table (which third-party nodes it needs)`);
      const flow = JSON.parse(fs.readFileSync(path.join(ROOT, 'examples', file), 'utf8'));
      const countBefore = await onWorkspaces();
      await importExample(page, file.replace(/\.json$/, ''));
      await page.waitForTimeout(500);
      const flowTypes = [...new Set(flow.map((n) => n.type).filter((t) => !STRUCTURAL.has(t) && !t.startsWith('subflow:')))];
      const unknown = await page.evaluate((ts) => ts.filter((t) => !RED.nodes.registry.getNodeType(t)), flowTypes);
      const undocumented = unknown.filter((t) => !thirdParty[file].includes(t));
      assert.deepStrictEqual(undocumented, [], `${file}: unknown node types not listed in README.md`);
      const placed = flow.filter((n) => n.z && n.type !== 'group' && n.type !== 'junction').length;
      assert.strictEqual(await onWorkspaces() - countBefore, placed, `${file}: nodes on the workspace after the import`);
      await shot(page, `import-${file.replace(/\.json$/, '')}`);
      await assertExampleDialogs(page, file);
      await undoAll(page);
    }
  });

  it('deploys the demo flow from the editor; the page shows detections and the editor a preview', async () => {
    await importExample(page, 'upload-page-demo');
    await page.click('#red-ui-header-button-deploy');
    await page.waitForSelector('.red-ui-notification:has-text("Successfully deployed")', { timeout: 30000 });
    // The imported flow is on its own tab: show it, so its nodes are drawn.
    const detectId = await page.evaluate(() => {
      const n = RED.nodes.filterNodes({ type: 'yolov8-detect' })[0];
      RED.workspaces.show(n.z);
      return n.id;
    });

    // The upload page, as a user would use it.
    const demo = await browser.newPage({ viewport: { width: 1200, height: 900 } });
    await demo.goto(`${red.url}/yolo-edge/`);
    await demo.setInputFiles('#file', cocoImage('000000000034.jpg'));
    await demo.waitForSelector('#detections tbody tr', { timeout: 120000 });
    const rows = await demo.locator('#detections tbody tr').allInnerTexts();
    assert.match(rows[0], /zebra/);
    await demo.waitForFunction(() => document.getElementById('annotated').naturalWidth > 0);
    await demo.screenshot({ path: path.join(OUT, 'demo-page.png'), fullPage: true });
    await demo.close();

    // The same endpoint from a script.
    const res = await fetch(`${red.url}/yolo-edge/detect`, { method: 'POST', headers: { 'Content-Type': 'image/jpeg' }, body: fs.readFileSync(cocoImage('000000000009.jpg')) });
    assert.strictEqual(res.status, 200);
    const body = await res.json();
    assert.ok(body.detections.length > 0);
    assert.ok(body.detections.some((d) => d.class === 'bowl' || d.class === 'broccoli'), JSON.stringify(body.counts));

    // The thumbnail under yolov8-detect, and the status badge.
    const href = await page.waitForFunction((id) => document.querySelector(`[id="${id}"] image.yolo-edge-preview`)?.getAttribute('href'), detectId, { timeout: 30000 });
    assert.match(await href.jsonValue(), /^data:image\/jpeg;base64,/);
    const status = await page.locator(`[id="${detectId}"] .red-ui-flow-node-status-label`).evaluate((e) => e.textContent);
    assert.match(status, /ready|\d+ ms · \d+ obj/);
    await shot(page, 'deployed-preview');

    // A file path posted as text is not read: 4xx, and the answer says why without any of the file.
    const path2 = await fetch(`${red.url}/yolo-edge/detect`, { method: 'POST', headers: { 'Content-Type': 'text/plain' }, body: cocoImage('000000000009.jpg') });
    assert.strictEqual(path2.status, 400);
    const said = await path2.json();
    assert.deepStrictEqual([said.code, said.error], ['BAD_PAYLOAD', 'send the image itself as the request body (Content-Type image/jpeg, image/png or image/webp)']);

    // The model picker's endpoint needs a logged-in user.
    assert.strictEqual((await fetch(`${red.url}/yolo-edge/models`)).status, 401);
    assert.deepStrictEqual(pageErrors, []);
  });

  it('speaks Chinese to a zh-CN browser: palette, dialog and help', async () => {
    const ctx = await browser.newContext({ locale: 'zh-CN', viewport: { width: 1400, height: 900 } });
    const zh = await ctx.newPage();
    await login(zh);
    const label = await zh.locator('.red-ui-palette-node[data-palette-type="yolov8-detect"]').getAttribute('data-palette-label');
    assert.strictEqual(label, 'yolov8 检测');
    // The flow deployed by the test before; the editor loads it after the palette.
    await zh.waitForFunction(() => RED.nodes.filterNodes({ type: 'yolov8-detect' }).length > 0);
    const id = await zh.evaluate(() => {
      const n = RED.nodes.filterNodes({ type: 'yolov8-detect' })[0];
      RED.workspaces.show(n.z);
      return n.id;
    });
    await zh.waitForSelector(`[id="${id}"] image.yolo-edge-preview`); // the retained thumbnail, in a new editor
    await zh.dblclick(`[id="${id}"] .red-ui-flow-node`);
    await zh.waitForSelector('#node-dialog-ok', { state: 'visible' });
    const text = await trayText(zh);
    assert.match(text, /置信度/);
    assertTranslated(text, 'zh-CN dialog');
    await shot(zh, 'dialog-zh-CN');
    await zh.click('#node-dialog-cancel');
    for (const t of types) await assertHelp(zh, t, { inputs: '输入', outputs: '输出', details: '详细说明', references: '参考' });
    await ctx.close();
  });
});
