'use strict';
// Stands in for rpicam-vid / ffmpeg in tests: streams real JPEG frames to stdout in odd chunk sizes, with
// junk between frames, INFO lines on stderr, like the real programs. Started by wrapper scripts that the
// tests write (see camera-fakes.js): argv = [config.json, program name, ...program arguments].
const fs = require('fs');
const path = require('path');

const [configFile, program, ...args] = process.argv.slice(2);
const config = JSON.parse(fs.readFileSync(configFile, 'utf8'));
const frames = fs.readdirSync(config.framesDir).filter((n) => n.endsWith('.jpg')).sort().map((n) => fs.readFileSync(path.join(config.framesDir, n)));
const junk = Buffer.from('--myboundary\r\nContent-Type: image/jpeg\r\n\r\n\0\0 garbage between frames \r\n', 'latin1');
const sizes = [1, 2, 3, 7, 13, 64, 251, 1021, 4093, 65521];

fs.appendFileSync(config.log, JSON.stringify({ program, args, pid: process.pid, ppid: process.ppid }) + '\n');
process.stderr.write(`[0:00:00.1] [${process.pid}] INFO Camera camera_manager.cpp:330 libcamera v0.3.0 (fake ${program})\n`);
if (config.failWith) {
  process.stderr.write(`ERROR: ${config.failWith}\n`);
  process.exit(config.exitCode ?? 1);
}
process.stdout.on('error', () => process.exit(0)); // EPIPE: the reader went away

function write(buf) {
  return new Promise((resolve) => (process.stdout.write(buf) ? resolve() : process.stdout.once('drain', resolve)));
}

async function main() {
  if (config.junkOnly) {
    for (;;) {
      await write(junk);
      await new Promise((r) => setTimeout(r, 10));
    }
  }
  const count = config.count ?? 0; // 0: until killed
  const delay = config.fps ? 1000 / config.fps : 0;
  let k = 0;
  for (let i = 0; count === 0 || i < count; i++) {
    const frame = frames[i % frames.length];
    const bytes = config.junk ? Buffer.concat([junk, frame]) : frame;
    if (config.oddChunks) {
      for (let o = 0; o < bytes.length; k++) {
        const n = sizes[(k * 7 + 3) % sizes.length];
        await write(bytes.subarray(o, o + n));
        o += n;
      }
    } else {
      await write(bytes);
    }
    if (delay) await new Promise((r) => setTimeout(r, delay));
  }
  if (config.holdOpen) setInterval(() => {}, 1 << 30);
  if (config.exitCode !== undefined) {
    process.stderr.write(`ERROR: fake ${program} gives up\n`);
    process.exit(config.exitCode);
  }
}

main();
