#!/usr/bin/env node
'use strict';
// Center-crops a YOLO dataset (DIR/images, DIR/labels) to an aspect ratio, e.g. 16:9 frames from coco128 photos:
//   node scripts/crop-dataset.js SRC DST [16:9]
// Boxes are clipped to the crop; a box keeps its label when at least 40% of its area and 2 px each way remain.
const fs = require('fs');
const path = require('path');
const sharp = require('sharp');

const MIN_KEPT_AREA = 0.4;

/** The centered crop of a width x height image with the given aspect (width / height). */
function cropRect(width, height, aspect) {
  if (width / height > aspect) {
    const w = Math.round(height * aspect);
    return { left: Math.floor((width - w) / 2), top: 0, width: w, height };
  }
  const h = Math.round(width / aspect);
  return { left: 0, top: Math.floor((height - h) / 2), width, height: h };
}

function cropLabels(text, width, height, r) {
  const out = [];
  for (const line of text.split(/\r?\n/)) {
    const f = line.trim().split(/\s+/).map(Number);
    if (f.length < 5 || f.some((x) => !Number.isFinite(x))) continue;
    const [c, cx, cy, w, h] = f;
    const x1 = (cx - w / 2) * width - r.left, x2 = (cx + w / 2) * width - r.left;
    const y1 = (cy - h / 2) * height - r.top, y2 = (cy + h / 2) * height - r.top;
    const a = Math.max(0, x1), b = Math.min(r.width, x2), d = Math.max(0, y1), e = Math.min(r.height, y2);
    if (b - a < 2 || e - d < 2 || ((b - a) * (e - d)) / ((x2 - x1) * (y2 - y1)) < MIN_KEPT_AREA) continue;
    out.push(`${c} ${((a + b) / 2 / r.width).toFixed(6)} ${((d + e) / 2 / r.height).toFixed(6)} ${((b - a) / r.width).toFixed(6)} ${((e - d) / r.height).toFixed(6)}`);
  }
  return out.join('\n') + (out.length ? '\n' : '');
}

/** Writes DST/images and DST/labels; returns the number of images. */
async function cropDataset(src, dst, aspect = 16 / 9, options = {}) {
  const imagesDir = path.join(src, 'images');
  const names = fs.readdirSync(imagesDir).filter((n) => /\.(jpe?g|png|webp)$/i.test(n)).sort().slice(0, options.limit ?? Infinity);
  fs.mkdirSync(path.join(dst, 'images'), { recursive: true });
  fs.mkdirSync(path.join(dst, 'labels'), { recursive: true });
  for (const name of names) {
    const oriented = await sharp(path.join(imagesDir, name)).rotate().toBuffer({ resolveWithObject: true });
    const r = cropRect(oriented.info.width, oriented.info.height, aspect);
    const stem = name.replace(/\.[^.]+$/, '');
    await sharp(oriented.data).extract(r).jpeg({ quality: 95 }).toFile(path.join(dst, 'images', `${stem}.jpg`));
    const label = path.join(src, 'labels', `${stem}.txt`);
    if (fs.existsSync(label)) fs.writeFileSync(path.join(dst, 'labels', `${stem}.txt`), cropLabels(fs.readFileSync(label, 'utf8'), oriented.info.width, oriented.info.height, r));
  }
  for (const extra of ['classes.txt']) if (fs.existsSync(path.join(src, extra))) fs.copyFileSync(path.join(src, extra), path.join(dst, extra));
  return names.length;
}

function parseAspect(s) {
  const m = /^(\d+(?:\.\d+)?)[:/x](\d+(?:\.\d+)?)$/.exec(s);
  if (!m) throw new Error(`aspect must be like 16:9, got '${s}'`);
  return Number(m[1]) / Number(m[2]);
}

if (require.main === module) {
  const [src, dst, aspect = '16:9'] = process.argv.slice(2);
  if (!src || !dst) {
    process.stderr.write('usage: node scripts/crop-dataset.js SRC DST [16:9]\n');
    process.exit(2);
  }
  cropDataset(src, dst, parseAspect(aspect)).then((n) => process.stdout.write(`${dst}: ${n} images cropped to ${aspect}\n`), (err) => {
    process.stderr.write(`${err.message}\n`);
    process.exit(1);
  });
}

module.exports = { cropDataset, cropRect, cropLabels };
