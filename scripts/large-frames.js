#!/usr/bin/env node
'use strict';
// The event loop while large frames stream into yolov8-detect inside Node-RED: raw 1920x1080 and 3840x2160 RGB
// frames and two large JPEGs (noisy, so they stay large), each sent RUNS times as a burst of FRAMES msgs. Per run:
// the loop delay's max (monitorEventLoopDelay), and the main thread's CPU time between two ticks of a 1 ms probe,
// which other processes on the cores do not inflate as they do wall time (read from /proc/thread-self/schedstat, in
// ns: process.threadCpuUsage() counts in scheduler ticks of 4 ms on the VMs measured). Medians over the runs. To
// compare builds, run it from both trees in turn (ROOT names the tree whose dist/ to load):
//   ROOT=/tmp/before node scripts/node24.js scripts/large-frames.js; node scripts/node24.js scripts/large-frames.js
// Usage: large-frames.js [runs] [frames]
const path = require('path');
const { monitorEventLoopDelay } = require('perf_hooks');
const root = path.resolve(process.env.ROOT || path.join(__dirname, '..'));
const runs = Number(process.argv[2] || 7);
const perRun = Number(process.argv[3] || 8);
const sharp = require(path.join(root, 'node_modules', 'sharp'));
const helper = require(path.join(root, 'node_modules', 'node-red-node-test-helper'));
helper.init(require.resolve(path.join(root, 'node_modules', 'node-red')));
const nodes = ['yolo-model', 'yolov8-detect'].map((n) => require(path.join(root, 'dist', 'nodes', `${n}.js`)));
const photo = path.join(root, 'test', 'fixtures', 'coco128-sample', '000000000034.jpg');

async function raw(width, height) {
  const data = await sharp(photo).resize(width, height, { fit: 'fill' }).raw().toBuffer();
  return { data, width, height, channels: 3 };
}

async function noisyJpeg(width, height, quality) {
  const px = await sharp(photo).resize(width, height, { fit: 'fill' }).raw().toBuffer();
  let s = 1;
  for (let i = 0; i < px.length; i++) {
    s = (s * 1103515245 + 12345) >>> 0;
    px[i] = (px[i] * 3 + (s >>> 24)) >> 2;
  }
  return sharp(px, { raw: { width, height, channels: 3 } }).jpeg({ quality }).toBuffer();
}

const median = (a) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
const fs = require('fs');
const threadCpuMs = () => Number(fs.readFileSync('/proc/thread-self/schedstat', 'latin1').split(' ')[0]) / 1e6;

async function main() {
  const frames = [
    ['raw 1920x1080 RGB', await raw(1920, 1080)],
    ['raw 3840x2160 RGB', await raw(3840, 2160)],
    ['JPEG 6000x4000 q95', await noisyJpeg(6000, 4000, 95)],
    ['JPEG 7000x7000 q100', await noisyJpeg(7000, 7000, 100)],
  ];
  await new Promise((r) => helper.startServer(r));
  await helper.load(nodes, [
    { id: 'm1', type: 'yolo-model', model: 'yolov8n.onnx', threads: 1, providers: 'cpu', names: '' },
    { id: 'd1', type: 'yolov8-detect', model: 'm1', confidence: 0.25, iou: 0.7, classes: '', maxDetections: 300, agnostic: false, annotate: false, busyPolicy: 'queue', queueSize: 100, wires: [['out']] },
    { id: 'out', type: 'helper' },
  ]);
  const d1 = helper.getNode('d1');
  const out = helper.getNode('out');
  let failed = () => {};
  d1.on('call:error', (c) => failed(c.args[0]));
  const burst = (payload, n) => new Promise((resolve, reject) => {
    let got = 0;
    failed = reject;
    const onMsg = () => {
      if (++got < n) return;
      out.removeListener('input', onMsg);
      resolve();
    };
    out.on('input', onMsg);
    for (let i = 0; i < n; i++) d1.receive({ payload });
  });
  await burst(frames[0][1], 3); // warm up
  console.log(`${runs} runs of ${perRun} frames each, medians over the runs`);
  for (const [name, payload] of frames) {
    const maxes = [];
    const cpu = [];
    for (let r = 0; r < runs; r++) {
      const h = monitorEventLoopDelay({ resolution: 1 });
      let last = threadCpuMs();
      let longest = 0;
      const probe = setInterval(() => {
        const t = threadCpuMs();
        longest = Math.max(longest, t - last);
        last = t;
      }, 1);
      h.enable();
      await burst(payload, perRun);
      h.disable();
      clearInterval(probe);
      maxes.push(h.max / 1e6);
      cpu.push(longest);
    }
    const mb = ((payload.data ?? payload).length / 2 ** 20).toFixed(1);
    console.log(`${name.padEnd(20)} ${mb.padStart(5)} MB  loop delay max ${median(maxes).toFixed(1)} ms  longest main-thread CPU between probe ticks ${median(cpu).toFixed(1)} ms`);
  }
  await helper.unload();
  await new Promise((r) => helper.stopServer(r));
}

main().then(() => process.exit(0), (err) => {
  console.error(err);
  process.exit(1);
});
