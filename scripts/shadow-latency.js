#!/usr/bin/env node
'use strict';
// Does a shadow test slow production down? yolo-shadow-test inside Node-RED at a steady frame rate, sampling
// every frame for the candidate, against the same node with no candidate, alternated: production's msg-in to
// msg-out latency (first output) for each. Both models get the same thread count.
// Usage (after npm run build): node scripts/node24.js scripts/shadow-latency.js PRODUCTION CANDIDATE IMAGES [threads] [seconds] [rounds]
const fs = require('fs');
const path = require('path');
const root = path.join(__dirname, '..');
const [production, candidate, images, threads = '1', seconds = '20', rounds = '2'] = process.argv.slice(2);
if (!production || !candidate || !images) {
  console.error('usage: shadow-latency.js PRODUCTION CANDIDATE IMAGES [threads] [seconds] [rounds]');
  process.exit(2);
}
const helper = require('node-red-node-test-helper');
helper.init(require.resolve('node-red'));
const nodes = ['yolo-model', 'yolo-shadow-test'].map((n) => require(path.join(root, 'dist', 'nodes', `${n}.js`)));
const { median } = require(path.join(root, 'dist', 'lib', 'stats.js'));
const { TOPICS } = require(path.join(root, 'dist', 'lib', 'topics.js'));
const files = fs.readdirSync(images).filter((f) => /\.jpe?g$/i.test(f)).sort().slice(0, 16);
const frames = files.map((f) => fs.readFileSync(path.join(images, f)));
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const p90 = (a) => [...a].sort((x, y) => x - y)[Math.floor(0.9 * (a.length - 1))];

function flow(withCandidate) {
  const model = (id, file) => ({ id, type: 'yolo-model', model: path.resolve(file), threads: Number(threads), providers: 'cpu', names: '' });
  return [
    model('mp', production),
    model('mc', candidate),
    {
      id: 's', type: 'yolo-shadow-test', production: 'mp', candidate: withCandidate ? 'mc' : '', confidence: 0.25, iou: 0.7, classes: '',
      maxDetections: 300, agnostic: false, annotate: false, busyPolicy: 'queue', queueSize: 1000, sampleMode: 'percent', sampleValue: 100,
      windowSize: 50, minF1: 0.8, maxLatencyRatio: 0, minSamples: 3, wires: [['out'], ['reports']],
    },
    { id: 'out', type: 'helper' },
    { id: 'reports', type: 'helper' },
  ];
}

/** Production's msg latencies over `seconds` at 10 frames/s. */
async function run(withCandidate) {
  await helper.load(nodes, flow(withCandidate));
  const s = helper.getNode('s');
  const out = helper.getNode('out');
  for (let i = 0; i < 3; i++) await new Promise((r) => { out.once('input', r); s.receive({ payload: frames[i], k: -1 }); });
  await sleep(2000); // the candidate's warm-up comparisons are done
  const sent = new Map();
  const latency = [];
  let compared = 0;
  helper.getNode('reports').on('input', (m) => { if (m.topic === TOPICS.shadowReport) compared++; });
  out.on('input', (m) => { if (sent.has(m.k)) latency.push(performance.now() - sent.get(m.k)); });
  let k = 0;
  const feed = setInterval(() => { sent.set(k, performance.now()); s.receive({ payload: frames[k % frames.length], k: k++ }); }, 100);
  await sleep(Number(seconds) * 1000);
  clearInterval(feed);
  await sleep(3000);
  await helper.unload();
  return { latency, sent: k, compared };
}

async function main() {
  await new Promise((r) => helper.startServer(r));
  for (let r = 0; r < Number(rounds); r++) {
    for (const withCandidate of [false, true]) {
      const { latency, sent, compared } = await run(withCandidate);
      console.log(`threads ${threads} + ${threads}, ${withCandidate ? 'candidate on every frame' : 'no candidate            '}: production msg latency ` +
        `median ${median(latency).toFixed(1)} ms, p90 ${p90(latency).toFixed(1)} ms, max ${Math.max(...latency).toFixed(1)} ms (${latency.length} of ${sent} msgs out, ${compared} compared)`);
    }
  }
  await new Promise((r) => helper.stopServer(r));
}

main().catch((err) => {
  console.error(err.message);
  process.exit(1);
});
