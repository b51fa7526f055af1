'use strict';
// Inputs made at test time: broken images and small ONNX models (nothing binary is committed).
const fs = require('fs');
const os = require('os');
const path = require('path');
const zlib = require('zlib');
const sharp = require('sharp');
const { onnx } = require('onnx-proto');

function tmpDir(prefix = 'yolo-edge-test-') {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

function pngChunk(type, data) {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(zlib.crc32(body) >>> 0);
  return Buffer.concat([len, body, crc]);
}

/** A valid PNG header that claims width x height, with a tiny (wrong) body: a decompression bomb's header. */
function pngClaiming(width, height) {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // RGB
  const sig = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  return Buffer.concat([sig, pngChunk('IHDR', ihdr), pngChunk('IDAT', zlib.deflateSync(Buffer.alloc(64))), pngChunk('IEND', Buffer.alloc(0))]);
}

/** A JPEG whose entropy-coded data is cut off and overwritten with junk after the headers. */
function corruptJpeg(realJpeg) {
  const out = Buffer.from(realJpeg.subarray(0, Math.min(700, realJpeg.length)));
  for (let i = 400; i < out.length; i++) out[i] = (i * 131) & 0xff;
  return out;
}

function solidImage(width, height, format = 'png') {
  return sharp({ create: { width, height, channels: 3, background: { r: 30, g: 120, b: 200 } } })[format]().toBuffer();
}

function valueInfo(name, dims, elemType = 1) {
  return { name, type: { tensorType: { elemType, shape: { dim: dims.map((d) => ({ dimValue: d })) } } } };
}

function floatTensor(name, dims, values) {
  return { name, dims, dataType: 1, rawData: Buffer.from(new Float32Array(values).buffer) };
}

/** An image classifier (input [1,3,32,32] -> [1,10]): a valid ONNX model that is not a detector. */
function writeClassifierModel(file) {
  const graph = {
    name: 'classifier',
    node: [
      { opType: 'GlobalAveragePool', input: ['images'], output: ['pooled'], name: 'gap' },
      { opType: 'Flatten', input: ['pooled'], output: ['flat'], name: 'flatten' },
      { opType: 'MatMul', input: ['flat', 'w'], output: ['logits'], name: 'fc' },
    ],
    initializer: [floatTensor('w', [3, 10], Array.from({ length: 30 }, (_, i) => i / 30))],
    input: [valueInfo('images', [1, 3, 32, 32])],
    output: [valueInfo('logits', [1, 10])],
  };
  const model = { irVersion: 8, opsetImport: [{ domain: '', version: 17 }], producerName: 'yolo-edge-tests', graph };
  fs.writeFileSync(file, onnx.ModelProto.encode(onnx.ModelProto.fromObject(model)).finish());
  return file;
}

module.exports = { tmpDir, pngClaiming, corruptJpeg, solidImage, writeClassifierModel, floatTensor, valueInfo };
