'use strict';
const assert = require('assert');
const { lib } = require('./support/paths');
const { decodeThrottled, parseThrottled } = lib('temperature/throttled');
const { parseMeasureTemp, parseMeasureClock } = lib('temperature/vcgencmd');
const { ThermalStateMachine, DEFAULT_THRESHOLDS } = lib('temperature/state');
const { TemperatureWindow } = lib('temperature/window');
const { guardTransition, DEFAULT_GUARD } = lib('temperature/guard');
const { parseCpuTimes, CpuLoadMeter, parseMeminfo } = lib('temperature/proc');
const { parseTemperatureConfig } = lib('temperature/config');
const { chooseZone } = lib('temperature/sysfs');

const NONE = { underVoltage: false, armFrequencyCapped: false, throttled: false, softTempLimit: false };

describe('temperature engine', () => {
  describe('get_throttled decoding', () => {
    it('0x0: nothing now, nothing since boot', () => {
      const s = decodeThrottled(0x0);
      assert.deepStrictEqual(s.now, NONE);
      assert.deepStrictEqual(s.sinceBoot, NONE);
      assert.strictEqual(s.active, false);
      assert.strictEqual(s.hex, '0x0');
    });

    it('0x50000: under-voltage and throttling have occurred since boot, none now', () => {
      const s = decodeThrottled(0x50000);
      assert.deepStrictEqual(s.now, NONE);
      assert.deepStrictEqual(s.sinceBoot, { ...NONE, underVoltage: true, throttled: true });
      assert.strictEqual(s.active, false);
    });

    it('0x50005: under-voltage and throttling now and since boot', () => {
      const s = decodeThrottled(0x50005);
      assert.deepStrictEqual(s.now, { ...NONE, underVoltage: true, throttled: true });
      assert.deepStrictEqual(s.sinceBoot, { ...NONE, underVoltage: true, throttled: true });
      assert.strictEqual(s.active, true);
    });

    it('0x80008: soft temperature limit now and since boot', () => {
      const s = decodeThrottled(0x80008);
      assert.deepStrictEqual(s.now, { ...NONE, softTempLimit: true });
      assert.deepStrictEqual(s.sinceBoot, { ...NONE, softTempLimit: true });
      assert.strictEqual(s.hex, '0x80008');
    });

    it('arm frequency capped is bit 1 / 17', () => {
      assert.deepStrictEqual(decodeThrottled(0x20002).now, { ...NONE, armFrequencyCapped: true });
      assert.deepStrictEqual(decodeThrottled(0x20002).sinceBoot, { ...NONE, armFrequencyCapped: true });
    });

    it('parses vcgencmd output and rejects anything else', () => {
      assert.strictEqual(parseThrottled('throttled=0x50005\n').raw, 0x50005);
      assert.throws(() => parseThrottled('error=1 error_msg="Command not registered"'), /unexpected get_throttled output/);
      assert.throws(() => decodeThrottled(-1), RangeError);
    });
  });

  it('parses measure_temp and measure_clock', () => {
    assert.strictEqual(parseMeasureTemp("temp=54.2'C\n"), 54.2);
    assert.strictEqual(parseMeasureClock('frequency(0)=2400000000\n'), 2400000000);
    assert.throws(() => parseMeasureTemp('nope'), /unexpected measure_temp/);
    assert.throws(() => parseMeasureClock(''), /unexpected measure_clock/);
  });

  describe('state machine', () => {
    it('goes through every state up and back down, holding each state within the hysteresis', () => {
      const m = new ThermalStateMachine({ warm: 75, hot: 80, critical: 85, hysteresis: 3 });
      const steps = [
        [70, 'normal'], [74.9, 'normal'], [75, 'warm'], [79.9, 'warm'], [80, 'hot'], [84.9, 'hot'], [85, 'critical'],
        [90, 'critical'], [82.1, 'critical'], [82, 'critical'], [81.9, 'hot'], [77, 'hot'], [76.9, 'warm'],
        [80, 'hot'], [76.9, 'warm'], [72, 'warm'], [71.9, 'normal'], [74.9, 'normal'],
      ];
      const seen = [];
      for (const [t, want] of steps) {
        const change = m.update(t);
        assert.strictEqual(m.state, want, `at ${t} C`);
        if (change) seen.push(`${change.from}->${change.to}`);
      }
      assert.deepStrictEqual(seen, ['normal->warm', 'warm->hot', 'hot->critical', 'critical->hot', 'hot->warm', 'warm->hot', 'hot->warm', 'warm->normal']);
    });

    it('jumps several levels at once in either direction', () => {
      const m = new ThermalStateMachine(DEFAULT_THRESHOLDS);
      assert.deepStrictEqual(m.update(90), { from: 'normal', to: 'critical' });
      assert.deepStrictEqual(m.update(50), { from: 'critical', to: 'normal' });
      assert.deepStrictEqual(m.update(81), { from: 'normal', to: 'hot' });
    });

    it('rejects thresholds that do not rise', () => {
      assert.throws(() => new ThermalStateMachine({ warm: 80, hot: 80, critical: 85, hysteresis: 3 }), /thresholds must rise/);
      assert.throws(() => new ThermalStateMachine({ warm: 70, hot: 80, critical: 85, hysteresis: -1 }), /hysteresis/);
    });
  });

  describe('rolling window', () => {
    it('gives min/mean/max, the least-squares trend and the time left to throttle', () => {
      const w = new TemperatureWindow(600);
      for (let i = 0; i <= 10; i++) w.add(i * 10000, 60 + i); // +1 C every 10 s = 6 C/min, ends at 70 C
      const s = w.stats(100000, 80);
      assert.strictEqual(s.samples, 11);
      assert.strictEqual(s.min, 60);
      assert.strictEqual(s.max, 70);
      assert.strictEqual(s.mean, 65);
      assert.ok(Math.abs(s.trendPerMinute - 6) < 1e-9, String(s.trendPerMinute));
      assert.ok(Math.abs(s.secondsToThrottle - 100) < 1e-6, String(s.secondsToThrottle));
    });

    it('fits through noise', () => {
      const w = new TemperatureWindow(600);
      const noise = [0.3, -0.2, 0.1, -0.4, 0.2, 0, -0.1, 0.3, -0.3, 0.1];
      noise.forEach((n, i) => w.add(i * 6000, 50 + i * 0.5 + n)); // 5 C/min
      assert.ok(Math.abs(w.stats(54000, 80).trendPerMinute - 5) < 0.5, String(w.stats(54000, 80).trendPerMinute));
    });

    it('has no trend until there are 3 samples over at least a second', () => {
      const w = new TemperatureWindow(60);
      w.add(0, 50);
      w.add(400, 51);
      assert.strictEqual(w.stats(400, 80).trendPerMinute, null);
      w.add(800, 52);
      assert.strictEqual(w.stats(800, 80).trendPerMinute, null);
      w.add(1200, 53);
      assert.ok(w.stats(1200, 80).trendPerMinute > 0);
    });

    it('no estimate when cooling, 0 when already at the throttle temperature', () => {
      const cooling = new TemperatureWindow(60);
      [70, 69, 68, 67].forEach((c, i) => cooling.add(i * 5000, c));
      assert.ok(cooling.stats(15000, 80).trendPerMinute < 0);
      assert.strictEqual(cooling.stats(15000, 80).secondsToThrottle, null);
      const over = new TemperatureWindow(60);
      [79, 80, 81].forEach((c, i) => over.add(i * 5000, c));
      assert.strictEqual(over.stats(10000, 80).secondsToThrottle, 0);
    });

    it('forgets samples older than the window', () => {
      const w = new TemperatureWindow(30, 5);
      for (let i = 0; i < 10; i++) w.add(i * 10000, i);
      const s = w.stats(90000, 80);
      assert.strictEqual(s.samples, 4); // 60..90 s
      assert.strictEqual(s.min, 6);
    });

    it('covers the whole window in bounded memory: an hour at 1 s readings still holds the hour\'s peak and trend', () => {
      const w = new TemperatureWindow(3600);
      let t = 0;
      for (let i = 0; i < 3600; i++) w.add((t += 1000), 70 + i / 360); // 70 -> 80 C over an hour: 1 C per 6 min
      for (let i = 0; i < 1200; i++) w.add((t += 1000), 60); // then 20 minutes at 60 C
      const s = w.stats(t, 90);
      assert.ok(s.max > 79.9 && s.max <= 80, `max ${s.max}`);
      assert.strictEqual(s.min, 60);
      // the window keeps at most one bucket's slice (3.6 s) more than the hour
      assert.ok(s.samples >= 3600 && s.samples <= 3604, `${s.samples} samples`);
      assert.ok(w.size <= 1001, `${w.size} buckets`);
      const rising = new TemperatureWindow(3600);
      for (let i = 0; i <= 3000; i++) rising.add(i * 1000, 50 + i / 360);
      const r = rising.stats(3000000, 80);
      assert.ok(Math.abs(r.trendPerMinute - 1 / 6) < 1e-9, `trend ${r.trendPerMinute}`);
      assert.ok(Math.abs(r.secondsToThrottle - (80 - (50 + 3000 / 360)) * 360) < 1e-6, `seconds to throttle ${r.secondsToThrottle}`);
    });

    it('forgets old samples when no new ones come (a sensor outage): fewer, then none, then null', () => {
      const w = new TemperatureWindow(60);
      [70, 74, 78].forEach((c, i) => w.add(i * 10000, c));
      assert.strictEqual(w.stats(30000, 80).samples, 3);
      const s = w.stats(75000, 80); // the window is 15..75 s
      assert.deepStrictEqual([s.samples, s.min, s.max, s.trendPerMinute, s.secondsToThrottle], [1, 78, 78, null, null]);
      assert.strictEqual(w.stats(3600000, 80), null);
      w.add(3610000, 60);
      assert.strictEqual(w.stats(3610000, 80).samples, 1);
    });
  });

  describe('guard policy', () => {
    const g = DEFAULT_GUARD; // warm 2 fps, hot 1 fps, critical pause
    it('limits as the state rises and undoes it as it falls', () => {
      assert.deepStrictEqual(guardTransition('normal', 'warm', g), [{ maxFps: 2 }]);
      assert.deepStrictEqual(guardTransition('warm', 'hot', g), [{ maxFps: 1 }]);
      assert.deepStrictEqual(guardTransition('hot', 'critical', g), [{ pause: true }]);
      assert.deepStrictEqual(guardTransition('critical', 'hot', g), [{ maxFps: 1 }, { pause: false }]);
      assert.deepStrictEqual(guardTransition('hot', 'warm', g), [{ maxFps: 2 }]);
      assert.deepStrictEqual(guardTransition('warm', 'normal', g), [{ maxFps: 0 }]);
    });

    it('handles jumps over several states', () => {
      assert.deepStrictEqual(guardTransition('normal', 'critical', g), [{ pause: true }]);
      assert.deepStrictEqual(guardTransition('critical', 'normal', g), [{ maxFps: 0 }, { pause: false }]);
      assert.deepStrictEqual(guardTransition('normal', 'hot', g), [{ maxFps: 1 }]);
    });

    it('limits instead of pausing at critical when asked, and sends nothing when the limit does not change', () => {
      const p = { warmFps: 0, hotFps: 1, criticalFps: 0.5, criticalPause: false };
      assert.deepStrictEqual(guardTransition('hot', 'critical', p), [{ maxFps: 0.5 }]);
      assert.deepStrictEqual(guardTransition('critical', 'hot', p), [{ maxFps: 1 }]);
      assert.deepStrictEqual(guardTransition('normal', 'warm', p), []);
    });
  });

  describe('procfs parsers', () => {
    it('computes CPU load from /proc/stat deltas', () => {
      const meter = new CpuLoadMeter();
      assert.strictEqual(meter.update(parseCpuTimes('cpu  100 0 100 800 0 0 0 0 0 0\n')), null);
      // 300 more jiffies of which 75 idle -> 75 % busy
      assert.strictEqual(meter.update(parseCpuTimes('cpu  275 0 150 850 25 0 0 0 0 0\n')), 75);
      assert.throws(() => parseCpuTimes('intr 1 2 3'), /no aggregate cpu line/);
    });

    it('reads available memory, with a fallback for old kernels', () => {
      const m = parseMeminfo('MemTotal:  1000 kB\nMemFree: 100 kB\nMemAvailable:  250 kB\n');
      assert.deepStrictEqual(m, { totalBytes: 1024000, availableBytes: 256000, usedPercent: 75 });
      assert.strictEqual(parseMeminfo('MemTotal: 1000 kB\nMemFree: 100 kB\nBuffers: 50 kB\nCached: 350 kB\n').usedPercent, 50);
    });

    it('memory: MemAvailable above MemTotal is a broken file, and the old-kernel estimate never exceeds the total', () => {
      assert.throws(() => parseMeminfo('MemTotal: 1000 kB\nMemAvailable: 5000 kB\n'), (e) => e.code === 'SENSOR_FAILED' && /MemAvailable 5000 kB is above MemTotal 1000 kB/.test(e.message));
      assert.deepStrictEqual(parseMeminfo('MemTotal: 1000 kB\nMemFree: 900 kB\nBuffers: 200 kB\nCached: 300 kB\n'), { totalBytes: 1024000, availableBytes: 1024000, usedPercent: 0 });
    });
  });

  it('picks the SoC thermal zone unless told otherwise', () => {
    const zones = [{ zone: 'thermal_zone0', type: 'rp1_adc', celsius: 40 }, { zone: 'thermal_zone1', type: 'cpu-thermal', celsius: 55 }];
    assert.strictEqual(chooseZone(zones, '').zone, 'thermal_zone1');
    assert.strictEqual(chooseZone(zones, 'thermal_zone0').celsius, 40);
    assert.strictEqual(chooseZone(zones, 'rp1_adc').zone, 'thermal_zone0');
    assert.strictEqual(chooseZone(zones, 'thermal_zone9'), undefined);
    assert.strictEqual(chooseZone([{ zone: 'thermal_zone0', type: 'acpitz', celsius: 30 }], '').type, 'acpitz');
  });

  describe('node configuration', () => {
    it('fills in Pi 5 defaults', () => {
      const c = parseTemperatureConfig({});
      assert.strictEqual(c.intervalMs, 5000);
      assert.deepStrictEqual(c.monitor.thresholds, { warm: 75, hot: 80, critical: 85, hysteresis: 3 });
      assert.strictEqual(c.monitor.vcgencmd, 'vcgencmd');
      assert.deepStrictEqual(c.monitor.guard, DEFAULT_GUARD);
    });

    it('takes editor strings, an emptied vcgencmd and a disabled guard', () => {
      const c = parseTemperatureConfig({ interval: '0.5', warm: '60', hot: '70', critical: '75', hysteresis: '2', vcgencmd: '', guard: false, source: 'sysfs' });
      assert.strictEqual(c.intervalMs, 500);
      assert.strictEqual(c.monitor.thresholds.critical, 75);
      assert.strictEqual(c.monitor.vcgencmd, '');
      assert.strictEqual(c.monitor.guard, null);
    });

    it('rejects bad values with the field name', () => {
      assert.throws(() => parseTemperatureConfig({ interval: 'x' }), /interval must be a number/);
      assert.throws(() => parseTemperatureConfig({ warm: '90' }), /thresholds must rise/);
      assert.throws(() => parseTemperatureConfig({ source: 'gpu' }), /source must be one of/);
      assert.throws(() => parseTemperatureConfig({ hotFps: '-1' }), /hotFps/);
      // vcgencmd emptied (off) with the source vcgencmd: every reading failed 'vcgencmd is not configured'
      assert.throws(() => parseTemperatureConfig({ source: 'vcgencmd', vcgencmd: ' ' }), (e) => e.code === 'BAD_CONFIG' && /^vcgencmd must be a program name when the temperature source is vcgencmd/.test(e.message));
      assert.strictEqual(parseTemperatureConfig({ source: 'auto', vcgencmd: '' }).monitor.vcgencmd, '', 'auto reads the thermal zone alone');
    });

    it('refuses an object (JSON in a flow file) as vcgencmd or thermal zone, naming it: vcgencmd was silently the default, the zone "[object Object]"', () => {
      const refused = (c, re) => assert.throws(() => parseTemperatureConfig(c), (e) => e.code === 'BAD_CONFIG' && re.test(e.message));
      refused({ vcgencmd: { path: '/usr/bin/vcgencmd' } }, /^vcgencmd must be text, got an object$/);
      refused({ thermalZone: { zone: 0 } }, /^thermalZone must be text, got an object$/);
      refused({ sysRoot: {} }, /^sysRoot must be text, got an object$/);
      // a flow file's megabyte path was named whole in every reading's error
      const big = `/${'s'.repeat(1e6)}`;
      refused({ sysRoot: big }, new RegExp(`^sysRoot must be a path of at most 4096 characters, got "${big.slice(0, 200)}"\\.\\.\\. \\(1000001 characters\\)$`));
      refused({ procRoot: '/proc\n' + 'x' }, /^procRoot must be a path on one line, without control characters/);
      refused({ vcgencmd: big }, /^vcgencmd must be a path of at most 4096 characters/);
      // a zone of a megabyte was named whole in every reading's 'not found' error (payload.unavailable)
      const zoneRule = 'thermalZone must be a zone name or type of at most 64 characters on one line, like thermal_zone0 or cpu-thermal, got';
      refused({ thermalZone: big }, new RegExp(`^${zoneRule} "${big.slice(0, 200)}"\\.\\.\\. \\(1000001 characters\\)$`));
      refused({ thermalZone: 'cpu-thermal\nWARN forged' }, new RegExp(`^${zoneRule} "cpu-thermal\\\\nWARN forged"$`));
      assert.strictEqual(parseTemperatureConfig({ thermalZone: ' INT3400 Thermal ' }).monitor.thermalZone, 'INT3400 Thermal');
      assert.strictEqual(parseTemperatureConfig({ vcgencmd: '/opt/vc/bin/vcgencmd' }).monitor.vcgencmd, '/opt/vc/bin/vcgencmd');
      assert.strictEqual(parseTemperatureConfig({}).monitor.vcgencmd, 'vcgencmd', 'missing is the default');
    });

    it('refuses thresholds outside the sensor range -40..150 C and a hysteresis outside 0..20 C', () => {
      const refused = (c, re) => assert.throws(() => parseTemperatureConfig(c), (e) => e.code === 'BAD_CONFIG' && re.test(e.message));
      refused({ hysteresis: '500' }, /^hysteresis must be a number from 0 to 20, got "500"$/);
      refused({ hysteresis: '20.5' }, /^hysteresis must be a number from 0 to 20/);
      refused({ warm: '-100', hot: '-90', critical: '-80' }, /^warm must be a number from -40 to 150, got "-100"$/);
      refused({ critical: '300' }, /^critical must be a number from -40 to 150, got "300"$/);
      refused({ hot: 151 }, /^hot must be a number from -40 to 150, got 151$/);
      refused({ throttleAt: '200' }, /^throttleAt must be a number from -40 to 150, got "200"$/);
      const t = parseTemperatureConfig({ warm: '-40', hot: '0', critical: '150', hysteresis: '20' }).monitor.thresholds;
      assert.deepStrictEqual(t, { warm: -40, hot: 0, critical: 150, hysteresis: 20 });
      assert.strictEqual(parseTemperatureConfig({ hysteresis: '0' }).monitor.thresholds.hysteresis, 0);
    });

    it('refuses rates that rise with the state, and no limit at critical without the pause', () => {
      const refused = (c, re) => assert.throws(() => parseTemperatureConfig(c), (e) => e.code === 'BAD_CONFIG' && re.test(e.message));
      refused({ criticalPause: false, criticalFps: '0' }, /^criticalFps must be above 0 when criticalPause is off .*got 0$/);
      refused({ warmFps: '2', hotFps: '10' }, /^hotFps must be above 0 and at most warmFps \(2\).*got 10$/);
      refused({ warmFps: '2', hotFps: '0' }, /^hotFps must be above 0 and at most warmFps \(2\).*got 0$/);
      refused({ hotFps: '1', criticalFps: '3', criticalPause: false }, /^criticalFps must be above 0 and at most hotFps \(1\).*got 3$/);
      refused({ warmFps: '0', hotFps: '0', criticalFps: '0', criticalPause: false }, /criticalFps must be above 0/);
      const ok = (c) => parseTemperatureConfig(c).monitor.guard;
      assert.deepStrictEqual(ok({ warmFps: '0', hotFps: '3', criticalFps: '3', criticalPause: false }), { warmFps: 0, hotFps: 3, criticalFps: 3, criticalPause: false });
      assert.strictEqual(ok({ warmFps: '2', hotFps: '1', criticalFps: '5' }).criticalFps, 5, 'with the pause criticalFps is no limit');
      assert.strictEqual(ok({ warmFps: '0', hotFps: '0', criticalFps: '0' }).criticalPause, true);
      assert.strictEqual(ok({ guard: false, warmFps: '1', hotFps: '5' }), null, 'the guard off: the rates are not used');
    });
  });
});
