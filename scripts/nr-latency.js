#!/usr/bin/env node
'use strict';
// Msg in to msg out of yolov8-detect inside Node-RED, one msg at a time, beside the same model's Detector called
// directly in the same process (frame by frame in turn): medians, and the part of the msg's time that is not the
// session. To compare a change against the build before it, run this file from both trees in turn (ROOT names
// the tree whose dist/ to load; build it as scripts/compare-builds.js says):
//   for i in 1 2 3; do ROOT=/tmp/before node scripts/node24.js scripts/nr-latency.js MODEL IMAGES; node scripts/node24.js scripts/nr-latency.js MODEL IMAGES; done
// ANNOTATE=1 turns annotation on. Usage: nr-latency.js MODEL IMAGES [threads] [frames]
const fs = require('fs');
const path = require('path');
const root = path.resolve(process.env.ROOT || path.join(__dirname, '..'));
const [model, images, threads = '1', count = '34'] = process.argv.slice(2);
if (!model || !images) {
  console.error('usage: nr-latency.js MODEL IMAGES [threads] [frames]');
  process.exit(2);
}
const helper = require(path.join(root, 'node_modules', 'node-red-node-test-helper'));
helper.init(require.resolve(path.join(root, 'node_modules', 'node-red')));
const nodes = ['yolo-model', 'yolov8-detect'].map((n) => require(path.join(root, 'dist', 'nodes', `${n}.js`)));
const { Detector } = require(path.join(root, 'dist', 'lib', 'detector.js'));
const { median } = require(path.join(root, 'dist', 'lib', 'stats.js'));
const files = fs.readdirSync(images).filter((f) => /\.jpe?g$/i.test(f)).sort().slice(0, 16);
const frames = files.map((f) => fs.readFileSync(path.join(images, f)));
const annotate = process.env.ANNOTATE === '1';

async function main() {
  await new Promise((r) => helper.startServer(r));
  await helper.load(nodes, [
    { id: 'm', type: 'yolo-model', model: path.resolve(model), threads: Number(threads), providers: 'cpu', names: '' },
    { id: 'd', type: 'yolov8-detect', model: 'm', annotate, preview: false, busyPolicy: 'drop-oldest', queueSize: 1, wires: [['out']] },
    { id: 'out', type: 'helper' },
  ]);
  const d = helper.getNode('d');
  const out = helper.getNode('out');
  const direct = await Detector.create(path.resolve(model), { threads: Number(threads) });
  const t = { msg: [], msgSession: [], direct: [] };
  for (let i = 0; i < Number(count) + 4; i++) {
    const f = frames[i % frames.length];
    let t0 = performance.now();
    await direct.detect(f, { annotate });
    const directMs = performance.now() - t0;
    t0 = performance.now();
    const m = await new Promise((resolve) => { out.once('input', resolve); d.receive({ payload: f }); });
    if (i < 4) continue; // warm-up
    t.msg.push(performance.now() - t0);
    t.msgSession.push(m.detection.timings.inference);
    t.direct.push(directMs);
  }
  const over = t.msg.map((v, i) => v - t.msgSession[i]);
  console.log(`${path.relative(process.cwd(), root) || '.'}: msg in->out ${median(t.msg).toFixed(2)} ms, its session ${median(t.msgSession).toFixed(2)} ms, ` +
    `the rest ${median(over).toFixed(2)} ms; Detector.detect directly ${median(t.direct).toFixed(2)} ms (annotate ${annotate ? 'on' : 'off'}, ${threads} thread(s))`);
  await direct.close();
  await helper.unload();
  await new Promise((r) => helper.stopServer(r));
}

main().catch((err) => {
  console.error(err.message);
  process.exit(1);
});
