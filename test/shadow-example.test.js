'use strict';
// The shadow-test example run as a flow: the promote and rollback injects answer in the debug sidebar, where the
// user who clicked them looks, and the comparison reports stay out of that debug node.
const assert = require('assert');
const fs = require('fs');
const path = require('path');
const helper = require('node-red-node-test-helper');
const { ROOT, DIST, requireModel, cocoImage, lib } = require('./support/paths');
const { until } = require('./support/wait');

const { TOPICS } = lib('topics');
const CORE = path.dirname(require.resolve('@node-red/nodes/package.json', { paths: [path.dirname(require.resolve('node-red/package.json', { paths: [ROOT] }))] }));
const nodes = [
  ...['yolo-model', 'yolo-shadow-test'].map((t) => require(path.join(DIST, 'nodes', `${t}.js`))),
  ...['function/10-switch.js', 'common/25-catch.js', 'common/20-inject.js'].map((f) => require(path.join(CORE, 'core', f))),
];
helper.init(require.resolve('node-red'));

/**
 * The example with its debug nodes turned into helper nodes (same ids, so the wires stay), without the Pi camera
 * (frames are sent to the shadow test here), and with the default model as the candidate too: the INT8 file the
 * example names is made by the calibration-capture example.
 */
function exampleFlow() {
  const flow = JSON.parse(fs.readFileSync(path.join(ROOT, 'examples', 'shadow-test.json'), 'utf8'));
  return flow
    .filter((n) => n.type !== 'yolo-camera')
    .map((n) => (n.type === 'debug' ? { id: n.id, z: n.z, type: 'helper', name: n.name } : n.type === 'yolo-model' ? { ...n, model: 'yolov8n.onnx' } : n));
}

const byName = (flow, type, name) => flow.find((n) => n.type === type && n.name === name).id;

describe('shadow-test example flow', function () {
  this.timeout(120000);
  beforeEach((done) => {
    requireModel();
    helper.startServer(done);
  });
  afterEach(async () => {
    await helper.unload();
    await new Promise((r) => helper.stopServer(r));
  });

  it('shows the answers to promote and rollback in a debug node of their own, and no reports there', async () => {
    const flow = exampleFlow();
    await helper.load(nodes, flow);
    const got = { replies: [], reports: [], errors: [] };
    const replies = flow.find((n) => n.type === 'helper' && /command/.test(n.name));
    assert.ok(replies, `no debug node for the command replies: ${flow.filter((n) => n.type === 'helper').map((n) => n.name).join(', ')}`);
    helper.getNode(replies.id).on('input', (m) => got.replies.push(m));
    helper.getNode(byName(flow, 'helper', 'reports and alarms')).on('input', (m) => got.reports.push(m));
    helper.getNode(byName(flow, 'helper', 'errors')).on('input', (m) => got.errors.push(m));

    // the first frame is always compared: a report on output 2, which is not a reply
    helper.getNode(flow.find((n) => n.type === 'yolo-shadow-test').id).receive({ payload: fs.readFileSync(cocoImage('000000000034.jpg')) });
    await until(() => got.reports.some((m) => m.topic === TOPICS.shadowReport), 'the first comparison report', 60000);

    helper.getNode(byName(flow, 'inject', 'promote')).receive({});
    await until(() => got.replies.length === 1, 'the answer to promote', 60000);
    helper.getNode(byName(flow, 'inject', 'rollback')).receive({});
    await until(() => got.replies.length === 2, 'the answer to rollback', 60000);

    assert.deepStrictEqual(got.replies.map((m) => [m.topic, m.payload.promoted]), [[TOPICS.shadowCommand, true], [TOPICS.shadowCommand, false]]);
    assert.ok(got.replies.every((m) => m.payload.production && m.payload.candidate), 'each answer names both models');
    assert.deepStrictEqual(got.errors, []);
  });
});
