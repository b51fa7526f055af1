#!/usr/bin/env node
'use strict';
// A long run of a whole inspection line in a real Node-RED 5 process: yolo-camera reading a folder in a loop ->
// yolov8-detect (annotate on) and, with --candidate, yolo-shadow-test; yolo-temperature with its guard wired to
// the detector; a 100 ms inject probing the event loop. Prints one line a minute (msgs out of each node, errors, the probe's
// lateness, Node-RED's RSS and threads) and exits 1 if any msg failed or the flows reported an error.
// Usage (after npm run build):
//   node scripts/node24.js scripts/soak.js --images DIR [--minutes 10] [--fps 4] [--model yolov8n.onnx]
//     [--candidate INT8.onnx] [--sys /sys] [--port 1899]
const fs = require('fs');
const os = require('os');
const path = require('path');
const { spawn } = require('child_process');
const { parseArgs } = require('util');

const root = path.join(__dirname, '..');
const { values: o } = parseArgs({
  options: {
    images: { type: 'string' }, minutes: { type: 'string', default: '10' }, fps: { type: 'string', default: '4' },
    model: { type: 'string', default: 'yolov8n.onnx' }, candidate: { type: 'string' }, sys: { type: 'string', default: '/sys' },
    port: { type: 'string', default: '1899' },
  },
});
if (!o.images || !fs.statSync(o.images, { throwIfNoEntry: false })?.isDirectory()) {
  console.error('usage: soak.js --images DIR [--minutes 10] [--fps 4] [--model M] [--candidate M] [--sys /sys] [--port 1899]');
  process.exit(2);
}
const minutes = Number(o.minutes);
const modelPath = (m) => (fs.existsSync(m) ? path.resolve(m) : m); // a bare name is the package's models/

/** The flow: every node placed on one tab (nodes without x and y would be taken as config nodes). */
function flow() {
  const at = (n, i) => ({ ...n, z: 'tab', x: 150 + 200 * (i % 4), y: 80 + 60 * Math.floor(i / 4) });
  const count = (name, key) => ({
    id: name, type: 'function', name, outputs: 0, wires: [],
    func: `const c = flow.get('c') || {}; const k = ${key}; c[k] = (c[k] || 0) + 1; flow.set('c', c); return null;`,
  });
  const nodes = [
    { id: 'camera', type: 'yolo-camera', source: 'folder', mode: 'continuous', autostart: true, fps: Number(o.fps), folder: path.resolve(o.images), loop: true, wires: [['detect', ...(o.candidate ? ['shadow'] : [])]] },
    { id: 'detect', type: 'yolov8-detect', model: 'production', annotate: true, preview: true, busyPolicy: 'drop-oldest', queueSize: 1, wires: [['detected']] },
    { id: 'temperature', type: 'yolo-temperature', interval: 1, sysRoot: o.sys, vcgencmd: '', guard: true, wires: [['readings'], [], ['detect']] },
    count('detected', "'detected'"),
    count('readings', "'readings'"),
    count('shadowed', "msg.topic === 'yolo-edge/shadow/report' ? 'reports' : msg.topic === 'yolo-edge/shadow/alarm' ? 'alarms' : 'shadowed'"),
    { id: 'catch', type: 'catch', scope: null, uncaught: false, wires: [['errors']] },
    count('errors', "'error ' + ((msg.error && msg.error.code) || msg.error?.message)"),
    { id: 'tick', type: 'inject', props: [], repeat: '0.1', once: true, onceDelay: '1', wires: [['probe']] },
    {
      id: 'probe', type: 'function', outputs: 0, wires: [],
      func: "const now = Date.now(); const last = context.get('last'); context.set('last', now);\n" +
        "if (last) { const late = now - last - 100; const s = flow.get('late') || { max: 0, over25: 0 }; s.max = Math.max(s.max, late); if (late > 25) s.over25++; flow.set('late', s); }\nreturn null;",
    },
    { id: 'minute', type: 'inject', props: [], repeat: '60', once: false, wires: [['report']] },
    { id: 'report', type: 'function', outputs: 0, wires: [], func: "node.warn('SOAK ' + JSON.stringify({ c: flow.get('c') || {}, late: flow.get('late') || {} })); flow.set('late', { max: 0, over25: 0 }); return null;" },
  ];
  if (o.candidate) {
    nodes.push({ id: 'shadow', type: 'yolo-shadow-test', production: 'production', candidate: 'candidate', annotate: false, busyPolicy: 'drop-oldest', queueSize: 1, sampleMode: 'percent', sampleValue: 25, minF1: 0.5, minSamples: 5, wires: [['shadowed'], ['shadowed']] });
  }
  return [
    { id: 'tab', type: 'tab', label: 'soak' },
    { id: 'production', type: 'yolo-model', model: modelPath(o.model), threads: 0 },
    ...(o.candidate ? [{ id: 'candidate', type: 'yolo-model', model: modelPath(o.candidate), threads: 0 }] : []),
    ...nodes.map(at),
  ];
}

function procStatus(pid) {
  const s = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const field = (k) => Number(new RegExp(`^${k}:\\s+(\\d+)`, 'm').exec(s)?.[1]);
  return { rssMB: Math.round(field('VmRSS') / 1024), threads: field('Threads') };
}

const userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'yolo-edge-soak-'));
fs.mkdirSync(path.join(userDir, 'node_modules'));
fs.symlinkSync(root, path.join(userDir, 'node_modules', 'node-red-contrib-yolo-edge'), 'dir');
fs.writeFileSync(path.join(userDir, 'flows.json'), JSON.stringify(flow()));
fs.writeFileSync(path.join(userDir, 'settings.js'), `module.exports = { uiHost: '127.0.0.1', uiPort: ${Number(o.port)}, flowFile: 'flows.json', telemetry: { enabled: false } };`);

const red = spawn(process.execPath, [require.resolve('node-red/red.js'), '-u', userDir], { stdio: ['ignore', 'pipe', 'pipe'] });
let log = '';
let last = { c: {} };
let failed = false;
red.stderr.on('data', (d) => { log += d; });
red.stdout.on('data', (d) => {
  log += d;
  for (const line of String(d).split('\n')) {
    const m = /SOAK (.*)$/.exec(line);
    if (m) report(JSON.parse(m[1]));
    else if (/\[error\]/.test(line)) { failed = true; console.log(line); }
  }
});

const start = Date.now();
function report(s) {
  const minute = Math.round((Date.now() - start) / 60000);
  const diff = (k) => (s.c[k] || 0) - (last.c[k] || 0);
  const errors = Object.keys(s.c).filter((k) => k.startsWith('error')).map((k) => `${k.slice(6)} ${diff(k)}`).filter((e) => !e.endsWith(' 0'));
  if (errors.length) failed = true;
  const { rssMB, threads } = procStatus(red.pid);
  const shadow = o.candidate ? `, shadow test ${diff('shadowed')} (reports ${diff('reports')}, alarms ${diff('alarms')})` : '';
  console.log(`minute ${minute}: detected ${diff('detected')}${shadow}, readings ${diff('readings')}, errors ${errors.join(', ') || 0}; ` +
    `probe late max ${s.late.max ?? '-'} ms, over 25 ms ${s.late.over25 ?? 0}x; Node-RED RSS ${rssMB} MB, threads ${threads}`);
  last = s;
  if (minute >= minutes) stop();
}

let stopping = false;
function stop() {
  if (stopping) return;
  stopping = true;
  red.kill('SIGTERM');
  red.once('exit', () => {
    fs.rmSync(userDir, { recursive: true, force: true });
    process.exit(failed ? 1 : 0);
  });
}
red.once('exit', (code) => {
  if (Date.now() - start < minutes * 60000) {
    console.error(`Node-RED exited early (${code}):\n${log.slice(-3000)}`);
    process.exit(1);
  }
});
console.log(`soak: Node-RED ${userDir} on port ${o.port}, ${minutes} min, ${o.fps} frames/s from ${o.images}${o.candidate ? `, shadow test against ${o.candidate}` : ''}`);
