'use strict';
// The temperature guard wired to a detect node: the detector's measured rate drops when the SoC warms and comes back.
const assert = require('assert');
const fs = require('fs');
const path = require('path');
const helper = require('node-red-node-test-helper');
const { DIST, requireModel, cocoImage } = require('./support/paths');
const { FakePi } = require('./support/fake-pi');

const nodes = ['yolo-model', 'yolov8-detect', 'yolo-temperature'].map((t) => require(path.join(DIST, 'nodes', `${t}.js`)));
helper.init(require.resolve('node-red'));
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

describe('temperature guard -> yolov8-detect', function () {
  this.timeout(120000);
  let pi;
  beforeEach((done) => {
    requireModel();
    pi = new FakePi();
    helper.startServer(done);
  });
  afterEach(async () => {
    await helper.unload();
    await new Promise((r) => helper.stopServer(r));
    pi.cleanup();
  });

  it('lowers the detect rate while warm and restores it when cool', async () => {
    const zebra = fs.readFileSync(cocoImage('000000000034.jpg'));
    await helper.load(nodes, [
      { id: 'm', type: 'yolo-model', model: 'yolov8n.onnx', threads: 2, providers: 'cpu', names: '' },
      { id: 't', type: 'yolo-temperature', interval: 0.2, sysRoot: pi.sysRoot, procRoot: pi.procRoot, vcgencmd: '', warm: 75, hot: 80, critical: 85, hysteresis: 3, throttleAt: 80, window: 60, guard: true, warmFps: 2, hotFps: 1, criticalFps: 0.5, criticalPause: true, wires: [[], [], ['d']] },
      { id: 'd', type: 'yolov8-detect', model: 'm', confidence: 0.25, iou: 0.7, classes: '', maxDetections: 300, busyPolicy: 'drop-oldest', queueSize: 1, wires: [['out']] },
      { id: 'out', type: 'helper' },
    ]);
    const d = helper.getNode('d');
    const outputs = [];
    helper.getNode('out').on('input', (m) => outputs.push(m));
    const controls = [];
    d.on('input', (m) => { if (m.topic === 'yolo-edge/control') controls.push(m.payload); });
    // Only controls after `from` count: the guard's start-up control is {maxFps: 0, pause: false} already.
    const guardSent = async (maxFps, from = controls.length) => {
      const end = Date.now() + 10000;
      while (!controls.slice(from).some((c) => c.maxFps === maxFps)) {
        if (Date.now() > end) throw new Error(`the guard never sent maxFps ${maxFps} (got ${JSON.stringify(controls)})`);
        await sleep(20);
      }
      await sleep(600); // a frame admitted just before the change can still be in flight
    };
    const feed = setInterval(() => d.receive({ payload: zebra }), 40); // a 25 fps camera
    const rateOver = async (ms) => {
      const n0 = outputs.length;
      await sleep(ms);
      return ((outputs.length - n0) * 1000) / ms;
    };
    try {
      await sleep(1500); // model loaded, first readings taken
      const cool = await rateOver(3000);
      pi.setSocTemp(77); // warm: the guard asks for 2 fps
      await guardSent(2);
      const warm = await rateOver(3000);
      pi.setSocTemp(60); // below 75 - 3: the limit is lifted
      await guardSent(0);
      const restored = await rateOver(3000);
      console.log(`      detect rate: cool ${cool.toFixed(1)} fps, warm ${warm.toFixed(1)} fps, cool again ${restored.toFixed(1)} fps`);
      assert.ok(warm <= 2.4, `warm rate ${warm}`);
      assert.ok(cool > 3 && restored > 3, `cool ${cool}, restored ${restored}`);
      const c = outputs[outputs.length - 1].detection.counters;
      assert.ok(c.droppedByRate > 0, 'frames turned away by the rate limit are counted');
    } finally {
      clearInterval(feed);
    }
  });
});
