'use strict';
const assert = require('assert');
const path = require('path');
const helper = require('node-red-node-test-helper');
const { DIST } = require('./support/paths');
const { FakePi, loadTemperatureNode } = require('./support/fake-pi');
const { until } = require('./support/wait');

const temperatureNode = require(path.join(DIST, 'nodes', 'yolo-temperature.js'));
helper.init(require.resolve('node-red'));

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

describe('yolo-temperature node', function () {
  let pi;
  beforeEach((done) => {
    pi = new FakePi();
    helper.startServer(done);
  });
  afterEach(async () => {
    await helper.unload();
    await new Promise((r) => helper.stopServer(r));
    pi.cleanup();
  });

  const load = (config) => loadTemperatureNode(helper, temperatureNode, pi, config);

  /** One reading on demand; resolves once its reading came out of output 1. */
  async function readAt(node, got, celsius, setTemp) {
    setTemp(celsius);
    const before = got.readings.length;
    node.receive({ payload: 'now', tag: celsius });
    await until(() => got.readings.length > before, `a reading at ${celsius} C`, 5000);
    return got.readings[got.readings.length - 1];
  }

  for (const [source, setTemp] of [
    ['sysfs', (t) => pi.setSocTemp(t)],
    ['vcgencmd', (t) => pi.setVc({ temp: t.toFixed(1) })],
  ]) {
    it(`goes through every state with hysteresis from a fake ${source}, with state and guard messages`, async () => {
      const { node, got } = await load({ interval: 3600, source });
      await until(() => got.readings.length === 1, 'the start-up reading', 5000);
      const temps = [50, 76, 81, 86, 83, 81.5, 78, 76.5, 73, 71.5];
      const states = [];
      for (const t of temps) {
        const msg = await readAt(node, got, t, setTemp);
        assert.strictEqual(msg.tag, t, 'the input msg is reused');
        assert.strictEqual(msg.payload.temperature, t);
        states.push(msg.payload.state);
      }
      assert.deepStrictEqual(states, ['normal', 'warm', 'hot', 'critical', 'critical', 'hot', 'hot', 'warm', 'warm', 'normal']);
      await sleep(50);
      assert.deepStrictEqual(got.states.map((m) => `${m.payload.previous}->${m.payload.state}`), ['normal->warm', 'warm->hot', 'hot->critical', 'critical->hot', 'hot->warm', 'warm->normal']);
      assert.ok(got.states.every((m) => m.topic === 'yolo-edge/thermal-state'));
      assert.deepStrictEqual(got.states[0].payload.thresholds, { warm: 75, hot: 80, critical: 85, hysteresis: 3 });
      // each msg has its own copy: a downstream node editing one cannot move the guard's thresholds
      assert.notStrictEqual(got.states[0].payload.thresholds, got.states[1].payload.thresholds);
      assert.ok(got.controls.every((m) => m.topic === 'yolo-edge/control'));
      // signed as the guard's: a detect node keeps them apart from the flow's own limits
      const guard = (c) => ({ ...c, source: 'yolo-temperature' });
      assert.deepStrictEqual(got.controls.map((m) => m.payload), [{ maxFps: 0, pause: false }, { maxFps: 2 }, { maxFps: 1 }, { pause: true }, { maxFps: 1 }, { pause: false }, { maxFps: 2 }, { maxFps: 0 }].map(guard));
      assert.deepStrictEqual(got.controls[3].reason, { state: 'critical', previous: 'hot', temperature: 86 });
    });
  }

  it('a redeployed guard resumes a detector the previous one paused once the Pi has cooled', async () => {
    const { RateGate } = require(path.join(DIST, 'lib', 'pipeline', 'rate-gate.js'));
    const gate = new RateGate(); // stands for the detector's gate
    pi.setSocTemp(90);
    let { got } = await load({ interval: 3600 });
    await until(() => got.controls.length === 1, 'the start-up control', 5000);
    for (const m of got.controls) gate.apply(m.payload);
    assert.strictEqual(gate.paused, true);
    await helper.unload();
    pi.setSocTemp(45);
    ({ got } = await load({ interval: 3600 }));
    await until(() => got.controls.length === 1, 'the control of the redeployed guard', 5000);
    assert.deepStrictEqual(got.controls[0].payload, { maxFps: 0, pause: false, source: 'yolo-temperature' });
    assert.deepStrictEqual(got.controls[0].reason, { state: 'normal', previous: undefined, temperature: 45 });
    for (const m of got.controls) gate.apply(m.payload);
    assert.strictEqual(gate.paused, false);
    assert.strictEqual(gate.maxFps, 0);
  });

  it("the guard's resume and its repeats lift only its own limits: a pause or rate the flow set by hand stays", async () => {
    const { RateGate } = require(path.join(DIST, 'lib', 'pipeline', 'rate-gate.js'));
    const gate = new RateGate();
    gate.apply({ pause: true }); // the flow's maintenance pause
    pi.setSocTemp(45);
    const { got } = await load({ interval: 3600 });
    await until(() => got.controls.length === 1, 'the start-up control', 5000);
    gate.apply(got.controls[0].payload); // {maxFps: 0, pause: false} from the guard: it lifted the pause
    assert.deepStrictEqual([gate.paused, gate.pausedBy], [true, ['flow']]);
    gate.apply({ pause: false, maxFps: 4 });
    gate.apply({ maxFps: 2, pause: true, source: 'yolo-temperature' });
    assert.deepStrictEqual([gate.paused, gate.pausedBy, gate.maxFps], [true, ['yolo-temperature'], 2], 'the lower rate of the two');
    gate.apply({ pause: false, source: 'yolo-temperature' });
    gate.apply({ maxFps: 0, source: 'yolo-temperature' });
    assert.deepStrictEqual([gate.paused, gate.maxFps], [false, 4], "the flow's own rate is left");
  });

  it('sends the decoded throttle flags, clock, load, memory and window stats in each reading', async () => {
    pi.setVc({ throttled: '0x80008' });
    const { node, got } = await load({ interval: 3600 });
    await until(() => got.readings.length === 1, 'the start-up reading', 5000);
    pi.setProcStat('cpu  200 0 200 900 0 0 0 0 0 0\n'); // 200 of 300 more jiffies busy
    const msg = await readAt(node, got, 60, (t) => pi.setSocTemp(t));
    const p = msg.payload;
    assert.strictEqual(msg.topic, 'yolo-edge/temperature');
    assert.strictEqual(p.throttled.now.softTempLimit, true);
    assert.strictEqual(p.throttled.sinceBoot.softTempLimit, true);
    assert.strictEqual(p.armClockHz, 2.4e9);
    assert.ok(Math.abs(p.cpuLoad - 66.667) < 0.01, String(p.cpuLoad));
    assert.strictEqual(p.memory.availableBytes, 6000000 * 1024);
    assert.strictEqual(p.stats.samples, 2);
    assert.strictEqual(p.stats.min, 50);
    assert.strictEqual(p.stats.max, 60);
    assert.strictEqual(p.skippedTicks, 0);
  });

  it('warns once about a missing source and keeps sending readings', async () => {
    const { got } = await load({ interval: 0.1, vcgencmd: path.join(pi.dir, 'nowhere', 'vcgencmd') });
    await until(() => got.readings.length >= 4, 'four readings', 5000);
    const warnings = helper.log().args.map((a) => a[0]).filter((e) => e.level === helper.log().WARN && e.id === 't');
    assert.strictEqual(warnings.length, 1, JSON.stringify(warnings));
    assert.match(warnings[0].msg, /^throttled unavailable: .*not found/);
    const last = got.readings[got.readings.length - 1].payload;
    assert.strictEqual(last.temperature, 50);
    assert.strictEqual(last.throttled, null);
    assert.deepStrictEqual(Object.keys(last.unavailable), ['throttled']);
  });

  it('the status names the whole thermal directory when it holds no zone, not its last part', async () => {
    for (const zone of ['thermal_zone0', 'thermal_zone1']) pi.remove(`sys/class/thermal/${zone}`); // as on an x86 VM
    const vcgencmd = path.join(pi.dir, 'nowhere', 'vcgencmd');
    const { node, got } = await load({ interval: 3600, vcgencmd });
    await until(() => got.readings.length === 1, 'the start-up reading', 5000);
    await sleep(20);
    const text = node.status.lastCall.args[0].text;
    assert.ok(`no temperature: no thermal zone under ${path.join(pi.sysRoot, 'class', 'thermal')}; ${vcgencmd} measure_temp`.startsWith(text.replace(/…$/, '')), text);
  });

  it('a thermal zone of 100000 \'a/\' from a flow file is refused at deploy, named cut in the log and the status', async function () {
    // it was read at every reading and named whole in its error; the status's path pattern, whose cost grows with
    // the square of the reason's length, held the event loop for minutes; the timeout is a hang's, not a measure of speed
    this.timeout(5000);
    const zone = 'a/'.repeat(1e5);
    const { node, got } = await load({ interval: 0.1, thermalZone: zone, vcgencmd: '' });
    await sleep(300);
    assert.strictEqual(got.readings.length, 0);
    const says = `thermalZone must be a zone name or type of at most 64 characters on one line, like thermal_zone0 or cpu-thermal, got "${zone.slice(0, 200)}"... (200000 characters)`;
    assert.strictEqual(String(node.error.firstCall.args[0]), `configuration: ${says}`);
    const s = node.status.lastCall.args[0];
    assert.strictEqual(s.fill, 'red');
    assert.ok(s.text.startsWith('thermalZone must be a zone name') && s.text.length <= 100, s.text);
  });

  it('shows a state badge', async () => {
    const { node, got } = await load({ interval: 3600 });
    await until(() => got.readings.length === 1, 'the start-up reading', 5000);
    await readAt(node, got, 81, (t) => pi.setSocTemp(t));
    await sleep(20);
    assert.deepStrictEqual(node.status.lastCall.args[0], { fill: 'red', shape: 'ring', text: '81.0 C hot' });
  });

  it('a sensor that breaks while critical: the status says the critical state (and its pause) is held', async () => {
    const { node, got } = await load({ interval: 3600, source: 'sysfs' });
    await until(() => got.readings.length === 1, 'the start-up reading', 5000);
    await readAt(node, got, 86, (t) => pi.setSocTemp(t));
    const broken = await readAt(node, got, 0, () => pi.write(path.join(pi.sysRoot, 'class/thermal/thermal_zone1/temp'), 'garbage\n'));
    await sleep(20);
    assert.strictEqual(broken.payload.temperature, null);
    assert.strictEqual(broken.payload.state, 'critical');
    assert.deepStrictEqual(got.controls.map((m) => m.payload).slice(-1), [{ pause: true, source: 'yolo-temperature' }], 'detection stays paused');
    const s = node.status.lastCall.args[0];
    assert.deepStrictEqual([s.fill, s.shape], ['red', 'ring']);
    assert.match(s.text, /^no temperature, critical held: thermal_zone1 \(cpu-thermal\): temp: not a decimal/);
  });

  it('never overlaps readings: slow ticks are skipped and counted, extra inputs wait or are dropped and counted', async () => {
    pi.setVc({ delay: '0.3' });
    const { node, got } = await load({ interval: 0.1 });
    await until(() => pi.vcLog().length === 1, 'a timer reading in progress', 5000);
    for (let i = 0; i < 5; i++) node.receive({ payload: i, i });
    await until(() => got.readings.some((m) => m.i === 1), 'the second queued input', 5000);
    await sleep(700);
    const last = got.readings[got.readings.length - 1].payload;
    assert.ok(last.skippedTicks > 0, `skippedTicks ${last.skippedTicks}`);
    assert.strictEqual(last.droppedInputs, 3, 'two inputs wait behind the running reading, the other three are dropped');
    assert.deepStrictEqual(got.readings.filter((m) => m.i !== undefined).map((m) => m.i), [0, 1]);
    const log = pi.vcLog();
    log.forEach((line, k) => assert.strictEqual(line.split(' ')[0], k % 2 === 0 ? 'begin' : 'end', `overlapping vcgencmd runs: ${log.join(' | ')}`));
  });

  it('close stops the timer: no more readings, no more vcgencmd runs', async () => {
    const { got } = await load({ interval: 0.1 });
    await until(() => got.readings.length >= 3, 'three readings', 5000);
    await helper.unload();
    await sleep(50); // let a reading that was already running finish
    const readings = got.readings.length;
    const calls = pi.vcCalls().length;
    await sleep(500);
    assert.strictEqual(got.readings.length, readings);
    assert.strictEqual(pi.vcCalls().length, calls);
  });

  it('refuses a bad configuration: no timer, red status, one log line, every msg fails with BAD_CONFIG for Catch nodes', async () => {
    const catchNode = require(require.resolve('@node-red/nodes/core/common/25-catch.js', { paths: [path.dirname(require.resolve('node-red'))] }));
    await helper.load([temperatureNode, catchNode], [
      { id: 'tab', type: 'tab' },
      { id: 't', z: 'tab', type: 'yolo-temperature', wires: [['readings'], [], []], sysRoot: pi.sysRoot, procRoot: pi.procRoot, vcgencmd: pi.vcgencmd, interval: 0.1, warm: 90 },
      { id: 'c', z: 'tab', type: 'catch', scope: null, uncaught: false, wires: [['caught']] },
      { id: 'readings', z: 'tab', type: 'helper' },
      { id: 'caught', z: 'tab', type: 'helper' },
    ]);
    const node = helper.getNode('t');
    const readings = [];
    const caught = [];
    helper.getNode('readings').on('input', (m) => readings.push(m));
    helper.getNode('caught').on('input', (m) => caught.push(m));
    node.receive({ payload: 1 });
    node.receive({ payload: 2 });
    await until(() => caught.length === 2, 'both messages at the Catch node', 5000);
    await sleep(300);
    assert.strictEqual(readings.length, 0);
    assert.deepStrictEqual(caught.map((m) => [m.payload, m.error.code]), [[1, 'BAD_CONFIG'], [2, 'BAD_CONFIG']]);
    assert.match(caught[0].error.message, /thresholds must rise/);
    const status = node.status.lastCall.args[0];
    assert.deepStrictEqual([status.fill, status.shape], ['red', 'ring']);
    assert.match(status.text, /^thresholds must rise/);
    assert.strictEqual(node.error.getCalls().filter((c) => c.args.length === 1).length, 1, 'logged once, not per msg');
    assert.match(node.error.firstCall.args[0], /^configuration: thresholds must rise/);
    assert.deepStrictEqual(pi.vcCalls(), []);
  });
});
