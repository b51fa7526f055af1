#!/usr/bin/env node
'use strict';
// Event-loop gaps while yolov8-detect streams JPEGs inside Node-RED, and whether the event loop was running or
// waiting for a CPU in them (Linux: /proc/self/task/<pid>/schedstat, read at every 2 ms tick).
// Also: how many gaps held a full (mark-compact) GC of the event loop's own heap.
// Usage (after npm run build): node scripts/node24.js scripts/loop-stalls.js MODEL IMAGES [threads] [seconds]
// YOLO_EDGE_INFERENCE_NICE=0 runs the inference threads at Node-RED's priority, to compare; ANNOTATE=1 turns
// annotation on.
const fs = require('fs');
const path = require('path');
const root = path.join(__dirname, '..');
const [model, images, threads = '1', seconds = '30'] = process.argv.slice(2);
if (!model || !images) {
  console.error('usage: loop-stalls.js MODEL IMAGES [threads] [seconds]');
  process.exit(2);
}
const { PerformanceObserver, constants } = require('perf_hooks');
const helper = require('node-red-node-test-helper');
helper.init(require.resolve('node-red'));
const nodes = ['yolo-model', 'yolov8-detect'].map((n) => require(path.join(root, 'dist', 'nodes', `${n}.js`)));
const files = fs.readdirSync(images).filter((f) => /\.jpe?g$/i.test(f)).sort().slice(0, 16);
const frames = files.map((f) => fs.readFileSync(path.join(images, f)));
const schedstat = () => fs.readFileSync(`/proc/self/task/${process.pid}/schedstat`, 'utf8').split(' ').map(Number);

async function main() {
  await new Promise((r) => helper.startServer(r));
  await helper.load(nodes, [
    { id: 'm', type: 'yolo-model', model: path.resolve(model), threads: Number(threads), providers: 'cpu', names: '' },
    { id: 'd', type: 'yolov8-detect', model: 'm', annotate: process.env.ANNOTATE === '1', preview: false, busyPolicy: 'drop-oldest', queueSize: 1, wires: [['out']] },
    { id: 'out', type: 'helper' },
  ]);
  const d = helper.getNode('d');
  const out = helper.getNode('out');
  for (let i = 0; i < 3; i++) await new Promise((r) => { out.once('input', r); d.receive({ payload: frames[i % frames.length] }); });
  const majors = [];
  const gcs = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) if (e.detail.kind === constants.NODE_PERFORMANCE_GC_MAJOR) majors.push({ from: e.startTime, to: e.startTime + e.duration });
  });
  gcs.observe({ entryTypes: ['gc'] });
  const gaps = [];
  let last = performance.now();
  let lastS = schedstat();
  const probe = setInterval(() => {
    const now = performance.now();
    const s = schedstat();
    if (now - last > 12) gaps.push({ from: last, to: now, ms: now - last, ran: (s[0] - lastS[0]) / 1e6, waited: (s[1] - lastS[1]) / 1e6 });
    last = now;
    lastS = s;
  }, 2);
  let k = 0;
  const feed = setInterval(() => d.receive({ payload: frames[k++ % frames.length] }), 100);
  await new Promise((r) => setTimeout(r, Number(seconds) * 1000));
  clearInterval(feed);
  clearInterval(probe);
  gcs.disconnect();
  const withGc = (g) => majors.some((m) => m.from < g.to && m.to > g.from);
  const sum = (key) => gaps.reduce((a, g) => a + g[key], 0).toFixed(0);
  const worst = gaps.sort((a, b) => b.ms - a.ms).slice(0, 5).map((g) => `${g.ms.toFixed(0)} (ran ${g.ran.toFixed(0)}, waited ${g.waited.toFixed(0)}${withGc(g) ? ', GC' : ''})`);
  console.log(`${path.basename(model)} x${threads}, ${seconds} s at 10 fps, inference nice +${process.env.YOLO_EDGE_INFERENCE_NICE ?? 10}: ` +
    `${gaps.length} gaps over 12 ms; in them the event loop ran ${sum('ran')} ms and waited for a CPU ${sum('waited')} ms; ` +
    `${majors.length} full GCs of its heap, ${gaps.filter(withGc).length} of the gaps held one; worst: ${worst.join(', ')}`);
  await helper.unload();
  await new Promise((r) => helper.stopServer(r));
}

main().catch((err) => {
  console.error(err.message);
  process.exit(1);
});
