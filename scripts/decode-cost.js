#!/usr/bin/env node
'use strict';
// What a camera frame's size costs before the session: JPEG decode, resize and letterbox into the input tensor
// (the image worker's Preprocessor, run here in process), for 16:9 frames cut from coco128 and scaled to the
// camera node's sizes, into a 640x640 and a 384x640 uint8 tensor. Sizes alternate frame by frame; medians.
// Usage: node scripts/decode-cost.js IMAGES [rounds]
const fs = require('fs');
const path = require('path');
const sharp = require('sharp');
const { Preprocessor } = require('../dist/lib/image/preprocess');
const { median } = require('../dist/lib/stats');
const { cropRect } = require('./crop-dataset');

const SIZES = [[640, 360], [1280, 720], [1920, 1080]];
const TENSORS = [[640, 640], [640, 384]];
const [images, rounds = '5'] = process.argv.slice(2);
if (!images) {
  console.error('usage: decode-cost.js IMAGES [rounds]');
  process.exit(2);
}

/** The photo's centered 16:9 crop (as the 16:9 accuracy runs cut it), scaled to width x height, JPEG quality 80. */
async function cameraFrame(file, width, height) {
  const { data, info } = await sharp(file).rotate().toBuffer({ resolveWithObject: true });
  const crop = cropRect(info.width, info.height, 16 / 9);
  return sharp(data).extract(crop).resize(width, height, { fit: 'fill' }).jpeg({ quality: 80 }).toBuffer();
}

async function main() {
  const files = fs.readdirSync(images).filter((f) => /\.jpe?g$/i.test(f)).sort().slice(0, 16).map((f) => path.join(images, f));
  const frames = await Promise.all(SIZES.map(([w, h]) => Promise.all(files.map((f) => cameraFrame(f, w, h)))));
  for (const [tw, th] of TENSORS) {
    const pre = new Preprocessor(new ArrayBuffer(3 * tw * th), 'uint8', tw, th);
    const times = SIZES.map(() => []);
    for (let r = 0; r < Number(rounds) + 1; r++) {
      for (let i = 0; i < files.length; i++) {
        for (let s = 0; s < SIZES.length; s++) {
          const t = await pre.run(frames[s][i]);
          if (r > 0) times[s].push(t.decodeMs + t.preprocessMs); // round 0 warms up
        }
      }
    }
    const kb = (s) => Math.round(median(frames[s].map((b) => b.length)) / 1024);
    const cells = SIZES.map(([w, h], s) => `${w}x${h} (${kb(s)} KB): ${median(times[s]).toFixed(2)} ms`);
    console.log(`${th}x${tw} tensor: ${cells.join(', ')}`);
  }
}

main().catch((err) => {
  console.error(err.message);
  process.exit(1);
});
