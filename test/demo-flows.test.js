'use strict';
// The inspection line demo that `npm start` deploys, run as a flow: a folder of images through the camera node,
// the detector and the core nodes that pick out the "defect" classes; an empty folder gives a clear status.
const assert = require('assert');
const fs = require('fs');
const os = require('os');
const path = require('path');
const helper = require('node-red-node-test-helper');
const { ROOT, DIST, requireModel, cocoImage } = require('./support/paths');
const { until } = require('./support/wait');

const CORE = path.dirname(require.resolve('@node-red/nodes/package.json', { paths: [path.dirname(require.resolve('node-red/package.json', { paths: [ROOT] }))] }));
const nodes = [
  ...['yolo-model', 'yolov8-detect', 'yolo-camera'].map((t) => require(path.join(DIST, 'nodes', `${t}.js`))),
  ...['function/15-change.js', 'function/10-switch.js', 'function/10-function.js', 'common/25-catch.js', 'common/20-inject.js'].map((f) => require(path.join(CORE, 'core', f))),
];
helper.init(require.resolve('node-red'));

/** The demo flow with its debug nodes turned into helper nodes (same ids, so the wires stay). */
function demoFlow() {
  const flow = JSON.parse(fs.readFileSync(path.join(ROOT, 'examples', 'inspection-line-demo.json'), 'utf8'));
  return flow.map((n) => (n.type === 'debug' ? { id: n.id, z: n.z, type: 'helper', name: n.name } : n));
}

const byName = (flow, type, name) => flow.find((n) => n.type === type && n.name === name).id;

describe('inspection line demo flow (npm start)', function () {
  this.timeout(120000);
  let samples;
  const previous = process.env.YOLO_EDGE_SAMPLES;

  beforeEach((done) => {
    requireModel();
    samples = fs.mkdtempSync(path.join(os.tmpdir(), 'yolo-edge-samples-'));
    process.env.YOLO_EDGE_SAMPLES = samples; // what scripts/start.js sets for Node-RED
    helper.startServer(done);
  });
  afterEach(async () => {
    await helper.unload();
    await new Promise((r) => helper.stopServer(r));
    if (previous === undefined) delete process.env.YOLO_EDGE_SAMPLES;
    else process.env.YOLO_EDGE_SAMPLES = previous;
    fs.rmSync(samples, { recursive: true, force: true });
  });

  it('detects the images of the samples folder and sends frames with a knife to "would reject", with counts', async () => {
    for (const f of ['000000000034.jpg', '000000000089.jpg']) fs.copyFileSync(cocoImage(f), path.join(samples, f)); // zebra; kitchen with knives
    const flow = demoFlow();
    await helper.load(nodes, flow);
    const got = { detections: [], reject: [], counts: [], errors: [] };
    helper.getNode(byName(flow, 'helper', 'detections')).on('input', (m) => got.detections.push(m));
    helper.getNode(byName(flow, 'helper', 'would reject')).on('input', (m) => got.reject.push(m));
    helper.getNode(byName(flow, 'helper', 'counts')).on('input', (m) => got.counts.push(m));
    helper.getNode(byName(flow, 'helper', 'errors')).on('input', (m) => got.errors.push(m));
    await until(() => got.counts.length >= 2, 'both images detected', 60000);

    const [zebra, kitchen] = got.detections;
    assert.strictEqual(zebra.frame.file, '000000000034.jpg');
    assert.ok(zebra.payload.some((d) => d.class === 'zebra'), JSON.stringify(zebra.detection.counts));
    assert.strictEqual(kitchen.frame.file, '000000000089.jpg');
    assert.ok(kitchen.detection.counts.knife > 0, JSON.stringify(kitchen.detection.counts));
    assert.strictEqual(got.reject.length, 1, 'only the frame with knives is rejected');
    assert.strictEqual(got.reject[0].frame.file, '000000000089.jpg');
    assert.deepStrictEqual([...new Set(got.reject[0].defects)], ['knife']);
    const totals = got.counts[1].payload;
    assert.strictEqual(totals.frames, 2);
    assert.strictEqual(totals.rejected, 1);
    assert.strictEqual(totals.defects.knife, kitchen.detection.counts.knife);
    assert.strictEqual(got.counts[1].image, undefined, 'the counts leave without the frame');
    assert.deepStrictEqual(got.errors, []);
  });

  it('shows a red "no JPEG files" status while the folder is empty, and picks up images put there later', async () => {
    const flow = demoFlow();
    await helper.load(nodes, flow);
    const camera = helper.getNode(byName(flow, 'yolo-camera', 'samples folder'));
    const statuses = [];
    const status = camera.status.bind(camera);
    camera.status = (s) => {
      statuses.push(s);
      status(s);
    };
    const detections = [];
    helper.getNode(byName(flow, 'helper', 'detections')).on('input', (m) => detections.push(m));
    await until(() => statuses.some((s) => /no JPEG files/.test(s.text)), 'a retry status', 10000);
    const empty = statuses.find((s) => /no JPEG files/.test(s.text));
    assert.strictEqual(empty.fill, 'red');
    assert.ok(empty.text.includes(samples), empty.text);
    assert.strictEqual(detections.length, 0);

    fs.copyFileSync(cocoImage('000000000034.jpg'), path.join(samples, 'zebra.jpg'));
    await until(() => detections.length > 0, 'the new image detected', 20000); // retries are at most 5 s apart
    assert.ok(detections[0].payload.some((d) => d.class === 'zebra'));
    assert.strictEqual(statuses[statuses.length - 1].fill, 'green');
  });
});
