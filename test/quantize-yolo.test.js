'use strict';
// Quantizes the real default model on a few calibration images (kept to about a minute) and checks
// that the INT8 model still finds what FP32 finds, through the same Detector code path.
const assert = require('assert');
const fs = require('fs');
const os = require('os');
const path = require('path');
const ort = require('onnxruntime-node');
const { onnx } = require('onnx-proto');
const { lib, requireModel, requireCoco128, cocoImage, FIXTURES } = require('./support/paths');
const { quantizeModel, writeFloatModel } = lib('tools/quantize/quantize');
const { Detector } = lib('detector');
const { iou } = lib('image/box');
const { compareModels } = lib('shadow/compare-models');
const { tinyConvModel } = require('./support/tiny-model');
const { weightOnlyUint8 } = require('./support/model-variants');
const { loadModelInfo } = lib('model/model-info');
const { cpus } = require('./cpu-targets.test');

const IMAGES = ['000000000009.jpg', '000000000025.jpg'];

async function detectAll(modelPath, images) {
  const d = await Detector.create(modelPath, { threads: 2 });
  try {
    const out = [];
    for (const img of images) out.push((await d.detect(fs.readFileSync(cocoImage(img)), { confidence: 0.25 })).detections);
    return { out, info: d.info };
  } finally {
    await d.close();
  }
}

/** Every FP32 detection over 0.5 has an INT8 detection of the same class with IoU >= 0.5. */
function assertSameObjects(fp32, int8) {
  for (let k = 0; k < fp32.length; k++) {
    const strong = fp32[k].filter((d) => d.score >= 0.5);
    assert.ok(strong.length > 0, `FP32 finds something on ${IMAGES[k]}`);
    for (const d of strong) {
      const hit = int8[k].find((q) => q.classId === d.classId && iou(q.box, d.box) >= 0.5);
      assert.ok(hit, `${IMAGES[k]}: INT8 misses ${d.class} ${d.score.toFixed(2)}`);
    }
  }
}

describe('quantize the default YOLOv8n model', function () {
  this.timeout(300000);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'yolo-edge-quant-'));
  const out = path.join(tmp, 'yolov8n-int8.onnx');
  let report;
  let fp32;

  before(async function () {
    requireModel();
    requireCoco128(this);
    report = await quantizeModel({ model: requireModel(), calib: requireCoco128(), out, samples: 4, split: 'even', calibrator: 'minmax', uint8Input: true });
    fp32 = await detectAll(requireModel(), IMAGES);
  });

  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('writes a QDQ model under 30% of the FP32 size, with the head post-processing in float', () => {
    assert.strictEqual(report.calibrationImages, 4);
    assert.strictEqual(report.quantizedConvs, 63, 'every Conv but the DFL; with bytes in, the stem too');
    assert.deepStrictEqual(report.floatNodes.filter((f) => f.reason === 'stem'), []);
    assert.ok(report.outputBytes <= 0.3 * report.inputBytes, `${report.outputBytes} vs ${report.inputBytes}`);
    const post = report.floatNodes.filter((f) => f.reason === 'postprocess').map((f) => f.opType);
    for (const op of ['Softmax', 'Sigmoid', 'Sub', 'Div']) assert.ok(post.includes(op), `${op} stays float`);
    const m = onnx.ModelProto.decode(fs.readFileSync(out));
    const md = Object.fromEntries(m.metadataProps.map((p) => [p.key, p.value]));
    assert.match(md.names, /person/, 'the model metadata is kept');
    const q = JSON.parse(md.quantization);
    assert.strictEqual(q.calibrator, 'minmax');
    assert.strictEqual(q.samples, 4);
    assert.deepStrictEqual([q.target, q.weightBits, q.imageWeightBits], ['portable', 8, 7], 'the default target is accurate on every CPU');
    assert.ok(q.floatNodes.length > 0);
    assert.deepStrictEqual(fs.readdirSync(tmp), ['yolov8n-int8.onnx'], 'no temporary file is left');
    const stem = m.graph.initializer.find((t) => t.name === 'model.0.conv.weight_quantized');
    assert.deepStrictEqual(stem.dims.map(Number), [16, 4, 3, 3], 'the stem reads the image padded to 4 channels');
  });

  it('writes the same bytes when run again with the same settings (no date in the metadata)', async () => {
    const again = path.join(tmp, 'again.onnx');
    await quantizeModel({ model: requireModel(), calib: requireCoco128(), out: again, samples: 4, split: 'even', calibrator: 'minmax', uint8Input: true });
    assert.ok(fs.readFileSync(again).equals(fs.readFileSync(out)), 'a second run gave other bytes');
    fs.rmSync(again);
  });

  it('fuses into QLinearConv in the graph onnxruntime optimises', async () => {
    const dump = path.join(tmp, 'optimized.onnx');
    const s = await ort.InferenceSession.create(out, { graphOptimizationLevel: 'all', optimizedModelFilePath: dump, intraOpNumThreads: 1, logSeverityLevel: 3 });
    await s.release();
    const ops = onnx.ModelProto.decode(fs.readFileSync(dump)).graph.node.map((n) => n.opType);
    fs.rmSync(dump);
    assert.strictEqual(ops.filter((o) => o === 'QLinearConv').length, 63);
    assert.strictEqual(ops.filter((o) => o === 'Conv').length, 0, 'no float Conv (the DFL Conv became a MatMul)');
    assert.deepStrictEqual([ops.includes('Resize'), ops.filter((o) => o === 'Expand').length], [false, 2], 'the neck upsamples bytes with Expand');
  });

  it('detects the objects FP32 detects, fed with bytes through the same Detector', async () => {
    const int8 = await detectAll(out, IMAGES);
    assert.strictEqual(int8.info.precision, 'int8');
    assert.strictEqual(int8.info.inputType, 'uint8');
    assertSameObjects(fp32.out, int8.out);
  });

  it('agrees with FP32 in a shadow comparison on images it was not calibrated on (figures recorded)', async function () {
    const odd = fs.readdirSync(path.join(requireCoco128(this), 'images')).sort().filter((_, i) => i % 2 === 1).slice(0, 16);
    const prod = await Detector.create(requireModel(), { threads: 2 });
    const cand = await Detector.create(out, { threads: 2 });
    try {
      const c = await compareModels(prod, cand, odd.map((n) => path.join(requireCoco128(this), 'images', n)), { confidence: 0.25 });
      console.log(`      FP32 vs INT8 (4 calibration images), 16 held-out images: mean F1 ${c.meanF1.toFixed(3)}, P ${c.meanPrecision.toFixed(3)}, R ${c.meanRecall.toFixed(3)}, boxes ${c.productionBoxes}/${c.candidateBoxes}/${c.matched} matched, mean |score delta| ${c.meanAbsScoreDelta.toFixed(3)}`);
      assert.ok(c.meanF1 >= 0.75, `mean F1 ${c.meanF1}`);
      assert.ok(c.matched >= 0.75 * c.productionBoxes);
    } finally {
      await prod.close();
      await cand.close();
    }
  });

  it('runs the DFL Softmax over the last axis with the same raw output as the original FP32 model', async () => {
    const rewritten = path.join(tmp, 'yolov8n-fp32.onnx');
    const r = await writeFloatModel(requireModel(), rewritten, { uint8Input: false });
    assert.strictEqual(r.dflRewritten, 1);
    const x = new ort.Tensor('float32', Float32Array.from({ length: 3 * 640 * 640 }, (_, i) => ((i * 13) % 256) / 255), [1, 3, 640, 640]);
    const outputs = [];
    for (const m of [requireModel(), rewritten]) {
      const s = await ort.InferenceSession.create(m, { intraOpNumThreads: 1, logSeverityLevel: 3 });
      outputs.push((await s.run({ images: x })).output0.data);
      await s.release();
    }
    const g = onnx.ModelProto.decode(fs.readFileSync(rewritten)).graph;
    fs.rmSync(rewritten);
    const softmax = g.node.find((n) => n.opType === 'Softmax');
    assert.strictEqual(Number(softmax.attribute.find((a) => a.name === 'axis').i), -1);
    assert.ok(g.node.some((n) => n.opType === 'MatMul' && n.input[0] === softmax.output[0]));
    let worst = 0;
    for (let i = 0; i < outputs[0].length; i++) worst = Math.max(worst, Math.abs(outputs[0][i] - outputs[1][i]));
    assert.ok(worst < 1e-4, `max difference ${worst}`);
  });

  it('writes an FP32 model with uint8 input that gives the FP32 detections', async () => {
    const u8 = path.join(tmp, 'yolov8n-u8.onnx');
    await writeFloatModel(requireModel(), u8, { uint8Input: true });
    const r = await detectAll(u8, IMAGES);
    fs.rmSync(u8);
    assert.strictEqual(r.info.inputType, 'uint8');
    for (let k = 0; k < IMAGES.length; k++) {
      assert.strictEqual(r.out[k].length, fp32.out[k].length);
      r.out[k].forEach((d, i) => assert.ok(Math.abs(d.score - fp32.out[k][i].score) < 1e-4));
    }
  });
});

describe('quantize for a CPU target', function () {
  this.timeout(300000);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'yolo-edge-qtarget-'));
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('x86-avx2: 7-bit weights where the image is read, and on this CPU INT8 finds what FP32 finds', async function () {
    const out = path.join(tmp, 'avx2.onnx');
    const r = await quantizeModel({ model: requireModel(), calib: requireCoco128(this), out, samples: 4, split: 'even', uint8Input: true, target: 'x86-avx2' });
    assert.deepStrictEqual([r.settings.target, r.settings.weightBits, r.settings.imageWeightBits], ['x86-avx2', 8, 7]);
    const warnings = [];
    const d = await Detector.create(out, { threads: 2, warn: (m) => warnings.push(m), cpu: cpus.zen3 });
    assert.deepStrictEqual(d.info.int8Weights, { all: 127, image: 64 });
    await d.close();
    assert.deepStrictEqual(warnings, [], 'no saturation warning on an AVX2 CPU');
    const [fp32, int8] = [await detectAll(requireModel(), IMAGES), await detectAll(out, IMAGES)];
    assertSameObjects(fp32.out, int8.out);
  });

  it('arm64: full 8-bit weights, which with bytes in warn once when loaded on x86 without VNNI and not elsewhere', async function () {
    const out = path.join(tmp, 'arm64.onnx');
    const r = await quantizeModel({ model: requireModel(), calib: requireCoco128(this), out, samples: 2, split: 'even', target: 'arm64', uint8Input: true });
    assert.deepStrictEqual([r.settings.target, r.settings.weightBits, r.settings.imageWeightBits], ['arm64', 8, 8]);
    for (const [cpu, expected] of [[cpus.zen3, 1], [cpus.zen4, 0], [cpus.pi5, 0]]) {
      const warnings = [];
      const d = await Detector.create(out, { threads: 1, warn: (m) => warnings.push(m), cpu });
      assert.deepStrictEqual(d.info.int8Weights, { all: 127, image: 127 });
      assert.strictEqual(warnings.length, expected, warnings.join('\n'));
      assert.deepStrictEqual(d.saturation === undefined ? [] : [d.saturation], warnings);
      await d.close();
    }
  });

  it('--reduce-range gives 7-bit weights whatever the target, and activations keep 8 bits', async function () {
    const out = path.join(tmp, 'rr.onnx');
    const r = await quantizeModel({ model: requireModel(), calib: requireCoco128(this), out, samples: 2, split: 'even', target: 'x86-vnni', reduceRange: true });
    assert.deepStrictEqual([r.settings.weightBits, r.settings.imageWeightBits], [7, 7]);
    const m = onnx.ModelProto.decode(fs.readFileSync(out));
    const zps = m.graph.initializer.filter((t) => t.dataType === 2 && t.name.endsWith('_zero_point')).map((t) => t.rawData[0]);
    assert.ok(zps.some((z) => z > 127), 'some activation zero point uses the upper half of uint8');
  });
});

describe('quantize a model with a dynamic input size', function () {
  this.timeout(300000);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'yolo-edge-qdyn-'));
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('keeps its Resizes, whose rewrite would fix the feature-map sizes, and still detects', async function () {
    const m = onnx.ModelProto.decode(fs.readFileSync(requireModel()));
    const dims = m.graph.input[0].type.tensorType.shape.dim;
    dims[2] = onnx.TensorShapeProto.Dimension.create({ dimParam: 'height' });
    dims[3] = onnx.TensorShapeProto.Dimension.create({ dimParam: 'width' });
    const dynamic = path.join(tmp, 'dynamic.onnx');
    const out = path.join(tmp, 'dynamic-int8.onnx');
    fs.writeFileSync(dynamic, onnx.ModelProto.encode(m).finish());
    await quantizeModel({ model: dynamic, calib: requireCoco128(this), out, samples: 2, split: 'even', uint8Input: true });
    const ops = onnx.ModelProto.decode(fs.readFileSync(out)).graph.node.map((n) => n.opType);
    assert.deepStrictEqual([ops.filter((o) => o === 'Resize').length, ops.filter((o) => o === 'Expand').length], [2, 0]);
    const r = await detectAll(out, IMAGES);
    assert.ok(r.out.every((dets) => dets.length > 0));
  });
});

describe('quantize errors', function () {
  this.timeout(60000);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'yolo-edge-qerr-'));
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('refuses a calibration folder without images and writes nothing', async () => {
    const empty = path.join(tmp, 'empty');
    fs.mkdirSync(empty);
    const out = path.join(tmp, 'a.onnx');
    await assert.rejects(quantizeModel({ model: requireModel(), calib: empty, out }), (e) => e.code === 'NO_IMAGES' && /no JPEG, PNG or WebP images/.test(e.message));
    assert.ok(!fs.existsSync(out));
  });

  it("caps --threads at the core count with the detector's warning (calibration ran more threads than cores, unwarned)", async () => {
    const cores = require('os').availableParallelism();
    const warnings = [];
    await quantizeModel({ model: requireModel(), calib: FIXTURES, out: path.join(tmp, 'threads.onnx'), samples: 1, threads: cores + 1, warn: (m) => warnings.push(m) });
    assert.deepStrictEqual(warnings, [`threads ${cores + 1} is more than the ${cores} cores of this machine: using ${cores} (more threads than cores make every inference slower)`]);
  });

  it('refuses a model that is not a YOLO detector', async function () {
    const file = path.join(tmp, 'tiny.onnx');
    fs.writeFileSync(file, onnx.ModelProto.encode(tinyConvModel({ cin: 3, cout: 2, size: 4, weights: [1, 2, 3, 4, 5, 6], bias: [0, 0] })).finish());
    await assert.rejects(quantizeModel({ model: file, calib: requireCoco128(this), out: path.join(tmp, 'b.onnx') }), (e) => e.code === 'NOT_DETECTOR');
  });

  it('refuses to write over its input model (quantize and --fp32)', async function () {
    const mine = path.join(tmp, 'mine.onnx');
    fs.copyFileSync(requireModel(), mine);
    const before = fs.readFileSync(mine);
    const isInput = (e) => e.code === 'OUTPUT_UNWRITABLE' && /is the input model/.test(e.message);
    await assert.rejects(quantizeModel({ model: mine, calib: requireCoco128(this), out: mine }), isInput);
    await assert.rejects(writeFloatModel(mine, path.join(tmp, '.', 'mine.onnx'), { uint8Input: true }), isInput);
    assert.ok(fs.readFileSync(mine).equals(before));
  });

  it('a write that fails says why, as OUTPUT_UNWRITABLE, when its clean-up fails too (it threw the clean-up\'s bare ENOTDIR)', async () => {
    const { writeAtomic } = lib('tools/quantize/write');
    // the output folder replaced by a file while the model was being made
    const file = path.join(tmp, 'was-a-folder');
    fs.writeFileSync(file, '');
    await assert.rejects(writeAtomic(path.join(file, 'q.onnx'), new Uint8Array(8)),
      (e) => e.code === 'OUTPUT_UNWRITABLE' && e.message.startsWith(`cannot write ${path.join(file, 'q.onnx')}: ENOTDIR`) && /open '/.test(e.message));
  });

  it('refuses an unwritable output before calibrating', async function () {
    const out = path.join(tmp, 'missing-dir', 'c.onnx');
    await assert.rejects(quantizeModel({ model: requireModel(), calib: requireCoco128(this), out }), (e) => e.code === 'OUTPUT_UNWRITABLE' && /missing-dir/.test(e.message));
  });
});

describe('quantize and resize-input on unusual model files', function () {
  this.timeout(300000);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'yolo-edge-qodd-'));
  const { resizeModelFile } = lib('tools/graph-edit/resize-input');
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  /** The default model edited by `edit(model)`, written to `name` in tmp. */
  function edited(name, edit) {
    const m = onnx.ModelProto.decode(fs.readFileSync(requireModel()));
    edit(m);
    const file = path.join(tmp, name);
    fs.writeFileSync(file, onnx.ModelProto.encode(m).finish());
    return file;
  }

  it('quantizes a model whose Convs share a weight and bias (tied weights): each gets its own copy, the file loads', async function () {
    const file = edited('tied.onnx', (m) => {
      const inits = new Map(m.graph.initializer.map((t) => [t.name, t]));
      const seen = new Map();
      for (const c of m.graph.node.filter((n) => n.opType === 'Conv')) {
        const shape = inits.get(c.input[1]).dims.map(Number).join('x');
        const first = seen.get(shape);
        if (first && !c.name.includes('model.22')) {
          c.input[1] = first.input[1];
          c.input[2] = first.input[2];
          return;
        }
        seen.set(shape, c);
      }
    });
    const out = path.join(tmp, 'tied-int8.onnx');
    await quantizeModel({ model: file, calib: requireCoco128(this), out, samples: 2, split: 'even' });
    const session = await ort.InferenceSession.create(out); // two nodes with one name made it unloadable
    await session.release();
  });

  it('names unnamed nodes before planning: the report, the metadata and the budget tell every node apart', async function () {
    // with every name '' the budget measured the whole model float for each layer, and keeping one float kept all
    const file = edited('unnamed.onnx', (m) => {
      for (const n of m.graph.node) n.name = '';
    });
    const out = path.join(tmp, 'unnamed-int8.onnx');
    const r = await quantizeModel({ model: file, calib: FIXTURES, out, samples: 3, accuracyBudget: 100, holdout: 1 });
    const distinct = (names) => names.length > 0 && names.every((x) => x) && new Set(names).size === names.length;
    assert.ok(distinct(r.floatNodes.map((f) => f.name)), JSON.stringify(r.floatNodes.slice(0, 4)));
    assert.ok(distinct(r.budget.ranking.map((l) => l.conv)), JSON.stringify(r.budget.ranking.slice(0, 4)));
    const written = onnx.ModelProto.decode(fs.readFileSync(out));
    assert.ok(distinct(written.graph.node.map((n) => n.name)));
    assert.ok(distinct(JSON.parse(written.metadataProps.find((p) => p.key === 'quantization').value).floatNodes));
  });

  it('reads a model with uint8 weights only (no QuantizeLinear) as int8, which quantize and --fp32 refuse as quantized', async () => {
    // read as fp32 before: quantize failed with "'fetches' cannot be an empty array", --fp32 wrote it as float32
    const file = weightOnlyUint8(requireModel(), path.join(tmp, 'weight-only.onnx'));
    assert.strictEqual((await loadModelInfo(file)).info.precision, 'int8');
    const out = path.join(tmp, 'weight-only-int8.onnx');
    await assert.rejects(quantizeModel({ model: file, calib: FIXTURES, out, samples: 2 }), (e) => e.code === 'ALREADY_QUANTIZED');
    await assert.rejects(writeFloatModel(file, out, { uint8Input: false }), (e) => e.code === 'ALREADY_QUANTIZED');
    assert.ok(!fs.existsSync(out));
  });

  it('quantizes and writes --fp32 of a model that lists its initializers as inputs too: the image stays the one input', async () => {
    // the DFL rewrite and the pruning dropped initializers but kept them as inputs: quantize failed with "input
    // 'model.22.dfl.conv.weight' is missing in 'feeds'", --fp32 wrote a model of 2 inputs the detector refuses
    const file = edited('initializers-as-inputs.onnx', (m) => {
      for (const t of m.graph.initializer) m.graph.input.push(onnx.ValueInfoProto.create({ name: t.name, type: { tensorType: { elemType: t.dataType, shape: { dim: t.dims.map((d) => ({ dimValue: d })) } } } }));
    });
    const fp32 = path.join(tmp, 'initializers-as-inputs-fp32.onnx');
    const int8 = path.join(tmp, 'initializers-as-inputs-int8.onnx');
    await writeFloatModel(file, fp32, { uint8Input: false });
    await quantizeModel({ model: file, calib: FIXTURES, out: int8, samples: 2 });
    for (const out of [fp32, int8]) {
      const { info } = await loadModelInfo(out); // refuses a second input
      const session = await ort.InferenceSession.create(out, { logSeverityLevel: 3 });
      try {
        const r = await session.run({ [info.inputName]: new ort.Tensor('float32', new Float32Array(3 * 640 * 640), [1, 3, 640, 640]) });
        assert.deepStrictEqual(r[info.outputName].dims, [1, 84, 8400]);
      } finally {
        await session.release();
      }
    }
  });

  it('quantizes a model whose weights are Constant nodes, not initializers: every Conv, and --fp32 rewrites its DFL too', async () => {
    // no Conv was quantized, and quantize failed with "'fetches' cannot be an empty array"
    const file = edited('constant-nodes.onnx', (m) => {
      const nodes = m.graph.initializer.map((t) => onnx.NodeProto.create({ opType: 'Constant', name: `const_${t.name}`, output: [t.name], attribute: [onnx.AttributeProto.create({ name: 'value', type: onnx.AttributeProto.AttributeType.TENSOR, t: { ...t, name: '' } })] }));
      m.graph.initializer = [];
      m.graph.node.unshift(...nodes);
    });
    const r = await quantizeModel({ model: file, calib: FIXTURES, out: path.join(tmp, 'constant-nodes-int8.onnx'), samples: 2 });
    assert.strictEqual(r.quantizedConvs, 62);
    const f = await writeFloatModel(file, path.join(tmp, 'constant-nodes-fp32.onnx'), { uint8Input: false });
    assert.strictEqual(f.dflRewritten, 1);
  });

  it('quantizes the neck and head after an attention block over flattened maps (rank 3), keeping only the head float', async () => {
    // the block left rank 4 as the head does, and everything after it was taken for the head: 26 of 62 Convs quantized
    const file = edited('attention.onnx', (m) => {
      const g = m.graph;
      const at = g.node.findIndex((n) => n.name === '/model.9/cv2/act/Mul');
      const x = g.node[at].output[0];
      for (const n of g.node) n.input = n.input.map((i) => (i === x ? 'att_out' : i));
      const i64 = (name, v) => onnx.TensorProto.create({ name, dataType: 7, dims: [v.length], rawData: new Uint8Array(BigInt64Array.from(v.map(BigInt)).buffer) });
      g.initializer.push(i64('att_flat', [1, 256, 400]), i64('att_back', [1, 256, 20, 20]));
      const node = (opType, input, output, attribute = []) => onnx.NodeProto.create({ opType, name: output, input, output: [output], attribute });
      g.node.splice(at + 1, 0,
        node('Reshape', [x, 'att_flat'], 'att_a'),
        node('Transpose', ['att_a'], 'att_t', [{ name: 'perm', type: onnx.AttributeProto.AttributeType.INTS, ints: [0, 2, 1] }]),
        node('MatMul', ['att_t', 'att_a'], 'att_s'),
        node('Softmax', ['att_s'], 'att_p', [{ name: 'axis', type: onnx.AttributeProto.AttributeType.INT, i: -1 }]),
        node('MatMul', ['att_a', 'att_p'], 'att_o'),
        node('Reshape', ['att_o', 'att_back'], 'att_b'),
        node('Add', [x, 'att_b'], 'att_out'));
    });
    const r = await quantizeModel({ model: file, calib: FIXTURES, out: path.join(tmp, 'attention-int8.onnx'), samples: 2 });
    assert.strictEqual(r.quantizedConvs, 62);
    const head = r.floatNodes.filter((f) => f.reason === 'postprocess').map((f) => f.name);
    assert.ok(head.length > 0 && head.every((n) => n.startsWith('/model.22/')), head.join());
  });

  it('refuses a model with external data before any work, for quantize and resize-input, and writes nothing', async () => {
    const dir = path.join(tmp, 'ext');
    fs.mkdirSync(dir);
    const file = edited('ext/y.onnx', (m) => {
      const chunks = [];
      let offset = 0;
      for (const t of m.graph.initializer) {
        if (!t.rawData || t.rawData.length <= 1024) continue;
        const b = Buffer.from(t.rawData);
        t.externalData = [{ key: 'location', value: 'y.data' }, { key: 'offset', value: String(offset) }, { key: 'length', value: String(b.length) }];
        t.dataLocation = 1;
        t.rawData = new Uint8Array(0);
        chunks.push(b);
        offset += b.length;
      }
      fs.writeFileSync(path.join(dir, 'y.data'), Buffer.concat(chunks));
    });
    const refused = (e) => e.code === 'UNSUPPORTED_MODEL' && /separate data file/.test(e.message);
    await assert.rejects(quantizeModel({ model: file, calib: path.join(tmp, 'nowhere'), out: path.join(dir, 'q.onnx'), samples: 2 }), refused);
    await assert.rejects(resizeModelFile(file, path.join(dir, 'r.onnx'), 384, 640), refused);
    assert.deepStrictEqual(fs.readdirSync(dir).sort(), ['y.data', 'y.onnx']);
  });

  it('refuses an opset below 13 before calibrating', async () => {
    const file = edited('opset12.onnx', (m) => { m.opsetImport.find((o) => !o.domain).version = 12; });
    const progress = [];
    await assert.rejects(quantizeModel({ model: file, calib: path.join(tmp, 'nowhere'), out: path.join(tmp, 'o12.onnx'), samples: 2, progress: (m) => progress.push(m) }), (e) => e.code === 'OPSET');
    assert.deepStrictEqual(progress, [], 'nothing calibrated');
  });
});
