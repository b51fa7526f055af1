'use strict';
// A throwaway sysfs/procfs tree and a fake `vcgencmd` script in a temp dir, so temperature tests need no Pi.
const fs = require('fs');
const os = require('os');
const path = require('path');

const STAT_IDLE = 'cpu  100 0 100 800 0 0 0 0 0 0\ncpu0 50 0 50 400 0 0 0 0 0 0\n';
const MEMINFO = 'MemTotal:        8000000 kB\nMemFree:         1000000 kB\nMemAvailable:    6000000 kB\nBuffers:           10000 kB\n';

class FakePi {
  constructor() {
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), 'yolo-edge-thermal-'));
    this.sysRoot = path.join(this.dir, 'sys');
    this.procRoot = path.join(this.dir, 'proc');
    this.vcDir = path.join(this.dir, 'vc');
    this.vcgencmd = path.join(this.dir, 'bin', 'vcgencmd');
    for (const d of [this.procRoot, this.vcDir, path.dirname(this.vcgencmd)]) fs.mkdirSync(d, { recursive: true });
    this.addZone('thermal_zone0', 'rp1_adc', 41.5);
    this.addZone('thermal_zone1', 'cpu-thermal', 50);
    this.write(path.join(this.sysRoot, 'devices/system/cpu/cpu0/cpufreq/scaling_cur_freq'), '2400000');
    this.write(path.join(this.procRoot, 'stat'), STAT_IDLE);
    this.write(path.join(this.procRoot, 'meminfo'), MEMINFO);
    this.setVc({ temp: '50.0', throttled: '0x0', clock: '2400000000' });
    // Reads its answers from files the test changes, and logs every call so a test can tell it stopped being run.
    this.write(this.vcgencmd, [
      '#!/bin/sh',
      `D='${this.vcDir}'`,
      'echo "begin $*" >> "$D/calls.log"',
      '[ -f "$D/delay" ] && sleep "$(cat "$D/delay")"',
      'echo "end $*" >> "$D/calls.log"',
      'case "$1" in',
      `  measure_temp) echo "temp=$(cat "$D/temp")'C" ;;`,
      '  get_throttled) echo "throttled=$(cat "$D/throttled")" ;;',
      '  measure_clock) echo "frequency(0)=$(cat "$D/clock")" ;;',
      '  *) echo "error=1 error_msg=\\"Command not registered\\"" >&2; exit 1 ;;',
      'esac',
      '',
    ].join('\n'));
    fs.chmodSync(this.vcgencmd, 0o755);
  }

  write(file, text) {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, text);
  }

  addZone(zone, type, celsius) {
    this.write(path.join(this.sysRoot, 'class/thermal', zone, 'type'), `${type}\n`);
    this.setZone(zone, celsius);
  }

  /** Sets a zone's temperature the way the kernel shows it: integer millidegrees. */
  setZone(zone, celsius) {
    this.write(path.join(this.sysRoot, 'class/thermal', zone, 'temp'), `${Math.round(celsius * 1000)}\n`);
  }

  setSocTemp(celsius) {
    this.setZone('thermal_zone1', celsius);
  }

  setVc(values) {
    for (const [k, v] of Object.entries(values)) this.write(path.join(this.vcDir, k), String(v));
  }

  /** Every call as 'begin <args>' / 'end <args>' lines, in order. */
  vcLog() {
    const log = path.join(this.vcDir, 'calls.log');
    return fs.existsSync(log) ? fs.readFileSync(log, 'utf8').split('\n').filter(Boolean) : [];
  }

  /** The arguments of every call that started. */
  vcCalls() {
    return this.vcLog().filter((l) => l.startsWith('begin ')).map((l) => l.slice(6));
  }

  setProcStat(text) {
    this.write(path.join(this.procRoot, 'stat'), text);
  }

  remove(rel) {
    fs.rmSync(path.join(this.dir, rel), { recursive: true, force: true });
  }

  cleanup() {
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

/**
 * Loads a yolo-temperature node reading this fake Pi, wired to three capture nodes, and collects what each output
 * sends.
 */
async function loadTemperatureNode(helper, temperatureNode, pi, config) {
  const flow = [
    { id: 't', type: 'yolo-temperature', wires: [['readings'], ['states'], ['controls']], sysRoot: pi.sysRoot, procRoot: pi.procRoot, vcgencmd: pi.vcgencmd, ...config },
    { id: 'readings', type: 'helper' },
    { id: 'states', type: 'helper' },
    { id: 'controls', type: 'helper' },
  ];
  await helper.load(temperatureNode, flow);
  const got = { readings: [], states: [], controls: [] };
  for (const k of Object.keys(got)) helper.getNode(k).on('input', (msg) => got[k].push(msg));
  return { node: helper.getNode('t'), got };
}

module.exports = { FakePi, loadTemperatureNode };
