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

describe('errors about a model name its tensors in bounded text', function () {
  this.timeout(120000);
  const { onnx } = require('onnx-proto');
  const { execFile } = require('child_process');
  const { DIST, FIXTURES } = require('./support/paths');
  const long = 'n'.repeat(1 << 20);
  const cut = `'${'n'.repeat(79)}…'`;
  let dir;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'yolo-edge-names-'));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  /** The default model, changed: a tensor renamed is renamed where nodes read or write it too. */
  function variant(file, change) {
    const m = onnx.ModelProto.decode(fs.readFileSync(requireModel()));
    change(m.graph);
    fs.writeFileSync(path.join(dir, file), onnx.ModelProto.encode(m).finish());
    return path.join(dir, file);
  }
  const rename = (g, from, to) => {
    for (const v of [...g.input, ...g.output]) if (v.name === from) v.name = to;
    for (const n of g.node) {
      n.input = n.input.map((x) => (x === from ? to : x));
      n.output = n.output.map((x) => (x === from ? to : x));
    }
  };
  const dims = (v, d) => { v.type.tensorType.shape.dim = d.map((x) => ({ dimValue: x })); };

  it('cuts a megabyte tensor name and a shape of thousands of dims in the load errors (they were shown whole)', async () => {
    const cases = [
      ['in-f64.onnx', (g) => { rename(g, 'images', long); g.input[0].type.tensorType.elemType = 11; }, 'UNSUPPORTED_TYPE', (f) => `${f}: input ${cut} is float64 (ONNX type 11); supported input types are float32, float16 and uint8 (export with half=False, or half=True for float16)`],
      ['out-i64.onnx', (g) => { rename(g, 'output0', long); g.output[0].type.tensorType.elemType = 7; }, 'UNSUPPORTED_TYPE', (f) => `${f}: output ${cut} is int64 (ONNX type 7); supported output types are float32 and float16`],
      ['in-zero.onnx', (g) => { rename(g, 'images', long); dims(g.input[0], [1, 3, 0, 0]); }, 'BAD_SIZE', (f) => `${f}: input ${cut} is declared 0x0: each side must be from 1 to 4096, or symbolic (a dynamic export)`],
      ['in-huge.onnx', (g) => { rename(g, 'images', long); dims(g.input[0], [1, 3, 65536, 65536]); }, 'BAD_SIZE', (f) => `${f}: input ${cut} is 65536x65536, over 4096 on a side; export it at a smaller imgsz, or make it smaller with yolo-edge resize-input`],
      ['in-batch.onnx', (g) => { rename(g, 'images', long); dims(g.input[0], [8, 3, 640, 640]); }, 'NOT_DETECTOR', (f) => `${f}: input ${cut} has batch size 8 (shape [8,3,640,640]); a detector here takes one image at a time: export it with batch=1`],
      ['in-rank.onnx', (g) => { dims(g.input[0], Array(5000).fill(1)); }, 'NOT_DETECTOR', (f) => `${f}: input 'images' has shape [${'1,'.repeat(39)}1…] (5000 dims), expected [1, 3, H, W]`],
      ['out-rank.onnx', (g) => { dims(g.output[0], Array(5000).fill(7)); }, 'NOT_DETECTOR', (f) => `${f}: output shape [${'7,'.repeat(39)}7…] (5000 dims) is not a YOLO detection output ([1, 4+nc, N], [1, N, 5+nc] or [1, K, 6])`],
    ];
    for (const [file, change, code, message] of cases) {
      const f = variant(file, change);
      await assert.rejects(loadModelInfo(f), (e) => e.code === code && e.message === message(f), file);
    }
  });

  it('cuts them in quantize and resize-input errors and in the CLI output', async () => {
    const external = variant('external.onnx', (g) => { g.initializer[0].name = long; g.initializer[0].dataLocation = 1; });
    await assert.rejects(resizeModelFile(external, path.join(dir, 'o.onnx'), 320, 320), (e) => e.code === 'UNSUPPORTED_MODEL' && e.message.startsWith(`${external} keeps its weights in a separate data file (external data, e.g. ${cut});`) && e.message.length < 400);
    // a constant of the anchor count that is neither anchor points nor strides, its name a megabyte
    const odd = variant('odd.onnx', (g) => {
      const strides = g.initializer.find((t) => t.dims.map(Number).join() === '1,8400');
      strides.rawData = new Uint8Array(new Float32Array(new Uint8Array(strides.rawData).buffer).map((x, i) => x + (i % 3)).buffer);
      rename(g, strides.name, long);
      strides.name = long;
    });
    await assert.rejects(resizeModelFile(odd, path.join(dir, 'o.onnx'), 384, 640), (e) => e.code === 'UNSUPPORTED_MODEL' && e.message === `${odd}: constant ${cut} of shape [1,8400] holds the 8400 anchors but is neither anchor points nor strides; cannot resize it`);
    const node = variant('node.onnx', (g) => { g.node.find((n) => n.opType === 'Conv').name = long; });
    await assert.rejects(quantizeModel({ model: node, calib: FIXTURES, out: path.join(dir, 'q.onnx'), exclude: ['nomatch'] }), (e) => e.code === 'BAD_CONFIG' && e.message.endsWith(`(names look like ${cut})`) && e.message.length < 400);
    const f = variant('cli.onnx', (g) => { rename(g, 'images', long); g.input[0].type.tensorType.elemType = 11; });
    const stderr = await new Promise((resolve) => execFile(process.execPath, [path.join(DIST, 'cli', 'main.js'), 'detect', '--model', f, path.join(FIXTURES, fs.readdirSync(FIXTURES)[0])], { maxBuffer: 8 << 20 }, (_, __, err) => resolve(err)));
    assert.ok(stderr.includes(`input ${cut} is float64`) && stderr.length < 1000, `${stderr.length} characters: ${stderr.slice(0, 300)}`);
    assert.ok(!fs.existsSync(path.join(dir, 'o.onnx')) && !fs.existsSync(path.join(dir, 'q.onnx')));
  });
  it("cuts onnxruntime's own messages, which quote a node's name whole, keeping their start and their reason", async () => {
    const f = variant('no-such-op.onnx', (g) => { const n = g.node[g.node.length - 1]; n.name = long; n.opType = 'NoSuchOp'; });
    await assert.rejects(Detector.create(f, { threads: 1 }), (e) => e.code === 'MODEL_LOAD_FAILED' && e.message.length < 1200 && /characters left out/.test(e.message) && /No Op registered for NoSuchOp/.test(e.message), 'detector');
    const stderr = await new Promise((resolve) => execFile(process.execPath, [path.join(DIST, 'cli', 'main.js'), 'detect', '--threads', '1', '--model', f, path.join(FIXTURES, fs.readdirSync(FIXTURES)[0])], { maxBuffer: 8 << 20 }, (_, __, err) => resolve(err)));
    assert.ok(stderr.length < 2500 && /No Op registered for NoSuchOp/.test(stderr), `${stderr.length} characters: ${stderr.slice(0, 300)}`);
  });
});
