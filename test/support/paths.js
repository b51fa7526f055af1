'use strict';
// Where tests find the built package, the default model and the shared dataset beside the checkout.
const fs = require('fs');
const path = require('path');

const ROOT = path.resolve(__dirname, '..', '..');
const DIST = path.join(ROOT, 'dist');
const MODEL = path.join(ROOT, 'models', 'yolov8n.onnx');
const SHARED = path.resolve(ROOT, '..', 'shared');
const COCO128 = path.join(SHARED, 'datasets', 'coco128');
const FIXTURES = path.join(ROOT, 'test', 'fixtures', 'coco128-sample');
/** Titles of the suites and tests skipped for want of the dataset (printed once at the end, see hooks.js). */
const skippedForDataset = [];

const hasCoco128 = () => fs.existsSync(path.join(COCO128, 'images'));

/**
 * The whole coco128 dataset. Without it a test (or suite, from a before hook) that passes its mocha context
 * is skipped; with CI=true, or without a context, it fails.
 */
function requireCoco128(ctx) {
  if (hasCoco128()) return COCO128;
  const why = `the shared dataset is missing: expected ${COCO128} (../shared/datasets/coco128 beside the checkout)`;
  if (!ctx || process.env.CI === 'true') throw new Error(why);
  skippedForDataset.push(ctx.test?.parent?.fullTitle?.() || ctx.currentTest?.fullTitle?.() || ctx.test?.fullTitle?.() || 'a test');
  ctx.skip();
  return undefined;
}

function requireModel() {
  if (!fs.existsSync(MODEL)) throw new Error(`the default model is missing: ${MODEL} (run \`npm install\` or \`yolo-edge fetch-model\`)`);
  return MODEL;
}

/** A coco128 photo: from ../shared when it is there, else from the committed sample (test/fixtures). */
function cocoImage(name) {
  if (hasCoco128()) return path.join(COCO128, 'images', name);
  const fixture = path.join(FIXTURES, name);
  if (fs.existsSync(fixture)) return fixture;
  return path.join(requireCoco128(), 'images', name);
}

function lib(rel) {
  return require(path.join(DIST, 'lib', rel));
}

module.exports = { ROOT, DIST, MODEL, SHARED, COCO128, FIXTURES, requireCoco128, requireModel, cocoImage, lib, skippedForDataset };
