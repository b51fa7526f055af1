#!/usr/bin/env node
'use strict';
// Two builds' Detector side by side in one process, frame by frame in alternating order: median of each step of
// msg.detection.timings. For a change to the engine, against a build of the commit before it:
//   mkdir -p /tmp/before && git archive HEAD~1 | tar -x -C /tmp/before && ln -s "$PWD/node_modules" /tmp/before/ && (cd /tmp/before && npm run build)
//   node scripts/node24.js scripts/compare-builds.js /tmp/before/dist dist MODEL IMAGES [threads] [frames]
const fs = require('fs');
const path = require('path');
const [before, after, model, images, threads = '2', frames = '60'] = process.argv.slice(2);
if (!before || !after || !model || !images) {
  console.error('usage: compare-builds.js BEFORE_DIST AFTER_DIST MODEL IMAGES [threads] [frames]');
  process.exit(2);
}
const files = fs.readdirSync(images).filter((f) => /\.jpe?g$/i.test(f)).sort().slice(0, 16);
const jpegs = files.map((f) => fs.readFileSync(path.join(images, f)));
const WARM = 4;

async function main() {
  const builds = { before, after };
  const detectors = {};
  for (const [k, dist] of Object.entries(builds)) {
    const { Detector } = require(path.resolve(dist, 'lib', 'detector.js'));
    detectors[k] = await Detector.create(path.resolve(model), { threads: Number(threads) });
  }
  const { median } = require(path.resolve(after, 'lib', 'stats.js'));
  const timings = { before: [], after: [] };
  for (let i = 0; i < Number(frames) + WARM; i++) {
    for (const k of i % 2 ? ['before', 'after'] : ['after', 'before']) {
      const r = await detectors[k].detect(jpegs[i % jpegs.length]);
      if (i >= WARM) timings[k].push(r.timings);
    }
  }
  console.log(`${path.basename(model)}, ${threads} thread(s), ${frames} frames each, median ms:`);
  for (const [k, t] of Object.entries(timings)) {
    console.log(`  ${k.padEnd(6)} ${Object.keys(t[0]).map((step) => `${step} ${median(t.map((x) => x[step])).toFixed(2)}`).join(', ')}`);
  }
  await Promise.all(Object.values(detectors).map((d) => d.close()));
}

main().catch((err) => {
  console.error(err.message);
  process.exit(1);
});
