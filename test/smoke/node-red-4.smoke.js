'use strict';
// Smoke suite on Node-RED 4.1 (the main suite runs on Node-RED 5): every node type loads, a flow detects a real
// photo, and closing the flow ends the inference worker.
const assert = require('assert');
const fs = require('fs');
const path = require('path');
const helper = require('node-red-node-test-helper');
const { DIST, requireModel, cocoImage, lib } = require('../support/paths');

const NODES = ['yolo-model', 'yolov8-detect', 'yolo-temperature', 'yolo-shadow-test', 'yolo-camera'];
const modules = NODES.map((n) => require(path.join(DIST, 'nodes', `${n}.js`)));
const { openSessionCount } = lib('runtime/session-cache');

helper.init(require.resolve('node-red-4'));

describe('Node-RED 4.1 smoke', function () {
  this.timeout(120000);
  before(() => {
    assert.match(require('node-red-4/package.json').version, /^4\.1\./);
    requireModel();
  });
  beforeEach((done) => { helper.startServer(done); });
  afterEach(async () => {
    await helper.unload();
    await new Promise((r) => { helper.stopServer(r); });
  });

  it('registers all five node types', async () => {
    await helper.load(modules, []);
    for (const type of NODES) assert.ok(helper._RED.nodes.getType(type), `${type} is registered`);
  });

  it('detects the zebra in a real photo and ends the worker on close', async () => {
    const flow = [
      { id: 'm1', type: 'yolo-model', model: 'yolov8n.onnx', threads: 1, providers: 'cpu', names: '' },
      { id: 'd1', type: 'yolov8-detect', model: 'm1', confidence: 0.25, iou: 0.7, wires: [['out']] },
      { id: 'out', type: 'helper' },
    ];
    await helper.load(modules, flow);
    const out = helper.getNode('out');
    const got = new Promise((resolve) => out.on('input', resolve));
    helper.getNode('d1').receive({ payload: fs.readFileSync(cocoImage('000000000034.jpg')) });
    const msg = await got;
    assert.strictEqual(msg.payload[0].class, 'zebra');
    assert.strictEqual(openSessionCount(), 1);
    await helper.unload();
    assert.strictEqual(openSessionCount(), 0);
  });
});
