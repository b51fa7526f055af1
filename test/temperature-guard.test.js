'use strict';
// The temperature guard wired to a detect node: the detector's measured rate drops when the SoC warms and comes back.
const assert = require('assert');
const fs = require('fs');
const path = require('path');
const helper = require('node-red-node-test-helper');
const { DIST, requireModel, cocoImage } = require('./support/paths');
const { FakePi } = require('./support/fake-pi');
const { until } = require('./support/wait');

const nodes = ['yolo-model', 'yolov8-detect', 'yolo-temperature'].map((t) => require(path.join(DIST, 'nodes', `${t}.js`)));
helper.init(require.resolve('node-red'));

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
    // Each frame is stamped as it passes the detector's input, just after its rate gate looked at the clock: a frame
    // that comes out was admitted at its stamp. Each control notes how many frames were fed before it.
    let fed = 0;
    const controls = [];
    d.on('input', (m) => {
      if (m.topic === 'yolo-edge/control') controls.push({ ...m.payload, fedBefore: fed });
      else m.admittedAt = Date.now();
    });
    const feed = setInterval(() => d.receive({ payload: zebra, seq: fed++ }), 40); // a 25 fps camera
    // Only controls after `from` count: the guard's start-up control is {maxFps: 0, pause: false} already. Resolves
    // once the first frame fed after the control has come out: frames leave in arrival order, so none admitted
    // before the change is still in flight, however slow the machine.
    const guardSent = async (maxFps, from = controls.length) => {
      const control = await until(() => controls.slice(from).find((c) => c.maxFps === maxFps), `the guard to send maxFps ${maxFps}`, 10000)
        .catch((err) => { throw new Error(`${err.message} (got ${JSON.stringify(controls)})`); });
      await until(() => outputs.some((m) => m.seq >= control.fedBefore), `a frame fed after maxFps ${maxFps}`);
    };
    /**
     * The frames that came out of those admitted from now on for `ms`, or until 3 came out if that takes longer (a
     * loaded machine runs the model at under 1 fps), counted once every frame admitted in that time is through.
     */
    const admittedOver = async (ms, atLeast = 3) => {
      const t0 = Date.now();
      const since = () => outputs.filter((m) => m.admittedAt >= t0);
      await until(() => Date.now() >= t0 + ms && since().length >= atLeast, `${atLeast} frames admitted over ${ms} ms or more`);
      const t1 = Math.max(t0 + ms, since()[atLeast - 1].admittedAt);
      await until(() => outputs.some((m) => m.admittedAt > t1), 'a frame admitted after the window');
      const outs = outputs.filter((m) => m.admittedAt >= t0 && m.admittedAt <= t1);
      return { rate: (outs.length * 1000) / (t1 - t0), dropsByRate: outs.map((m) => m.detection.counters.droppedByRate) };
    };
    try {
      await until(() => outputs.length > 0, 'the first frame (model loaded)');
      const cool = await admittedOver(3000);
      pi.setSocTemp(77); // warm: the guard asks for 2 fps
      await guardSent(2);
      const warm = await admittedOver(3000);
      pi.setSocTemp(60); // below 75 - 3: the limit is lifted
      await guardSent(0);
      const restored = await admittedOver(3000);
      console.log(`      detect rate: cool ${cool.rate.toFixed(1)} fps, warm ${warm.rate.toFixed(1)} fps, cool again ${restored.rate.toFixed(1)} fps`);
      assert.ok(warm.rate <= 2.4, `warm rate ${warm.rate}`);
      // How fast the detector runs unlimited is the machine's (a loaded one does under 1 fps): while cool, the
      // gate turns no frame away, while warm it does, and once cool again it stops doing so.
      const rising = (xs) => xs.length >= 2 && xs.at(-1) > xs[0];
      const flat = (xs) => xs.length >= 2 && xs.every((x) => x === xs[0]);
      assert.ok(cool.dropsByRate.length >= 2 && cool.dropsByRate.every((x) => x === 0), `cool: frames turned away by the rate ${cool.dropsByRate}`);
      assert.ok(rising(warm.dropsByRate), `warm: frames turned away by the rate ${warm.dropsByRate}`);
      assert.ok(flat(restored.dropsByRate), `cool again: frames turned away by the rate ${restored.dropsByRate}`);
    } finally {
      clearInterval(feed);
    }
  });
});
