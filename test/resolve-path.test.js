'use strict';
const assert = require('assert');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { lib, requireModel } = require('./support/paths');

const { resolveModelPath, resolveCliModelPath } = lib('model/resolve-path');
const { MODELS_DIR } = lib('model/default-model');

describe('model path resolution', () => {
  let dir;
  before(() => {
    requireModel();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'yolo-edge-resolve-'));
    fs.writeFileSync(path.join(dir, 'yolov8n.onnx'), 'mine');
    fs.writeFileSync(path.join(dir, 'own.onnx'), 'mine');
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('CLI: a file in the working directory wins over the package model of the same name', () => {
    assert.strictEqual(resolveCliModelPath('./yolov8n.onnx', dir), path.join(dir, 'yolov8n.onnx'));
    assert.strictEqual(resolveCliModelPath('yolov8n.onnx', dir), path.join(dir, 'yolov8n.onnx'));
    assert.strictEqual(resolveCliModelPath('own.onnx', dir), path.join(dir, 'own.onnx'));
  });

  it('CLI: a bare name missing from the working directory falls back to the package models/', () => {
    const empty = path.join(dir, 'empty');
    fs.mkdirSync(empty, { recursive: true });
    assert.strictEqual(resolveCliModelPath('yolov8n.onnx', empty), path.join(MODELS_DIR, 'yolov8n.onnx'));
    assert.strictEqual(resolveCliModelPath(undefined, empty), path.join(MODELS_DIR, 'yolov8n.onnx'));
  });

  it('CLI: ./ ../ and absolute paths are used as given, even when missing', () => {
    const empty = path.join(dir, 'empty');
    fs.mkdirSync(empty, { recursive: true });
    assert.strictEqual(resolveCliModelPath('./yolov8n.onnx', empty), path.join(empty, 'yolov8n.onnx'));
    assert.strictEqual(resolveCliModelPath('../nope/yolov8n.onnx', empty), path.join(dir, 'nope', 'yolov8n.onnx'));
    assert.strictEqual(resolveCliModelPath('/nope/yolov8n.onnx', empty), '/nope/yolov8n.onnx');
    assert.strictEqual(resolveCliModelPath('missing.onnx', empty), path.join(empty, 'missing.onnx'));
  });

  it('node: the package models/ first, then the user dir; a file found nowhere is named in the user dir', () => {
    assert.strictEqual(resolveModelPath('yolov8n.onnx', [dir]), path.join(MODELS_DIR, 'yolov8n.onnx'));
    assert.strictEqual(resolveModelPath('own.onnx', [dir]), path.join(dir, 'own.onnx'));
    assert.strictEqual(resolveModelPath('', [dir]), path.join(MODELS_DIR, 'yolov8n.onnx'));
    // the error then says where the user's file should be, not a folder inside the package
    assert.strictEqual(resolveModelPath('models/candidate.onnx', [dir]), path.join(dir, 'models', 'candidate.onnx'));
    assert.strictEqual(resolveModelPath('candidate.onnx'), path.join(MODELS_DIR, 'candidate.onnx'));
  });

  it('CLI: the default model a yolo-model node fetched into <user dir>/models is found from the user dir', () => {
    // a package whose models/ is empty (the node then fetches into the user dir's models/)
    const pkg = path.join(dir, 'pkg');
    fs.cpSync(path.join(MODELS_DIR, '..', 'dist'), path.join(pkg, 'dist'), { recursive: true });
    fs.mkdirSync(path.join(pkg, 'models'));
    const fresh = require(path.join(pkg, 'dist', 'lib', 'model', 'resolve-path.js'));
    const userDir = path.join(dir, 'user');
    fs.mkdirSync(path.join(userDir, 'models'), { recursive: true });
    fs.writeFileSync(path.join(userDir, 'models', 'yolov8n.onnx'), 'fetched');
    assert.strictEqual(fresh.resolveCliModelPath('yolov8n.onnx', userDir), path.join(userDir, 'models', 'yolov8n.onnx'));
    assert.strictEqual(fresh.resolveCliModelPath('other.onnx', userDir), path.join(userDir, 'other.onnx'));
  });
});
