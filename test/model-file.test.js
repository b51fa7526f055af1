'use strict';
// How model files are read: junk is refused from its protobuf tags before it is read whole.
const assert = require('assert');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { requireModel, lib } = require('./support/paths');
const { loadModelInfo } = lib('model/model-info');
const { readModelSkeleton } = lib('model/model-skeleton');
const { quantizeModel, writeFloatModel } = lib('tools/quantize/quantize');
const { resizeModelFile } = lib('tools/graph-edit/resize-input');
const { optimizedOpCounts } = lib('tools/bench/fusion');
const { Detector } = lib('detector');

function varint(v) {
  const out = [];
  while (v >= 0x80) {
    out.push((v % 128) | 0x80);
    v = Math.floor(v / 128);
  }
  out.push(v);
  return Buffer.from(out);
}

/** A sparse file of `size` bytes starting with `head`: gigabytes that take neither disk nor time to write. */
function sparseFile(file, head, size) {
  fs.writeFileSync(file, head);
  fs.truncateSync(file, size);
  return file;
}

/** Counts the bytes model reads take through file handles, and fails any read of a whole file. */
async function watchReads() {
  const fh = await fs.promises.open(__filename);
  const proto = Object.getPrototypeOf(fh);
  await fh.close();
  const { read, readFile } = proto;
  const seen = { bytes: 0 };
  proto.read = async function (...args) {
    const r = await read.apply(this, args);
    seen.bytes += r.bytesRead;
    return r;
  };
  proto.readFile = () => Promise.reject(new Error('the whole file was read'));
  seen.restore = () => Object.assign(proto, { read, readFile });
  return seen;
}

describe('model files that are not ONNX', function () {
  this.timeout(60000);
  let dir;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'yolo-edge-junk-'));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  const GB = 2 ** 30;
  // ir_version 7, then a doc_string that runs to the end of the file: protobuf, but no graph
  const noGraph = (size) => {
    const head = Buffer.concat([Buffer.from([0x08, 7, 0x32]), varint(size - 8)]);
    assert.strictEqual(head.length, 8);
    return head;
  };

  it('refuses gigabytes of junk with NOT_ONNX from a few of its bytes, in every read of a model (they were read whole first)', async () => {
    const size = Math.round(1.9 * GB);
    const junk = sparseFile(path.join(dir, 'junk.onnx'), Buffer.concat([Buffer.from([0x08, 7, 0x1a]), varint(GB), Buffer.from('garbage')]), size);
    const noGraphFile = sparseFile(path.join(dir, 'no-graph.onnx'), noGraph(size), size);
    const out = path.join(dir, 'out.onnx');
    const reads = {
      loadModelInfo: (f) => loadModelInfo(f),
      'Detector.create': (f) => Detector.create(f, { threads: 1 }),
      readModelSkeleton: (f) => readModelSkeleton(f),
      quantizeModel: (f) => quantizeModel({ model: f, calib: dir, out }),
      writeFloatModel: (f) => writeFloatModel(f, out, { uint8Input: false }),
      resizeModelFile: (f) => resizeModelFile(f, out, 320, 320),
      optimizedOpCounts: (f) => optimizedOpCounts(f),
    };
    for (const [file, why] of [[junk, `(protobuf field number 0 at byte ${GB + 3 + varint(GB).length})`], [noGraphFile, '(no graph found)']]) {
      for (const [name, read] of Object.entries(reads)) {
        const seen = await watchReads();
        try {
          await assert.rejects(read(file), (e) => e.code === 'NOT_ONNX' && e.message === `${file} is not an ONNX model ${why}`, name);
        } finally {
          seen.restore();
        }
        assert.ok(seen.bytes <= 256 << 10, `${name} read ${seen.bytes} bytes of ${file}`);
      }
    }
    assert.deepStrictEqual(fs.readdirSync(dir).sort(), ['junk.onnx', 'no-graph.onnx']);
  });

  it('says NOT_ONNX for junk over 2 GiB too (it said the file was too large to read)', async () => {
    const junk = sparseFile(path.join(dir, 'big.onnx'), Buffer.from([0x08, 7, 0x0b]), 3 * GB);
    await assert.rejects(loadModelInfo(junk), { code: 'NOT_ONNX', message: `${junk} is not an ONNX model (invalid protobuf wire type 3 at byte 2)` });
  });

  it('names what is wrong in the top level: group and invalid wire types, field 0, a length past the end, no graph', async () => {
    const cases = [
      [[0x0c], '(invalid protobuf wire type 4 at byte 0)'],
      [[0x08, 7, 0x0e], '(invalid protobuf wire type 6 at byte 2)'],
      [[0x08, 7, 0x3f], '(invalid protobuf wire type 7 at byte 2)'],
      [[0x08, 7, 0x00, 0x00], '(protobuf field number 0 at byte 2)'],
      [[0x3a, 10, 1, 2], ', or one cut short: its data runs past the end of the file (4 bytes; an interrupted copy or download?); copy it again'],
      [[0x08, 0x80], ', or one cut short: its data runs past the end of the file (2 bytes; an interrupted copy or download?); copy it again'],
      [[0x08, 7, 0x12, 2, 0x61, 0x62], '(no graph found)'],
      [[], '(the file is empty)'],
    ];
    for (const [bytes, why] of cases) {
      const file = path.join(dir, 'small.onnx');
      fs.writeFileSync(file, Buffer.from(bytes));
      await assert.rejects(loadModelInfo(file), { code: 'NOT_ONNX', message: `${file} is not an ONNX model${why.startsWith(',') ? '' : ' '}${why}` }, why);
    }
  });

  it('refuses a top level of millions of tiny fields without walking them all (a model has a handful)', async () => {
    const flood = path.join(dir, 'flood.onnx');
    fs.writeFileSync(flood, Buffer.alloc(10 * 2 ** 20, Buffer.from([0x08, 0x01]))); // 5 million ir_version fields
    const seen = await watchReads();
    try {
      await assert.rejects(loadModelInfo(flood), (e) => e.code === 'NOT_ONNX' && /is not an ONNX model \(too many top-level protobuf fields: over \d+; a model has a handful\)$/.test(e.message));
    } finally {
      seen.restore();
    }
    assert.ok(seen.bytes <= 1 << 20, `read ${seen.bytes} bytes`);
  });

  it('reads a real model as before', async () => {
    const { info, bytes } = await loadModelInfo(requireModel());
    assert.strictEqual(bytes.length, fs.statSync(requireModel()).size);
    assert.deepStrictEqual([info.layout, info.numClasses, info.inputWidth], ['yolov8', 80, 640]);
    const skeleton = await readModelSkeleton(requireModel());
    assert.ok(skeleton.graph.node.length > 100);
  });
});
