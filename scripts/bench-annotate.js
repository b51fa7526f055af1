#!/usr/bin/env node
'use strict';
// Times annotateImage (the msg.annotated JPEG) on real frames: 16 images of a folder, six boxes each, 5 rounds.
// Usage: node scripts/bench-annotate.js [images-folder]   (after npm run build)
const fs = require('fs');
const path = require('path');
const sharp = require('sharp');
const { annotateImage } = require('../dist/lib/image/annotate');

async function main() {
  const dir = process.argv[2] || path.join(__dirname, '..', '..', 'shared', 'datasets', 'coco128', 'images');
  const files = fs.readdirSync(dir).filter((f) => /\.(jpe?g|png)$/i.test(f)).sort().slice(0, 16);
  const frames = [];
  for (const f of files) {
    const { data, info } = await sharp(path.join(dir, f)).removeAlpha().raw().toBuffer({ resolveWithObject: true });
    frames.push({ data, width: info.width, height: info.height, channels: 3 });
  }
  const names = ['person', 'zebra', 'traffic light', 'car'];
  const boxes = (w, h) => Array.from({ length: 6 }, (_, i) => ({
    class: names[i % 4], classId: i * 7, score: 0.3 + i * 0.1,
    box: { x1: 20 + i * 60, y1: 30 + i * 40, x2: Math.min(w - 1, 200 + i * 60), y2: Math.min(h - 1, 220 + i * 30) },
  }));
  const times = [];
  for (let r = 0; r < 5; r++) {
    for (const f of frames) {
      const t0 = performance.now();
      await annotateImage(f, f.width, f.height, boxes(f.width, f.height));
      times.push(performance.now() - t0);
    }
  }
  times.sort((a, b) => a - b);
  const at = (q) => times[Math.min(times.length - 1, Math.floor(times.length * q))].toFixed(1);
  console.log(`annotateImage, ${frames.length} frames x 5, 6 boxes: median ${at(0.5)} ms, p90 ${at(0.9)} ms`);
}

main().catch((err) => {
  console.error(err.message);
  process.exit(1);
});
