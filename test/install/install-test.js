'use strict';
// Installs the package the way Node-RED users get it and checks that it detects: pack this checkout, install the
// tarball into a fresh Node-RED user dir with install scripts disabled (as npm 12 and Node-RED 5's palette
// manager do, so no model arrives at install time), start Node-RED 5, deploy a flow whose yolo-model uses the
// default model, POST a photo and expect the zebra. Then upgrade to a re-packed tarball (which replaces the
// package folder) and check that detection works again without fetching the model a second time.
//   npm run test:install            (builds, then runs this with the pinned Node 24)
const assert = require('assert');
const fs = require('fs');
const http = require('http');
const net = require('net');
const os = require('os');
const path = require('path');
const { spawn, spawnSync } = require('child_process');

const ROOT = path.resolve(__dirname, '..', '..');
const PHOTO = path.join(ROOT, 'test', 'fixtures', 'coco128-sample', '000000000034.jpg');
const NPM = require(path.join(ROOT, 'dist', 'lib', 'model', 'npm-command.js')).npmCommand();
const START_TIMEOUT_MS = 60_000;
const DETECT_TIMEOUT_MS = 10 * 60_000;

const log = (m) => console.log(`install-test: ${m}`);

function npm(args, cwd) {
  const r = spawnSync(NPM.cmd, [...NPM.args, ...args], { cwd, encoding: 'utf8', env: { ...process.env, npm_config_ignore_scripts: 'true', npm_config_audit: 'false', npm_config_fund: 'false' } });
  if (r.status !== 0) throw new Error(`npm ${args.join(' ')} failed (${r.status}):\n${r.stderr.slice(-2000)}`);
  return r.stdout;
}

/** The packed checkout; with `version`, re-packed under that version (an upgrade of the same code). */
function pack(dest, version) {
  const name = npm(['pack', '--ignore-scripts', '--silent', '--pack-destination', dest], ROOT).trim().split('\n').pop();
  const tgz = path.join(dest, name);
  if (!version) return tgz;
  const stage = fs.mkdtempSync(path.join(os.tmpdir(), 'yolo-edge-repack-'));
  assert.strictEqual(spawnSync('tar', ['-xzf', tgz, '-C', stage]).status, 0);
  const pkgFile = path.join(stage, 'package', 'package.json');
  fs.writeFileSync(pkgFile, JSON.stringify({ ...JSON.parse(fs.readFileSync(pkgFile, 'utf8')), version }, null, 2));
  const out = path.join(dest, `node-red-contrib-yolo-edge-${version}.tgz`);
  assert.strictEqual(spawnSync('tar', ['-czf', out, '-C', stage, 'package']).status, 0);
  fs.rmSync(stage, { recursive: true, force: true });
  return out;
}

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    }).on('error', reject);
  });
}

function writeUserDir(userDir, port) {
  fs.mkdirSync(userDir, { recursive: true });
  fs.writeFileSync(path.join(userDir, 'package.json'), JSON.stringify({ name: 'node-red-project', private: true }, null, 2));
  fs.writeFileSync(path.join(userDir, 'settings.js'), `module.exports = { uiHost: '127.0.0.1', uiPort: ${port}, flowFile: 'flows.json', credentialSecret: false, editorTheme: { tours: false } };\n`);
  const flow = [
    { id: 'tab', type: 'tab', label: 'install test' },
    { id: 'model', type: 'yolo-model', name: 'default', model: 'yolov8n.onnx', threads: '1', providers: 'cpu', names: '' },
    { id: 'in', type: 'http in', z: 'tab', url: '/detect', method: 'post', upload: false, wires: [['detect']] },
    { id: 'detect', type: 'yolov8-detect', z: 'tab', model: 'model', confidence: 0.25, iou: 0.7, wires: [['out']] },
    { id: 'out', type: 'http response', z: 'tab', statusCode: '', headers: {} },
  ];
  fs.writeFileSync(path.join(userDir, 'flows.json'), JSON.stringify(flow, null, 2));
}

/** Node-RED 5 from this checkout's node_modules, loading the nodes installed in userDir. */
function startNodeRed(userDir, port) {
  const red = require.resolve('node-red/red.js', { paths: [ROOT] });
  const child = spawn(process.execPath, [red, '--userDir', userDir, '--settings', path.join(userDir, 'settings.js')], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  const started = new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`Node-RED did not start in ${START_TIMEOUT_MS / 1000} s:\n${output}`)), START_TIMEOUT_MS);
    const poll = setInterval(() => {
      if (/Started flows/.test(output)) { clearInterval(poll); clearTimeout(t); resolve(); }
    }, 200);
    child.on('exit', (code) => { clearInterval(poll); clearTimeout(t); reject(new Error(`Node-RED exited with ${code}:\n${output}`)); });
  });
  return { child, started, output: () => output, port };
}

function stop(red) {
  return new Promise((resolve) => {
    if (red.child.exitCode !== null) return resolve();
    red.child.once('exit', resolve);
    red.child.kill('SIGINT');
    setTimeout(() => red.child.kill('SIGKILL'), 15000).unref();
  });
}

function postPhoto(port) {
  const body = fs.readFileSync(PHOTO);
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path: '/detect', method: 'POST', headers: { 'content-type': 'image/jpeg', 'content-length': body.length }, timeout: DETECT_TIMEOUT_MS }, (res) => {
      let text = '';
      res.on('data', (d) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode, text }));
    });
    req.on('timeout', () => req.destroy(new Error('no answer from /detect')));
    req.on('error', reject);
    req.end(body);
  });
}

async function detectOnce(userDir, port, label) {
  const red = startNodeRed(userDir, port);
  try {
    await red.started;
    const t = Date.now();
    const res = await postPhoto(port);
    assert.strictEqual(res.status, 200, `${label}: HTTP ${res.status} ${res.text}\n${red.output()}`);
    const detections = JSON.parse(res.text);
    assert.strictEqual(detections[0]?.class, 'zebra', `${label}: ${res.text}`);
    log(`${label}: zebra at ${detections[0].score.toFixed(3)} after ${((Date.now() - t) / 1000).toFixed(1)} s`);
    return red.output();
  } finally {
    await stop(red);
  }
}

async function main() {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'yolo-edge-install-'));
  const userDir = path.join(work, 'node-red');
  const port = await freePort();
  writeUserDir(userDir, port);
  const installed = path.join(userDir, 'node_modules', 'node-red-contrib-yolo-edge');
  const modelsOf = (dir) => (fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith('.onnx')) : []);
  try {
    log(`packing and installing into ${userDir} with install scripts disabled`);
    npm(['install', pack(work)], userDir);
    assert.deepStrictEqual(modelsOf(path.join(installed, 'models')), [], 'no model arrives at install time without scripts');
    const first = await detectOnce(userDir, port, 'first deploy');
    assert.match(first, /default model missing: fetching it into/);
    assert.deepStrictEqual(modelsOf(path.join(userDir, 'models')), ['yolov8n.onnx']);

    log('upgrading to a re-packed tarball');
    npm(['install', pack(work, '99.0.0-upgrade')], userDir);
    assert.strictEqual(JSON.parse(fs.readFileSync(path.join(installed, 'package.json'), 'utf8')).version, '99.0.0-upgrade');
    const second = await detectOnce(userDir, port, 'after upgrade');
    assert.doesNotMatch(second, /fetching it into/, 'the model in the user dir survived the upgrade');
    log('passed');
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(`install-test: FAILED\n${err.stack || err}`);
  process.exit(1);
});
