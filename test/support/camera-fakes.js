'use strict';
// Writes fake capture programs (rpicam-vid, libcamera-vid, ffmpeg) into a temp dir for the camera tests.
// Each is a shell script that starts the Node.js producer as its child (not exec), so a capture "process"
// is really a process group of two: stopping only the leader would leave the producer running.
const fs = require('fs');
const os = require('os');
const path = require('path');

const PRODUCER = path.join(__dirname, 'fake-capture.js');

function makeFakeDir(prefix = 'yolo-camera-') {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  fs.mkdirSync(path.join(dir, 'bin'));
  fs.mkdirSync(path.join(dir, 'frames'));
  return dir;
}

/** Writes frames (Buffers) as the producer's frame files. */
function writeFrames(dir, frames) {
  const framesDir = path.join(dir, 'frames');
  for (const n of fs.readdirSync(framesDir)) fs.unlinkSync(path.join(framesDir, n));
  frames.forEach((f, i) => fs.writeFileSync(path.join(framesDir, `${String(i).padStart(5, '0')}.jpg`), f));
  return framesDir;
}

/** A fake program `name` in dir/bin driven by the JSON config (count, fps, junk, oddChunks, junkOnly, holdOpen, failWith, exitCode). */
function writeFake(dir, name, config) {
  const configFile = path.join(dir, `${name}.json`);
  fs.writeFileSync(configFile, JSON.stringify({ framesDir: path.join(dir, 'frames'), log: path.join(dir, 'calls.log'), ...config }));
  const script = path.join(dir, 'bin', name);
  const q = (s) => `'${s.replace(/'/g, `'\\''`)}'`;
  fs.writeFileSync(script, `#!/bin/sh\n${q(process.execPath)} ${q(PRODUCER)} ${q(configFile)} ${q(name)} "$@" &\nwait $!\n`);
  fs.chmodSync(script, 0o755);
  return script;
}

/**
 * A fake `name` in plain sh (no Node.js start-up cost): it logs its call, then writes frame.jpg, naps 20 ms
 * and repeats, so at any moment it has children (cat, nap). nap is a link to sleep inside dir, so /proc shows it.
 */
function writeShellFake(dir, name, frame) {
  const frameFile = path.join(dir, `${name}-frame.jpg`);
  fs.writeFileSync(frameFile, frame);
  const nap = path.join(dir, 'bin', 'nap');
  if (!fs.existsSync(nap)) fs.symlinkSync(fs.realpathSync('/bin/sleep'), nap);
  const q = (s) => `'${s.replace(/'/g, `'\\''`)}'`;
  const script = path.join(dir, 'bin', name);
  const log = path.join(dir, 'calls.log');
  fs.writeFileSync(script, `#!/bin/sh\necho '{"program":"${name}","shell":true}' >> ${q(log)}\nwhile :; do cat ${q(frameFile)}; ${q(nap)} 0.02; done\n`);
  fs.chmodSync(script, 0o755);
  return script;
}

function calls(dir) {
  const file = path.join(dir, 'calls.log');
  if (!fs.existsSync(file)) return [];
  return fs.readFileSync(file, 'utf8').trim().split('\n').filter((l) => l).map((l) => JSON.parse(l));
}

// Processes started from this test process carry this in their environment, also once orphaned: a process of
// someone else's that names the same folder (a grep over /tmp) is not a capture process left behind.
const OWNER = `YOLO_EDGE_TEST_OWNER=${process.pid}`;
process.env.YOLO_EDGE_TEST_OWNER = String(process.pid);

/** Live processes (not zombies) started from this test process whose command line mentions marker, read from /proc. */
function processesMentioning(marker) {
  const out = [];
  for (const pid of fs.readdirSync('/proc').filter((n) => /^\d+$/.test(n))) {
    try {
      const cmd = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
      if (!cmd.includes(marker) || Number(pid) === process.pid) continue;
      if (fs.readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').includes(OWNER)) out.push({ pid: Number(pid), cmd });
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/** Zombie children of this process (exited but never reaped). */
function zombieChildren() {
  const out = [];
  for (const pid of fs.readdirSync('/proc').filter((n) => /^\d+$/.test(n))) {
    try {
      const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (fields[0] === 'Z' && Number(fields[1]) === process.pid) out.push(Number(pid));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/** PATH with dir/bin first, so the fakes shadow any real program. */
function pathWith(dir) {
  return `${path.join(dir, 'bin')}${path.delimiter}${process.env.PATH}`;
}

/** Collects what camera node n-cam sends to helper node n-out, and its status, warn and error calls. */
function watchCamera(helper) {
  const got = { msgs: [], statuses: [], warnings: [], errors: [] };
  helper.getNode('n-out').on('input', (msg) => got.msgs.push(msg));
  const cam = helper.getNode('n-cam');
  cam.on('call:status', (c) => got.statuses.push(c.args[0]));
  cam.on('call:warn', (c) => got.warnings.push(String(c.args[0])));
  cam.on('call:error', (c) => got.errors.push(String(c.args[0])));
  return got;
}

module.exports = { watchCamera, makeFakeDir, writeFrames, writeFake, writeShellFake, calls, processesMentioning, zombieChildren, pathWith };
