'use strict';
// The temperature node as a broken or hostile system drives it: a vcgencmd that ignores SIGTERM, a FIFO in place of
// a sensor file, an interval beyond Node's timer range, and readings no sensor can give (1e9 C, hex strings).
const assert = require('assert');
const { execFileSync } = require('child_process');
const fs = require('fs');
const path = require('path');
const helper = require('node-red-node-test-helper');
const { DIST, lib } = require('./support/paths');
const { FakePi, loadTemperatureNode } = require('./support/fake-pi');
const { processesMentioning } = require('./support/camera-fakes');
const { until } = require('./support/wait');

const { TemperatureMonitor } = lib('temperature/monitor');
const { parseTemperatureConfig } = lib('temperature/config');
const temperatureNode = require(path.join(DIST, 'nodes', 'yolo-temperature.js'));
helper.init(require.resolve('node-red'));

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
// A duration no other process uses, so the test can tell whether the hung vcgencmd's child is still alive.
const HANG = 'sleep 47.25';

/** Settles with the promise, or rejects after ms: a hang must fail the test, not stall the run. */
function within(promise, ms, what) {
  let timer;
  const late = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms`)), ms);
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

/** A vcgencmd that, while the file `hang` exists, ignores SIGTERM and never answers (once per run if `once`). */
function hangingVcgencmd(pi, { once }) {
  pi.write(pi.vcgencmd, [
    '#!/bin/sh',
    `D='${pi.vcDir}'`,
    `if [ -f "$D/hang" ]; then ${once ? 'rm -f "$D/hang"; ' : ''}trap '' TERM; ${HANG}; fi`,
    'case "$1" in',
    `  measure_temp) echo "temp=$(cat "$D/temp")'C" ;;`,
    '  get_throttled) echo "throttled=$(cat "$D/throttled")" ;;',
    '  measure_clock) echo "frequency(0)=$(cat "$D/clock")" ;;',
    'esac',
    '',
  ].join('\n'));
  pi.write(path.join(pi.vcDir, 'hang'), '');
}

/** Replaces the SoC zone's temp with a FIFO nobody writes: a plain open() of it blocks for good. */
function fifoForSocTemp(pi) {
  const file = path.join(pi.sysRoot, 'class/thermal/thermal_zone1/temp');
  fs.rmSync(file);
  execFileSync('mkfifo', [file]);
  return file;
}

/** Opens the FIFO for writing, which releases any reader blocked in open(), so a failing run cannot wedge the pool. */
function releaseFifo(file) {
  try {
    fs.closeSync(fs.openSync(file, fs.constants.O_WRONLY | fs.constants.O_NONBLOCK));
  } catch {
    // ENXIO: no reader waiting; ENOENT: already gone.
  }
}

const setSocRaw = (pi, text) => pi.write(path.join(pi.sysRoot, 'class/thermal/thermal_zone1/temp'), text);

describe('temperature hardening', function () {
  this.timeout(30000);
  let pi;
  let fifo;
  beforeEach(() => {
    pi = new FakePi();
    fifo = undefined;
  });
  afterEach(() => {
    if (fifo) releaseFifo(fifo);
    for (const p of processesMentioning(HANG)) process.kill(p.pid, 'SIGKILL');
    pi.cleanup();
  });

  const monitor = (extra = {}) => new TemperatureMonitor({ sysRoot: pi.sysRoot, procRoot: pi.procRoot, vcgencmd: pi.vcgencmd, ...extra });

  describe('monitor', () => {
    it('a vcgencmd that ignores SIGTERM gets SIGKILL after the grace, with its children; the next reading works', async () => {
      hangingVcgencmd(pi, { once: false });
      const m = monitor({ temperatureSource: 'vcgencmd' });
      const t0 = Date.now();
      const r = await within(m.sample(), 6000, 'a sample with a hung vcgencmd');
      const ms = Date.now() - t0;
      assert.ok(ms >= 2000 && ms < 4500, `sample took ${ms} ms (2 s limit, 0.5 s grace)`);
      assert.strictEqual(r.reading.temperature, null);
      assert.match(r.reading.unavailable.temperature, /measure_temp: no answer within 2\.0 s, ignored SIGTERM, ended by SIGKILL/);
      assert.match(r.reading.unavailable.throttled, /ignored SIGTERM, ended by SIGKILL/);
      await until(() => processesMentioning(HANG).length === 0, 'the hung children gone', 1000);
      fs.rmSync(path.join(pi.vcDir, 'hang'));
      pi.setVc({ temp: '55.5' });
      const next = await within(m.sample(), 3000, 'the sample after the hang');
      assert.strictEqual(next.reading.temperature, 55.5);
      assert.deepStrictEqual(next.restored.sort(), ['temperature', 'throttled']);
    });

    it('close kills a vcgencmd in flight at once', async () => {
      hangingVcgencmd(pi, { once: false });
      const m = monitor({ temperatureSource: 'vcgencmd' });
      const sample = m.sample();
      await until(() => processesMentioning(HANG).length > 0, 'the hung vcgencmd running', 5000);
      const t0 = Date.now();
      m.close();
      const r = await within(sample, 1500, 'the sample after close');
      assert.ok(Date.now() - t0 < 1000, `sample ended ${Date.now() - t0} ms after close`);
      assert.match(r.reading.unavailable.temperature, /stopped/);
      await until(() => processesMentioning(HANG).length === 0, 'the hung children gone', 1000);
    });

    it('a FIFO in place of the sensor file is refused at once, however often it is read', async () => {
      fifo = fifoForSocTemp(pi);
      const m = monitor({ temperatureSource: 'sysfs' });
      // More readings than libuv has pool threads (4): a blocked open() per reading would starve every fs call.
      for (let i = 0; i < 6; i++) {
        const r = await within(m.sample(), 2000, `sample ${i} with a FIFO sensor`);
        assert.strictEqual(r.reading.temperature, null);
        assert.match(r.reading.unavailable.temperature, /thermal_zone1 \(cpu-thermal\): .*thermal_zone1\/temp: not a regular file/);
        assert.strictEqual(r.reading.memory.totalBytes, 8000000 * 1024, 'the other sources are still read');
      }
      await within(fs.promises.readFile(path.join(pi.procRoot, 'stat'), 'utf8'), 1000, 'an unrelated file read');
      fs.rmSync(fifo);
      pi.setSocTemp(48);
      const back = await within(m.sample(), 2000, 'the sample after the FIFO went');
      assert.strictEqual(back.reading.temperature, 48);
    });

    it('reads at most 64 thermal zones, the lowest-numbered, and says so; a folder of over 4096 entries is SENSOR_FAILED, a zone named is read alone', async () => {
      // a faked sysRoot's zones were listed whole and all read at once at every reading (20000 zones: EMFILE)
      const { readThermalZones } = lib('temperature/sysfs');
      for (let i = 2; i < 100; i++) pi.addZone(`thermal_zone${i}`, `z${i}`, 30);
      const fsp = fs.promises;
      const realOpen = fsp.open;
      let opens = 0;
      fsp.open = function (...args) {
        opens++;
        return realOpen.apply(this, args);
      };
      try {
        const a = await monitor({ temperatureSource: 'sysfs' }).sample();
        assert.strictEqual(a.reading.temperature, 50);
        // each zone's type and temp, and /proc/stat, meminfo and cpufreq
        assert.strictEqual(opens, 2 * 64 + 3, `${opens} files opened for one reading`);
        const says = `36 of the 100 thermal zones under ${path.join(pi.sysRoot, 'class', 'thermal')} are not read: at most 64 are, the lowest-numbered (set the zone to read another)`;
        assert.deepStrictEqual(a.lost.find((l) => l.source === 'thermalZones'), { source: 'thermalZones', reason: says });
        assert.strictEqual(a.reading.unavailable.thermalZones, says);
        const listing = await readThermalZones(pi.sysRoot);
        assert.deepStrictEqual(listing.zones.map((z) => z.zone), Array.from({ length: 64 }, (_, i) => `thermal_zone${i}`));
        opens = 0;
        const named = await monitor({ temperatureSource: 'sysfs', thermalZone: 'thermal_zone99' }).sample();
        assert.strictEqual(named.reading.temperatureSource, 'thermal_zone99 (z99)');
        assert.strictEqual(opens, 2 + 3, `${opens} files opened to read one named zone`);
        assert.strictEqual(named.reading.unavailable.thermalZones, undefined);
        const missing = await monitor({ temperatureSource: 'sysfs', thermalZone: 'thermal_zone100' }).sample();
        assert.match(missing.reading.unavailable.temperature, /^thermal zone 'thermal_zone100' not found under /);
      } finally {
        fsp.open = realOpen;
      }
      for (let i = 100; i < 4100; i++) fs.mkdirSync(path.join(pi.sysRoot, 'class/thermal', `cooling_device${i}`));
      const b = await monitor({ temperatureSource: 'sysfs' }).sample();
      assert.strictEqual(b.reading.temperature, null);
      assert.strictEqual(b.reading.unavailable.temperature, `${path.join(pi.sysRoot, 'class', 'thermal')} holds over 4096 entries, more than a board's; set the zone to read by its name (thermal_zoneN)`);
      assert.strictEqual((await monitor({ temperatureSource: 'sysfs', thermalZone: 'thermal_zone1' }).sample()).reading.temperature, 50);
    });

    it('a read that hangs in the driver times out, is not started again while it hangs, and recovers', async () => {
      const { readBounded } = lib('temperature/bounded-read');
      const fsp = fs.promises;
      const file = path.join(pi.sysRoot, 'class/thermal/thermal_zone1/temp');
      const realOpen = fsp.open;
      let opens = 0;
      let release;
      // A regular file whose open() does not return, as a sensor driver stuck on its bus would behave.
      fsp.open = function (p, ...rest) {
        if (p !== file) return realOpen.call(this, p, ...rest);
        opens++;
        return new Promise((resolve) => {
          release = () => resolve(realOpen.call(fsp, p, ...rest));
        });
      };
      try {
        const m = monitor({ temperatureSource: 'sysfs' });
        let t0 = Date.now();
        const a = await within(m.sample(), 3000, 'a sample with a hung sensor read');
        assert.ok(Date.now() - t0 >= 900 && Date.now() - t0 < 2500, `first sample took ${Date.now() - t0} ms (1 s limit)`);
        assert.match(a.reading.unavailable.temperature, /thermal_zone1\/temp: no answer within 1\.0 s/);
        t0 = Date.now();
        const b = await within(m.sample(), 1000, 'the sample while the read still hangs');
        assert.ok(Date.now() - t0 < 500, `second sample took ${Date.now() - t0} ms`);
        assert.match(b.reading.unavailable.temperature, /thermal_zone1\/temp: an earlier read has not returned yet/);
        assert.strictEqual(opens, 1, 'a hung file holds at most one pool thread');
      } finally {
        fsp.open = realOpen;
      }
      release();
      await sleep(50);
      assert.strictEqual(await readBounded(file), '50000\n');
    });

    for (const [what, write, reason] of [
      ['1e9 C from sysfs', (p) => setSocRaw(p, '1000000000000\n'), /thermal_zone1 \(cpu-thermal\): implausible temperature 1000000000 C \(expected -40\.\.150 C\)/],
      ['a hex string from sysfs', (p) => setSocRaw(p, '0x1A000\n'), /thermal_zone1\/temp: not a decimal integer: "0x1A000"/],
      ['an exponent from sysfs', (p) => setSocRaw(p, '9e7\n'), /not a decimal integer: "9e7"/],
      ['-100 C from sysfs', (p) => p.setSocTemp(-100), /implausible temperature -100 C/],
    ]) {
      it(`sysfs mode: ${what} is rejected, never raises the state or pauses detection`, async () => {
        const m = monitor({ temperatureSource: 'sysfs' });
        assert.strictEqual((await m.sample()).reading.temperature, 50);
        write(pi);
        for (let i = 0; i < 3; i++) {
          const r = await m.sample();
          assert.strictEqual(r.reading.temperature, null);
          assert.strictEqual(r.reading.temperatureSource, null);
          assert.strictEqual(r.reading.state, 'normal');
          assert.deepStrictEqual(r.controls, []);
          assert.strictEqual(r.change, undefined);
          assert.match(r.reading.unavailable.temperature, reason);
          assert.strictEqual(r.lost.length, i === 0 ? 1 : 0, 'reported once');
        }
      });
    }

    for (const [what, output, reason] of [
      ['1e9 C', '1000000000.0', /implausible temperature 1000000000 C/],
      ['a hex value', '0x55', /unexpected measure_temp output: "temp=0x55'C"/],
      ['an exponent', '1e9', /unexpected measure_temp output: "temp=1e9'C"/],
    ]) {
      it(`vcgencmd mode: ${what} is rejected, never raises the state or pauses detection`, async () => {
        pi.setVc({ temp: output });
        const r = await monitor({ temperatureSource: 'vcgencmd' }).sample();
        assert.strictEqual(r.reading.temperature, null);
        assert.strictEqual(r.reading.state, 'normal');
        assert.deepStrictEqual(r.controls, []);
        assert.match(r.reading.unavailable.temperature, reason);
      });
    }

    it('a broken SoC zone is reported, never silently replaced by another zone', async () => {
      setSocRaw(pi, 'garbage\n'); // thermal_zone0 (rp1_adc, 41.5 C) still reads fine
      const sysfs = await monitor({ temperatureSource: 'sysfs' }).sample();
      assert.strictEqual(sysfs.reading.temperature, null);
      assert.match(sysfs.reading.unavailable.temperature, /^thermal_zone1 \(cpu-thermal\): .*not a decimal integer: "garbage"/);
      const byType = await monitor({ temperatureSource: 'sysfs', thermalZone: 'cpu-thermal' }).sample();
      assert.match(byType.reading.unavailable.temperature, /^thermal_zone1 \(cpu-thermal\): .*not a decimal integer/, 'named as broken, not as missing');
    });

    for (const [what, breakType] of [
      ['its type file missing', (p) => p.remove('sys/class/thermal/thermal_zone1/type')],
      ['a directory in place of its type file', (p) => {
        p.remove('sys/class/thermal/thermal_zone1/type');
        fs.mkdirSync(path.join(p.sysRoot, 'class/thermal/thermal_zone1/type'));
      }],
      ['a FIFO in place of its type file', (p) => {
        const file = path.join(p.sysRoot, 'class/thermal/thermal_zone1/type');
        fs.rmSync(file);
        execFileSync('mkfifo', [file]);
        fifo = file;
      }],
      ['a file in place of the zone directory', (p) => {
        p.remove('sys/class/thermal/thermal_zone1');
        p.write(path.join(p.sysRoot, 'class/thermal/thermal_zone1'), '90000\n');
      }],
    ]) {
      it(`a SoC zone with ${what} is reported, never replaced by the cooler zone beside it`, async () => {
        pi.setSocTemp(90);
        breakType(pi); // thermal_zone0 (rp1_adc, 41.5 C) still reads fine
        const sysfs = await monitor({ temperatureSource: 'sysfs' }).sample();
        assert.strictEqual(sysfs.reading.temperature, null, `read ${sysfs.reading.temperatureSource}`);
        assert.match(sysfs.reading.unavailable.temperature, /^thermal_zone1: type unreadable, it may be the SoC zone \(set the zone to read another\): .*thermal_zone1\/type/);
        pi.setVc({ temp: '90.0' });
        const auto = await monitor().sample();
        assert.deepStrictEqual([auto.reading.temperature, auto.reading.temperatureSource, auto.reading.state], [90, 'vcgencmd measure_temp', 'critical']);
        assert.match(auto.reading.unavailable.thermalZone, /^thermal_zone1: type unreadable.*; using vcgencmd measure_temp$/);
        const chosen = await monitor({ temperatureSource: 'sysfs', thermalZone: 'thermal_zone0' }).sample();
        assert.strictEqual(chosen.reading.temperature, 41.5, 'a zone set by name is still read');
      });
    }

    it('auto mode falls back to vcgencmd visibly when the SoC zone is broken, and says when it is back', async () => {
      const m = monitor();
      pi.setVc({ temp: '52.0' });
      setSocRaw(pi, '0x1A000\n');
      const a = await m.sample();
      assert.strictEqual(a.reading.temperature, 52);
      assert.strictEqual(a.reading.temperatureSource, 'vcgencmd measure_temp');
      assert.deepStrictEqual(a.lost.map((l) => l.source), ['thermalZone']);
      assert.match(a.lost[0].reason, /^thermal_zone1 \(cpu-thermal\): .*not a decimal integer: "0x1A000"; using vcgencmd measure_temp$/);
      assert.match(a.reading.unavailable.thermalZone, /0x1A000/);
      const b = await m.sample();
      assert.deepStrictEqual(b.lost, [], 'reported once');
      pi.setSocTemp(53);
      const c = await m.sample();
      assert.strictEqual(c.reading.temperatureSource, 'thermal_zone1 (cpu-thermal)');
      assert.deepStrictEqual(c.restored, ['thermalZone']);
      assert.deepStrictEqual(c.reading.unavailable, {});
    });
  });

  describe('configuration', () => {
    it('caps the interval at a day: 3,000,000 s is refused, a day is taken', () => {
      assert.throws(() => parseTemperatureConfig({ interval: 3000000 }), /^YoloEdgeError: interval must be a number from 0\.1 to 86400, got 3000000$/);
      assert.throws(() => parseTemperatureConfig({ interval: '0.05' }), /interval must be a number from 0\.1 to 86400/);
      assert.strictEqual(parseTemperatureConfig({ interval: '86400' }).intervalMs, 86400000);
    });
  });

  describe('node', () => {
    beforeEach((done) => {
      helper.startServer(done);
    });
    afterEach(async () => {
      await helper.unload();
      await new Promise((r) => helper.stopServer(r));
    });

    const load = (config) => loadTemperatureNode(helper, temperatureNode, pi, config);

    const warnings = () => helper.log().args.map((a) => a[0]).filter((e) => e.level === helper.log().WARN && e.id === 't').map((e) => e.msg);

    it('an interval of 3,000,000 s is a bad configuration, not a reading every millisecond', async () => {
      const { node, got } = await load({ interval: 3000000 });
      await sleep(300);
      assert.strictEqual(got.readings.length, 0);
      assert.deepStrictEqual(node.status.lastCall.args[0].fill, 'red');
      assert.match(node.error.lastCall.args[0], /interval must be a number from 0\.1 to 86400/);
    });

    it('a vcgencmd that ignores SIGTERM once: readings go on after it is killed', async () => {
      hangingVcgencmd(pi, { once: true });
      const { got } = await load({ interval: 0.2, source: 'vcgencmd' });
      await until(() => got.readings.length >= 3, 'readings after the hung run', 8000);
      assert.ok(warnings().some((w) => /ignored SIGTERM, ended by SIGKILL/.test(w)), warnings().join(' | '));
      assert.strictEqual(got.readings.at(-1).payload.temperature, 50);
      assert.ok(got.readings[0].payload.skippedTicks > 0, 'ticks during the hung run were skipped and counted');
      assert.strictEqual(processesMentioning(HANG).length, 0);
    });

    it('a FIFO sensor: readings go on with the reason in the status, and close is prompt', async () => {
      fifo = fifoForSocTemp(pi);
      const { node, got } = await load({ interval: 0.1, source: 'sysfs' });
      await until(() => got.readings.length >= 8, 'eight readings with a FIFO sensor', 5000);
      assert.ok(got.readings.every((m) => m.payload.temperature === null));
      assert.match(node.status.lastCall.args[0].text, /^no temperature: thermal_zone1 \(cpu-thermal\): temp: not a regular file$/);
      const t0 = Date.now();
      await within(helper.unload(), 2000, 'close');
      assert.ok(Date.now() - t0 < 1500, `close took ${Date.now() - t0} ms`);
    });

    it('close while a hung vcgencmd runs: it is killed at once, nothing left running', async () => {
      hangingVcgencmd(pi, { once: false });
      await load({ interval: 5 });
      await until(() => processesMentioning(HANG).length > 0, 'the hung vcgencmd running', 5000);
      const t0 = Date.now();
      await within(helper.unload(), 2000, 'close');
      assert.ok(Date.now() - t0 < 1500, `close took ${Date.now() - t0} ms`);
      await until(() => processesMentioning(HANG).length === 0, 'the hung children gone', 1000);
    });

    it('more than 64 thermal zones: the 64 lowest-numbered are read, warned once and shown in the status', async () => {
      for (let i = 2; i < 70; i++) pi.addZone(`thermal_zone${i}`, `z${i}`, 30);
      const { node, got } = await load({ interval: 0.1, source: 'sysfs' });
      await until(() => got.readings.length >= 3, 'three readings', 5000);
      assert.strictEqual(got.readings[2].payload.temperature, 50);
      assert.deepStrictEqual(warnings().filter((w) => /thermalZones/.test(w)), [`thermalZones unavailable: 6 of the 70 thermal zones under ${path.join(pi.sysRoot, 'class', 'thermal')} are not read: at most 64 are, the lowest-numbered (set the zone to read another)`]);
      assert.strictEqual(node.status.lastCall.args[0].text, '50.0 C normal · some thermal zones not read, see log');
    });

    it('1e9 C is rejected with a warning and in the status; no state message, no pause', async () => {
      setSocRaw(pi, '1000000000000\n');
      const { node, got } = await load({ interval: 3600, source: 'sysfs' });
      await until(() => got.readings.length === 1, 'the start-up reading', 5000);
      node.receive({ payload: 'again' });
      await until(() => got.readings.length === 2, 'a second reading', 5000);
      await sleep(50);
      assert.deepStrictEqual(got.states, []);
      assert.deepStrictEqual(got.controls, []);
      assert.strictEqual(got.readings[1].payload.state, 'normal');
      assert.deepStrictEqual(warnings().filter((w) => /implausible/.test(w)).length, 1, warnings().join(' | '));
      assert.match(warnings()[0], /^temperature unavailable: thermal_zone1 \(cpu-thermal\): implausible temperature 1000000000 C/);
      assert.deepStrictEqual(node.status.lastCall.args[0].fill, 'grey');
      assert.match(node.status.lastCall.args[0].text, /^no temperature: thermal_zone1 \(cpu-thermal\): implausible/);
    });

    it('auto mode with a broken SoC zone: the vcgencmd fallback is warned about and shown in the status', async () => {
      setSocRaw(pi, '0x1A000\n');
      pi.setVc({ temp: '52.0' });
      const { node, got } = await load({ interval: 3600 });
      await until(() => got.readings.length === 1, 'the start-up reading', 5000);
      await sleep(20);
      assert.strictEqual(got.readings[0].payload.temperature, 52);
      assert.match(warnings().join(' | '), /thermalZone unavailable: thermal_zone1 \(cpu-thermal\): .*"0x1A000"; using vcgencmd measure_temp/);
      assert.match(node.status.lastCall.args[0].text, /^52\.0 C normal \(thermal zone failed, vcgencmd/);
    });
  });

  describe('yolo-edge temperature', () => {
    it('Ctrl-C, a kill or a closed terminal while a hung vcgencmd runs kills it (it leads its own process group, which they do not reach)', async () => {
      const { spawn } = require('child_process');
      hangingVcgencmd(pi, { once: false });
      for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
        const child = spawn(process.execPath, [path.join(DIST, 'cli', 'main.js'), 'temperature', '--source', 'vcgencmd', '--vcgencmd', pi.vcgencmd,
          '--sys-root', pi.sysRoot, '--proc-root', pi.procRoot], { stdio: 'ignore' });
        const ended = new Promise((resolve) => child.on('exit', (code, sig) => resolve(sig)));
        await until(() => processesMentioning(HANG).length > 0, 'the hung vcgencmd running', 5000);
        child.kill(signal);
        assert.strictEqual(await within(ended, 2000, 'the command'), signal);
        await until(() => processesMentioning(HANG).length === 0, `${signal}: the hung vcgencmd gone`, 1000);
      }
    });
  });
});
