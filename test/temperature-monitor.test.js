'use strict';
const assert = require('assert');
const path = require('path');
const { lib } = require('./support/paths');
const { FakePi } = require('./support/fake-pi');
const { TemperatureMonitor } = lib('temperature/monitor');

describe('temperature monitor on a fake sysfs tree and a fake vcgencmd', () => {
  let pi;
  beforeEach(() => {
    pi = new FakePi();
  });
  afterEach(() => pi.cleanup());

  const monitor = (extra = {}) => new TemperatureMonitor({ sysRoot: pi.sysRoot, procRoot: pi.procRoot, vcgencmd: pi.vcgencmd, ...extra });

  it('reads every source: SoC zone, throttle flags, clock, load, memory, RSS', async () => {
    pi.setSocTemp(54.2);
    pi.setVc({ throttled: '0x50005' });
    const m = monitor();
    const first = await m.sample();
    assert.strictEqual(first.reading.temperature, 54.2);
    assert.strictEqual(first.reading.temperatureSource, 'thermal_zone1 (cpu-thermal)');
    assert.strictEqual(first.reading.throttled.hex, '0x50005');
    assert.strictEqual(first.reading.throttled.now.throttled, true);
    assert.strictEqual(first.reading.armClockHz, 2.4e9);
    assert.strictEqual(first.reading.cpuLoad, null, 'no delta on the first reading');
    assert.strictEqual(first.reading.memory.usedPercent, 25);
    assert.ok(first.reading.rssBytes > 1e6);
    assert.deepStrictEqual(first.reading.unavailable, {});
    assert.deepStrictEqual(first.lost, []);
    pi.setProcStat('cpu  200 0 200 900 0 0 0 0 0 0\n'); // 200 busy of 300 jiffies
    const second = await m.sample();
    assert.ok(Math.abs(second.reading.cpuLoad - 66.667) < 0.01, String(second.reading.cpuLoad));
  });

  it('takes the clock from vcgencmd when cpufreq is missing', async () => {
    pi.remove('sys/devices');
    pi.setVc({ clock: '1500000000' });
    const r = await monitor().sample();
    assert.strictEqual(r.reading.armClockHz, 1.5e9);
    assert.ok(pi.vcCalls().includes('measure_clock arm'));
  });

  it('never reports a clock of 0, below zero or of many GHz: the next source is read, else the clock is unavailable', async () => {
    const cpufreq = path.join(pi.sysRoot, 'devices/system/cpu/cpu0/cpufreq/scaling_cur_freq');
    pi.setVc({ clock: '1500000000' });
    for (const khz of ['-5', '0', '99999999999']) {
      pi.write(cpufreq, `${khz}\n`);
      const r = await monitor().sample();
      assert.strictEqual(r.reading.armClockHz, 1.5e9, `scaling_cur_freq ${khz}: vcgencmd's clock instead`);
    }
    pi.setVc({ clock: '99999999999999999999' });
    const r = await monitor().sample();
    assert.strictEqual(r.reading.armClockHz, null);
    assert.match(r.reading.unavailable.armClock, /scaling_cur_freq: implausible ARM clock 99999999999000 Hz .*; vcgencmd measure_clock arm: implausible ARM clock 100000000000000000000 Hz/);
  });

  async function driveThrough(m, setTemp) {
    const temps = [50, 75, 78, 80, 83, 85, 86, 82.5, 81.9, 77.5, 76.9, 72.5, 71.9, 60];
    const log = [];
    for (const t of temps) {
      setTemp(t);
      const r = await m.sample();
      assert.strictEqual(r.reading.temperature, t);
      log.push([t, r.reading.state, r.change ? `${r.change.from}->${r.change.to}` : '', r.controls]);
    }
    return log;
  }

  const EXPECTED = [
    [50, 'normal', '', [{ maxFps: 0, pause: false }]], // the first temperature: the whole control of the state
    [75, 'warm', 'normal->warm', [{ maxFps: 2 }]],
    [78, 'warm', '', []],
    [80, 'hot', 'warm->hot', [{ maxFps: 1 }]],
    [83, 'hot', '', []],
    [85, 'critical', 'hot->critical', [{ pause: true }]],
    [86, 'critical', '', []],
    [82.5, 'critical', '', []], // within 3 C of 85
    [81.9, 'hot', 'critical->hot', [{ maxFps: 1 }, { pause: false }]],
    [77.5, 'hot', '', []],
    [76.9, 'warm', 'hot->warm', [{ maxFps: 2 }]],
    [72.5, 'warm', '', []],
    [71.9, 'normal', 'warm->normal', [{ maxFps: 0 }]],
    [60, 'normal', '', []],
  ];

  it('drives the sysfs temperature through every state with hysteresis, and the guard with it', async () => {
    assert.deepStrictEqual(await driveThrough(monitor({ temperatureSource: 'sysfs' }), (t) => pi.setSocTemp(t)), EXPECTED);
  });

  it('drives the vcgencmd temperature through every state with hysteresis', async () => {
    const log = await driveThrough(monitor({ temperatureSource: 'vcgencmd' }), (t) => pi.setVc({ temp: t.toFixed(1) }));
    assert.deepStrictEqual(log, EXPECTED);
    assert.strictEqual(pi.vcCalls().filter((c) => c === 'measure_temp').length, EXPECTED.length);
  });

  it('guard: the whole control with the first temperature, again every 30 s while not normal, never repeated at normal', async () => {
    let now = 0;
    const m = monitor({ temperatureSource: 'sysfs', now: () => now, clock: () => now });
    const at = async (t, celsius) => {
      now = t;
      pi.setSocTemp(celsius);
      return (await m.sample()).controls;
    };
    assert.deepStrictEqual(await at(0, 90), [{ maxFps: 0.5, pause: true }], 'starts critical: pause at once');
    assert.deepStrictEqual(await at(10000, 90), []);
    assert.deepStrictEqual(await at(29999, 90), []);
    assert.deepStrictEqual(await at(30000, 90), [{ maxFps: 0.5, pause: true }], 'a detector deployed meanwhile is paused');
    assert.deepStrictEqual(await at(40000, 81), [{ maxFps: 1 }, { pause: false }], 'a change sends the transition');
    assert.deepStrictEqual(await at(60000, 81), []);
    assert.deepStrictEqual(await at(70000, 81), [{ maxFps: 1, pause: false }], '30 s after the last control');
    assert.deepStrictEqual(await at(80000, 50), [{ maxFps: 0 }]);
    for (const t of [110000, 200000, 3600000]) assert.deepStrictEqual(await at(t, 50), [], 'nothing repeated at normal');
  });

  it('guard: a monitor started at normal lifts a pause and limit left by an earlier guard; the guard off sends nothing', async () => {
    pi.setSocTemp(45);
    assert.deepStrictEqual((await monitor().sample()).controls, [{ maxFps: 0, pause: false }]);
    let now = 0;
    const off = monitor({ guard: null, now: () => now, clock: () => now });
    for (const [t, c] of [[0, 90], [40000, 90], [80000, 50]]) {
      now = t;
      pi.setSocTemp(c);
      assert.deepStrictEqual((await off.sample()).controls, []);
    }
  });

  it('guard: nothing before the first temperature, the whole control with it', async () => {
    pi.remove('sys/class/thermal/thermal_zone1/temp');
    const m = monitor({ temperatureSource: 'sysfs' });
    assert.deepStrictEqual((await m.sample()).controls, []);
    pi.setSocTemp(77);
    assert.deepStrictEqual((await m.sample()).controls, [{ maxFps: 2, pause: false }]);
  });

  it('falls back to vcgencmd in auto mode when there are no thermal zones', async () => {
    pi.remove('sys/class');
    pi.setVc({ temp: '61.5' });
    const r = await monitor().sample();
    assert.strictEqual(r.reading.temperature, 61.5);
    assert.strictEqual(r.reading.temperatureSource, 'vcgencmd measure_temp');
    assert.deepStrictEqual(r.lost, []);
  });

  it('reports a missing vcgencmd once, keeps reading the rest, and notices when it comes back', async () => {
    const m = monitor({ vcgencmd: path.join(pi.dir, 'bin', 'missing-vcgencmd') });
    const results = [];
    for (let i = 0; i < 4; i++) results.push(await m.sample());
    assert.deepStrictEqual(results[0].lost.map((l) => l.source), ['throttled']);
    assert.match(results[0].lost[0].reason, /not found/);
    for (const r of results.slice(1)) assert.deepStrictEqual(r.lost, []);
    for (const r of results) {
      assert.strictEqual(r.reading.throttled, null);
      assert.strictEqual(r.reading.temperature, 50);
      assert.deepStrictEqual(Object.keys(r.reading.unavailable), ['throttled']);
    }
    m.options.vcgencmd = pi.vcgencmd;
    const back = await m.sample();
    assert.deepStrictEqual(back.restored, ['throttled']);
    assert.deepStrictEqual(back.reading.unavailable, {});
  });

  it('a vcgencmd that is not found is not spawned again; one that fails with an exit code is retried', async () => {
    const missing = path.join(pi.dir, 'bin', 'later-vcgencmd');
    pi.remove('sys/devices'); // the clock from vcgencmd too: every vcgencmd use of a reading
    const m = monitor({ vcgencmd: missing });
    const first = await m.sample();
    assert.deepStrictEqual(first.lost.map((l) => l.source).sort(), ['armClock', 'throttled']);
    assert.match(first.reading.unavailable.throttled, /get_throttled: not found \(not run again until the node is redeployed\)$/);
    // Were it spawned again, this script would log the call.
    require('fs').copyFileSync(pi.vcgencmd, missing);
    for (let i = 0; i < 3; i++) {
      const r = await m.sample();
      assert.deepStrictEqual(r.lost, []);
      assert.match(r.reading.unavailable.throttled, /not found \(not run again/);
    }
    assert.deepStrictEqual(pi.vcCalls(), []);

    pi.write(missing, `#!/bin/sh\necho "begin $*" >> '${pi.vcDir}/calls.log'\necho broken >&2\nexit 1\n`);
    const failing = monitor({ vcgencmd: missing });
    for (let i = 0; i < 3; i++) assert.match((await failing.sample()).reading.unavailable.throttled, /get_throttled: broken$/);
    assert.strictEqual(pi.vcCalls().filter((c) => c === 'get_throttled').length, 3, 'a failed run is retried every reading');
  });

  it('degrades gracefully with no source at all: nulls, state kept, one report per source', async () => {
    pi.remove('sys');
    pi.remove('proc');
    const m = monitor({ vcgencmd: '' });
    const a = await m.sample();
    const b = await m.sample();
    assert.deepStrictEqual(a.lost.map((l) => l.source).sort(), ['armClock', 'cpuLoad', 'memory', 'temperature', 'throttled']);
    assert.match(a.reading.unavailable.temperature, /sys\/class\/thermal.*; vcgencmd is not configured/);
    assert.deepStrictEqual(b.lost, []);
    assert.strictEqual(b.reading.temperature, null);
    assert.strictEqual(b.reading.state, 'normal');
    assert.strictEqual(b.reading.stats, null);
    assert.deepStrictEqual(b.controls, []);
  });

  it('an hour into a sensor outage the window stats are null, not the figures from before it', async () => {
    let now = 0;
    const m = monitor({ temperatureSource: 'sysfs', vcgencmd: '', windowSeconds: 60, now: () => now, clock: () => now });
    for (const c of [70, 74, 78]) {
      pi.setSocTemp(c);
      await m.sample();
      now += 10000;
    }
    pi.remove('sys/class/thermal/thermal_zone1/temp');
    now += 3600 * 1000;
    const r = (await m.sample()).reading;
    assert.strictEqual(r.temperature, null);
    assert.strictEqual(r.stats, null);
  });

  it('a wall clock set back an hour (NTP, or by hand) neither stops the guard repeating nor muddles the window', async () => {
    let wall = Date.UTC(2025, 0, 1);
    let elapsed = 0;
    const m = monitor({ temperatureSource: 'sysfs', now: () => wall, clock: () => elapsed });
    const after = async (ms, celsius, jump = 0) => {
      elapsed += ms;
      wall += ms + jump;
      pi.setSocTemp(celsius);
      return m.sample();
    };
    assert.deepStrictEqual((await after(0, 90)).controls, [{ maxFps: 0.5, pause: true }]);
    assert.deepStrictEqual((await after(10000, 90.5)).controls, []);
    const back = await after(10000, 91, -3600 * 1000);
    assert.strictEqual(back.reading.timestamp, wall, 'readings are stamped with the wall clock');
    assert.deepStrictEqual(back.controls, []);
    const r = await after(10000, 91.5);
    assert.deepStrictEqual(r.controls, [{ maxFps: 0.5, pause: true }], '30 s after the last control, whatever the wall clock did');
    assert.strictEqual(r.reading.stats.samples, 4);
    assert.ok(Math.abs(r.reading.stats.trendPerMinute - 3) < 1e-6, String(r.reading.stats.trendPerMinute));
    const ahead = await after(10000, 92, 24 * 3600 * 1000); // set forward a day
    assert.strictEqual(ahead.reading.stats.samples, 5, 'a jump forward does not empty the window');
  });

  it('names a configured zone that does not exist', async () => {
    const r = await monitor({ temperatureSource: 'sysfs', thermalZone: 'thermal_zone7' }).sample();
    assert.match(r.reading.unavailable.temperature, /thermal zone 'thermal_zone7' not found/);
  });

  it('estimates the trend and time to throttle from readings', async () => {
    let now = 0;
    const m = monitor({ temperatureSource: 'sysfs', now: () => now, clock: () => now });
    let r;
    for (let i = 0; i < 6; i++) {
      now = i * 10000;
      pi.setSocTemp(70 + i * 0.5); // 3 C/min, 72.5 C at the end
      r = await m.sample();
    }
    assert.ok(Math.abs(r.reading.stats.trendPerMinute - 3) < 1e-6, String(r.reading.stats.trendPerMinute));
    assert.ok(Math.abs(r.reading.stats.secondsToThrottle - 150) < 1e-6, String(r.reading.stats.secondsToThrottle));
    assert.strictEqual(r.reading.stats.min, 70);
    assert.strictEqual(r.reading.stats.max, 72.5);
  });
});
