'use strict';
// `npm start`: Node-RED on 127.0.0.1 with this package loaded and the demo flow deployed.
// The user dir lives in the repo (.node-red-user/, gitignored); the package is linked into its node_modules.
const fs = require('fs');
const net = require('net');
const path = require('path');
const { spawn, spawnSync } = require('child_process');

const root = path.resolve(__dirname, '..');
const userDir = process.env.YOLO_EDGE_USER_DIR || path.join(root, '.node-red-user');
const host = process.env.HOST || '127.0.0.1';
const portText = (process.env.PORT || '1880').trim();
const port = Number(portText);
if (!/^\d+$/.test(portText) || port < 1 || port > 65535) {
  console.error(`yolo-edge demo: PORT must be a port number from 1 to 65535, got ${JSON.stringify(process.env.PORT)}`);
  process.exit(2);
}

// The demo's editor has no login (settings.js is written anew at each start): on an address other than loopback,
// anyone who reaches it can change the flows, and so run commands on this machine. HOST is often set for other
// servers, so say so before starting.
if (!/^(127(\.\d{1,3}){3}|::1|localhost)$/i.test(host)) {
  console.warn(`yolo-edge demo: HOST=${host}: the editor has no login, so anyone who can reach ${host}:${port} can change its flows and run commands on this machine. Unset HOST to keep the demo on 127.0.0.1, or run Node-RED with your own settings.js and adminAuth to serve it on a network.`);
}

function step(cmd, args) {
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status || 1);
}

if (!fs.existsSync(path.join(root, 'dist', 'cli', 'main.js'))) step('npm', ['run', 'build']);
step(process.execPath, [path.join(root, 'dist', 'cli', 'main.js'), 'fetch-model', '--if-missing']);

fs.mkdirSync(path.join(userDir, 'node_modules'), { recursive: true });
const link = path.join(userDir, 'node_modules', 'node-red-contrib-yolo-edge');
if (!fs.existsSync(link)) fs.symlinkSync(root, link, process.platform === 'win32' ? 'junction' : 'dir');

const pkg = path.join(userDir, 'package.json');
if (!fs.existsSync(pkg)) {
  fs.writeFileSync(pkg, JSON.stringify({ name: 'yolo-edge-demo', private: true, dependencies: { 'node-red-contrib-yolo-edge': `file:${root}` } }, null, 2));
}

// The inspection line demo reads the images of samples/ (gitignored; users put their JPEGs there). The first
// start fills it with the test photos (one has knives), so that the demo detects something at once; a folder
// named in YOLO_EDGE_SAMPLES is the user's, and only created.
const samples = process.env.YOLO_EDGE_SAMPLES || path.join(root, 'samples');
if (!fs.existsSync(samples)) {
  fs.mkdirSync(samples, { recursive: true });
  const photos = path.join(root, 'test', 'fixtures', 'coco128-sample');
  const seed = process.env.YOLO_EDGE_SAMPLES ? [] : fs.readdirSync(photos).filter((n) => n.endsWith('.jpg'));
  for (const f of seed) fs.copyFileSync(path.join(photos, f), path.join(samples, f));
}

// Deploy the demo flows unless the user has changed them in the editor since.
const flowFile = path.join(userDir, 'flows.json');
const stamp = path.join(userDir, '.demo-flows.json');
const demo = fs.readdirSync(path.join(root, 'examples'))
  .filter((f) => f.endsWith('.json') && /demo/.test(f))
  .sort()
  .flatMap((f) => JSON.parse(fs.readFileSync(path.join(root, 'examples', f), 'utf8')));
const current = fs.existsSync(flowFile) ? fs.readFileSync(flowFile, 'utf8') : null;
if (current === null || (fs.existsSync(stamp) && fs.readFileSync(stamp, 'utf8') === current)) {
  const text = JSON.stringify(demo, null, 2);
  fs.writeFileSync(flowFile, text);
  fs.writeFileSync(stamp, text);
}

const settings = path.join(userDir, 'settings.js');
const MAX_BODY_BYTES = 20 * 1048576;
// Node-RED reads every body whole before the flow can refuse it: 100 uploads of 19 MB at once took it to 2 GB
// (and it stayed at 1.7 GB), though the detect node's queue takes 8 and runs 2 and answers the rest BUSY.
const MAX_UPLOADS = 10;
// A client that sends its headers and then little or nothing held its place until Node.js gave up on the request
// (300 s), and one that does not read its answer for ever: ten such connections from one host refused every other
// upload. One address may have MAX_CLIENT_UPLOADS places, and an upload not answered in full after
// UPLOAD_DEADLINE_MS (the page gives up then too) loses its place.
const MAX_CLIENT_UPLOADS = 4;
const UPLOAD_DEADLINE_MS = 60000;
// The parsers Node-RED's http in node reads Content-Type with: a header they cannot parse was its 500 and a stack
// trace in the log per request; the middleware answers it as the client's error instead.
const redNodes = path.dirname(require.resolve('@node-red/nodes/package.json', { paths: [path.dirname(require.resolve('node-red/package.json', { paths: [root] }))] }));
const typeParsers = ['content-type', 'media-typer'].map((m) => require.resolve(m, { paths: [redNodes] }));
// The demo's http in paths as Express matches them (any case, a trailing slash or not).
const endpointPath = (url) => `/${url.toLowerCase().replace(/^\/+|\/+$/g, '')}`;
const endpoints = [...new Set(demo.filter((n) => n.type === 'http in').map((n) => endpointPath(n.url)))];
fs.writeFileSync(settings, `// uploads being read or waiting for their answer
const uploads = { n: 0, byClient: new Map() };
const endpoints = ${JSON.stringify(endpoints)};
const endpointPath = ${endpointPath};
module.exports = {
  uiHost: ${JSON.stringify(host)},
  uiPort: ${port},
  flowFile: 'flows.json',
  credentialSecret: false,
  logging: { console: { level: 'info', metrics: false, audit: false } },
  editorTheme: { projects: { enabled: false }, tours: false },
  // no consent dialog over the editor on first visit; nothing is sent (the editor's settings can turn it on)
  telemetry: { enabled: false },
  // The editor's app, served at / before the flows' endpoints, reads the JSON and form bodies of every path: a
  // broken or large one sent to the demo's endpoint got its HTML error page and a stack trace in the log before the
  // endpoint's own checks ran. Requests to the demo's endpoints leave the editor's app, their bodies unread.
  httpAdminMiddleware: function (req, res, next) {
    if (endpoints.includes(endpointPath(req.path))) return next('router');
    next();
  },
  // Node-RED reads an image body into memory whatever its size (a 600 MB upload left it at 1.1 GB): the demo's
  // endpoint takes bodies that say their length, up to 20 MB.
  httpNodeMiddleware: function (req, res, next) {
    if (req.method !== 'POST' && req.method !== 'PUT') return next();
    if (req.headers['content-type'] !== undefined) {
      let type;
      try {
        type = require(${JSON.stringify(typeParsers[0])}).parse(req).type;
        require(${JSON.stringify(typeParsers[1])}).parse(type);
      } catch (err) {
        return res.status(400).json({ error: 'the Content-Type header cannot be read: send the image with Content-Type image/jpeg, image/png or image/webp' });
      }
      // the http in node would parse these: into an object the detect node refuses, or, broken, into its 500
      if (type === 'application/json' || type === 'application/x-www-form-urlencoded') {
        return res.status(415).json({ error: 'a JSON or form body is not read: send the image itself as the request body (Content-Type image/jpeg, image/png or image/webp)' });
      }
    }
    const length = Number(req.headers['content-length']);
    if (!Number.isFinite(length)) return res.status(411).json({ error: 'send the image with a Content-Length' });
    if (length > ${MAX_BODY_BYTES}) return res.status(413).json({ error: 'the image is over ${MAX_BODY_BYTES / 1048576} MB' });
    // refused before its body is read, as the detect node would refuse it after
    if (uploads.n >= ${MAX_UPLOADS}) return res.set('Retry-After', '1').status(503).json({ error: 'busy: ${MAX_UPLOADS} uploads are in progress; try again', code: 'BUSY' });
    const client = req.socket.remoteAddress;
    const mine = uploads.byClient.get(client) || 0;
    if (mine >= ${MAX_CLIENT_UPLOADS}) return res.set('Retry-After', '1').status(429).json({ error: 'busy: ${MAX_CLIENT_UPLOADS} uploads from your address are in progress; wait for their answers', code: 'BUSY' });
    uploads.n++;
    uploads.byClient.set(client, mine + 1);
    // a body still coming is told why; an answer still being detected or not being read is cut off
    const late = setTimeout(() => {
      if (!req.complete && !res.headersSent) res.set('Connection', 'close').status(408).json({ error: 'the image did not arrive within ${UPLOAD_DEADLINE_MS / 1000} s' });
      else req.socket.destroy();
    }, ${UPLOAD_DEADLINE_MS});
    res.once('close', () => {
      clearTimeout(late);
      uploads.n--;
      const left = uploads.byClient.get(client) - 1;
      if (left > 0) uploads.byClient.set(client, left);
      else uploads.byClient.delete(client);
    });
    next();
  },
};
`);

/** Whether Node-RED can listen on host:port: false when something else does (a Node-RED run as a service). */
function portFree() {
  return new Promise((resolve) => {
    const probe = net.createServer();
    probe.once('error', (err) => resolve(err.code !== 'EADDRINUSE')); // other errors are Node-RED's to report
    probe.listen(port, host, () => probe.close(() => resolve(true)));
  });
}

// Node-RED 5 needs Node >= 22.9: an older system node starts it with the pinned Node 24 the tests use.
const red = require.resolve('node-red/red.js', { paths: [root] });
const { ensureNode24, envWithNode24, supportsNodeRed5 } = require('./node24');
const own = supportsNodeRed5();
if (!own) console.log(`yolo-edge demo: Node.js ${process.versions.node} cannot run Node-RED 5; using Node.js 24 from .cache/`);
const nodeBin = own ? process.execPath : ensureNode24();
// production: Express answers a malformed request without a stack trace and the host's paths
const env = { ...(own ? process.env : envWithNode24()), YOLO_EDGE_SAMPLES: samples, NODE_ENV: 'production' };
portFree().then((free) => {
  if (!free) {
    // the address would be another server's (often Node-RED itself, as a service on 1880): say so before printing it
    console.error(`yolo-edge demo: ${host}:${port} is in use (a Node-RED already running?). Stop it, or start the demo on another port: PORT=${port < 65535 ? port + 1 : port - 1} npm start`);
    process.exit(1);
  }
  const child = spawn(nodeBin, [red, '--userDir', userDir, '--settings', settings], { stdio: 'inherit', env });
  console.log(`yolo-edge demo: http://${host}:${port}/yolo-edge/ (editor at http://${host}:${port}/)`);
  console.log(`yolo-edge demo: the inspection line demo detects the JPEGs in ${samples}`);
  for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => child.kill(sig));
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 0 : 1)));
});
