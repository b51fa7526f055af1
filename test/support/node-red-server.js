'use strict';
// A real Node-RED for the browser test: free loopback port, temp user dir with this package linked in
// (as scripts/start.js does), admin login on, its log kept in a file.
const fs = require('fs');
const net = require('net');
const os = require('os');
const path = require('path');
const crypto = require('crypto');
const { spawn } = require('child_process');
const { ROOT } = require('./paths');

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

async function waitForHttp(url, child, ms) {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (child.exitCode !== null) throw new Error(`Node-RED exited with ${child.exitCode}`);
    try {
      const res = await fetch(url);
      if (res.ok) return;
    } catch { /* not listening yet */ }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`Node-RED did not answer at ${url} within ${ms} ms`);
}

/**
 * Starts Node-RED; resolves with {url, port, userDir, user, password, logFile, stop()}. users: more adminAuth
 * users ({username, password, permissions}, plain passwords); settings: settings.js entries to override.
 */
async function startNodeRed({ logFile, flows = [], users = [], settings: overrides = {} } = {}) {
  const port = await freePort();
  const userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'yolo-edge-editor-'));
  fs.mkdirSync(path.join(userDir, 'node_modules'));
  fs.symlinkSync(ROOT, path.join(userDir, 'node_modules', 'node-red-contrib-yolo-edge'), 'dir');
  fs.writeFileSync(path.join(userDir, 'package.json'), JSON.stringify({ name: 'yolo-edge-editor-test', private: true, dependencies: { 'node-red-contrib-yolo-edge': `file:${ROOT}` } }));
  fs.writeFileSync(path.join(userDir, 'flows.json'), JSON.stringify(flows));
  const redDir = path.dirname(require.resolve('node-red/package.json', { paths: [ROOT] }));
  const bcrypt = require(require.resolve('bcryptjs', { paths: [redDir] }));
  const user = 'admin';
  const password = crypto.randomBytes(9).toString('base64url');
  const settings = path.join(userDir, 'settings.js');
  fs.writeFileSync(settings, `module.exports = ${JSON.stringify({
    uiHost: '127.0.0.1',
    uiPort: port,
    flowFile: 'flows.json',
    credentialSecret: false,
    adminAuth: { type: 'credentials', users: [{ username: user, password: bcrypt.hashSync(password, 8), permissions: '*' }, ...users.map((u) => ({ ...u, password: bcrypt.hashSync(u.password, 8) }))] },
    telemetry: { enabled: false },
    logging: { console: { level: 'info', metrics: false, audit: false } },
    editorTheme: { projects: { enabled: false }, tours: false },
    ...overrides,
  }, null, 2)};\n`);
  const log = fs.openSync(logFile || path.join(userDir, 'node-red.log'), 'w');
  const child = spawn(process.execPath, [path.join(redDir, 'red.js'), '--userDir', userDir, '--settings', settings], { stdio: ['ignore', log, log] });
  const url = `http://127.0.0.1:${port}`;
  const removeUserDir = () => {
    fs.unlinkSync(path.join(userDir, 'node_modules', 'node-red-contrib-yolo-edge')); // the link, never the checkout
    fs.rmSync(userDir, { recursive: true, force: true });
  };
  const stop = () => new Promise((resolve) => {
    if (child.exitCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
    setTimeout(() => child.kill('SIGKILL'), 10000).unref();
  }).then(removeUserDir);
  try {
    await waitForHttp(`${url}/`, child, 60000);
  } catch (err) {
    await stop();
    throw err;
  }
  return { url, port, userDir, user, password, logFile: logFile || path.join(userDir, 'node-red.log'), stop };
}

module.exports = { startNodeRed, freePort };
