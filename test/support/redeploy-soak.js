'use strict';
// Run as a child process by inference-worker.test.js: N redeploys of two streaming detect nodes in a process
// that does nothing else, so that its thread count and RSS speak of these redeploys alone. Prints JSON.
const fs = require('fs');
const path = require('path');
const helper = require('node-red-node-test-helper');
const { DIST, cocoImage } = require('./paths');

helper.init(require.resolve(process.env.SOAK_NODE_RED || 'node-red'));
const modelNode = require(path.join(DIST, 'nodes', 'yolo-model.js'));
const detectNode = require(path.join(DIST, 'nodes', 'yolov8-detect.js'));
const zebra = fs.readFileSync(cocoImage('000000000034.jpg'));
const threadCount = () => Number(/^Threads:\s+(\d+)/m.exec(fs.readFileSync('/proc/self/status', 'utf8'))[1]);
/** Thread names and how many of each, to say which kind grew if the count does. */
function threadNames() {
  const count = {};
  for (const tid of fs.readdirSync('/proc/self/task')) {
    const name = fs.readFileSync(`/proc/self/task/${tid}/comm`, 'utf8').trim();
    count[name] = (count[name] || 0) + 1;
  }
  return count;
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const flow = [
  { id: 'm1', type: 'yolo-model', model: 'yolov8n.onnx', threads: 1, providers: 'cpu', names: '' },
  { id: 'd1', type: 'yolov8-detect', model: 'm1', busyPolicy: 'drop-oldest', queueSize: 1, wires: [['out']] },
  { id: 'd2', type: 'yolov8-detect', model: 'm1', busyPolicy: 'drop-oldest', queueSize: 1, wires: [['out']] },
  { id: 'out', type: 'helper' },
];

async function cycle() {
  await helper.load([modelNode, detectNode], flow);
  let n = 0;
  helper.getNode('out').on('input', () => n++);
  helper.getNode('d1').receive({ payload: zebra });
  helper.getNode('d2').receive({ payload: zebra });
  while (n < 1) await sleep(10);
  helper.getNode('d1').receive({ payload: zebra }); // still in flight when the flow stops
  await helper.unload();
}

/**
 * Measures once the libraries' idle pool threads have ended, so both ends count the threads that stay. libvips
 * ends one idle worker about 0.5 s after the last image, but its other workers and pango's font thread live in
 * GLib thread pools, which end idle threads after 15 s (GLib's default). A count taken while those linger
 * depends on how many the last cycles happened to start: 13 -> 15 on CI with the old 1.5 s hold, none of them
 * ours. So the count must hold for 16 s (at most 60 s in all).
 */
async function settle() {
  let threads = threadCount();
  for (let i = 0, held = 0; i < 600 && held < 160; i++) {
    await sleep(100);
    const now = threadCount();
    held = now === threads ? held + 1 : 0;
    threads = now;
  }
  global.gc();
  await sleep(100);
  return { threads: threadCount(), rss: process.memoryUsage().rss, names: threadNames() };
}

(async () => {
  const cycles = Number(process.argv[2] || 50);
  await new Promise((r) => helper.startServer(r));
  // warm-up: libvips' and libuv's pools and the allocator's arenas grow to their working size first
  for (let i = 0; i < 10; i++) await cycle();
  const start = await settle();
  // RSS after each cycle: the medians of the first and the last ten compare a working set with a working set,
  // not one moment when the allocator happened to hold more or less
  const rss = [];
  for (let i = 0; i < cycles; i++) {
    await cycle();
    global.gc();
    rss.push(process.memoryUsage().rss);
    if (process.env.SOAK_TRACE && i % 10 === 9) {
      const m = process.memoryUsage();
      process.stderr.write(`cycle ${i + 1}: rss ${(m.rss / 1e6).toFixed(0)} heap ${(m.heapUsed / 1e6).toFixed(0)} external ${(m.external / 1e6).toFixed(0)} MB, threads ${threadCount()}\n`);
    }
  }
  const end = await settle();
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  // Single cycles still swing around a flat level (179-205 MB over 240 cycles on Node 24 with the test's malloc
  // settings; 224-282 MB without the fixed mmap threshold), so medians are compared, not moments: the last
  // quarter of the cycles against the quarter before the second half, 25 cycles each at 100.
  const quarter = Math.floor(cycles / 4);
  start.rss = median(rss.slice(quarter, 2 * quarter));
  end.rss = median(rss.slice(-quarter));
  const { openSessionCount } = require(path.join(DIST, 'lib', 'runtime', 'session-cache.js'));
  await new Promise((r) => helper.stopServer(r));
  process.stdout.write(JSON.stringify({ start, end, sessions: openSessionCount() }) + '\n');
  process.exit(0);
})().catch((err) => {
  process.stderr.write(`${err.stack}\n`);
  process.exit(1);
});
