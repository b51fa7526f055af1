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

/** A copy of a JPEG whose frame header (SOF0 or SOF2) claims width x height: a decompression bomb's header. */
function jpegClaiming(realJpeg, width, height) {
  const out = Buffer.from(realJpeg);
  for (let i = 2; i + 8 < out.length; i++) {
    if (out[i] === 0xff && (out[i + 1] === 0xc0 || out[i + 1] === 0xc2)) {
      out.writeUInt16BE(height, i + 5);
      out.writeUInt16BE(width, i + 7);
      return out;
    }
  }
  throw new Error('no SOF0 or SOF2 frame header');
}

/** The same JPEG with its APP1 (Exif) segment moved after its frame header, as some writers place it. */
function exifAfterFrameHeader(jpeg) {
  const parts = [jpeg.subarray(0, 2)];
  let app1;
  for (let pos = 2; ;) {
    const marker = jpeg[pos + 1];
    if (marker === 0xda) {
      parts.push(jpeg.subarray(pos));
      break;
    }
    const seg = jpeg.subarray(pos, pos + 2 + jpeg.readUInt16BE(pos + 2));
    if (marker === 0xe1) app1 = seg;
    else parts.push(seg);
    if (marker === 0xc0 || marker === 0xc2) parts.push('exif');
    pos += seg.length;
  }
  if (!app1) throw new Error('no APP1 segment');
  return Buffer.concat(parts.map((p) => (p === 'exif' ? app1 : p)));
}

/** A JPEG whose entropy-coded data is cut off and overwritten with junk after the headers. */
function corruptJpeg(realJpeg) {
  const out = Buffer.from(realJpeg.subarray(0, Math.min(700, realJpeg.length)));
  for (let i = 400; i < out.length; i++) out[i] = (i * 131) & 0xff;
  return out;
}

/**
 * A grey progressive JPEG of width x height followed by `scans` more AC scans of a few bytes each: one EOB run
 * code covers up to 32767 blocks, yet the decoder walks every block at each scan.
 */
async function jpegWithScans(width, height, scans) {
  const base = await sharp({ create: { width, height, channels: 3, background: '#777' } }).greyscale().jpeg({ progressive: true }).toBuffer();
  const counts = Buffer.alloc(16);
  counts[0] = 1; // one code of 1 bit: symbol 0xE0, an EOB run of 2^14 plus 14 bits
  const dht = Buffer.concat([Buffer.from([0xff, 0xc4, 0, 20, 0x13]), counts, Buffer.from([0xe0])]);
  const bits = [];
  for (let left = Math.ceil(width / 8) * Math.ceil(height / 8); left > 0;) {
    const run = Math.min(left, 16384 + 0x1555);
    bits.push(0);
    for (let i = 13; i >= 0; i--) bits.push(((run - 16384) >> i) & 1);
    left -= run;
  }
  while (bits.length % 8) bits.push(1);
  const data = [];
  for (let i = 0; i < bits.length; i += 8) {
    const b = bits.slice(i, i + 8).reduce((acc, bit) => (acc << 1) | bit, 0);
    data.push(b);
    if (b === 0xff) data.push(0); // byte stuffing
  }
  // SOS: component 1, DC table 0 / AC table 3, spectral band 1..63, no successive approximation
  const scan = Buffer.concat([Buffer.from([0xff, 0xda, 0, 8, 1, 1, 0x03, 1, 63, 0]), Buffer.from(data)]);
  const eoi = base.length - 2;
  return Buffer.concat([base.subarray(0, eoi), dht, ...Array(scans).fill(scan), base.subarray(eoi)]);
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

module.exports = { tmpDir, pngClaiming, jpegClaiming, exifAfterFrameHeader, corruptJpeg, jpegWithScans, solidImage, writeClassifierModel, floatTensor, valueInfo };
