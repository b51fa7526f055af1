'use strict';
// Where tests find the built package, the default model and the shared dataset beside the checkout.
const fs = require('fs');
const path = require('path');

const ROOT = path.resolve(__dirname, '..', '..');
const DIST = path.join(ROOT, 'dist');
const MODEL = path.join(ROOT, 'models', 'yolov8n.onnx');
const SHARED = path.resolve(ROOT, '..', 'shared');
const COCO128 = path.join(SHARED, 'datasets', 'coco128');

function requireCoco128() {
  if (!fs.existsSync(path.join(COCO128, 'images'))) {
    throw new Error(`the shared dataset is missing: expected ${COCO128} (../shared/datasets/coco128 beside the checkout)`);
  }
  return COCO128;
}

function requireModel() {
  if (!fs.existsSync(MODEL)) throw new Error(`the default model is missing: ${MODEL} (run \`npm install\` or \`yolo-edge fetch-model\`)`);
  return MODEL;
}

function cocoImage(name) {
  return path.join(requireCoco128(), 'images', name);
}

function lib(rel) {
  return require(path.join(DIST, 'lib', rel));
}

module.exports = { ROOT, DIST, MODEL, SHARED, COCO128, requireCoco128, requireModel, cocoImage, lib };
