'use strict';
const assert = require('assert');
const fs = require('fs');
const ort = require('onnxruntime-node');
const { onnx } = require('onnx-proto');
const { lib } = require('./support/paths');
const { tinyConvModel, forward } = require('./support/tiny-model');
const { GraphIndex } = lib('tools/quantize/graph');
const { planQuantization } = lib('tools/quantize/plan');
const { rewriteQdq } = lib('tools/quantize/qdq');

const SETTINGS = { activationType: 'uint8', activationSymmetric: false, perChannel: true, weightBits: 8, imageWeightBits: 8, uint8Input: false };

function quantizeTiny(spec, ranges, settings = SETTINGS) {
  const model = tinyConvModel(spec);
  // A one-Conv model is all stem: quantize it anyway to test the Q/DQ arithmetic.
  const plan = planQuantization(new GraphIndex(model.graph), { exclude: [], quantizeStem: true, keepFloat: new Set() });
  rewriteQdq(model, plan, new Map(Object.entries(ranges)), settings);
  return onnx.ModelProto.decode(onnx.ModelProto.encode(model).finish());
}

function init(model, name) {
  const t = model.graph.initializer.find((i) => i.name === name);
  assert.ok(t, `initializer ${name}`);
  const raw = new Uint8Array(t.rawData);
  const view = { 1: Float32Array, 2: Uint8Array, 3: Int8Array, 6: Int32Array }[t.dataType];
  return { dims: t.dims.map(Number), type: t.dataType, values: Array.from(new view(raw.buffer, raw.byteOffset, raw.byteLength / view.BYTES_PER_ELEMENT)) };
}

async function run(model, x, shape, type = 'float32') {
  const s = await ort.InferenceSession.create(onnx.ModelProto.encode(model).finish(), { graphOptimizationLevel: 'all', intraOpNumThreads: 1 });
  try {
    const out = await s.run({ x: new ort.Tensor(type, x, shape) });
    return out.z.data;
  } finally {
    await s.release();
  }
}

describe('QDQ rewrite of a tiny Conv model', () => {
  // channel 0 has absmax 127 -> weight scale 1, so 2.5 and -3.5 are exact halves
  const spec = { cin: 4, cout: 2, size: 3, weights: [127, 2.5, -3.5, 0.5, 0.5, -1.27, 0.2, 0], bias: [0.25, -0.1] };

  it('puts Q/DQ on activations, DQ on int8 per-channel weights and int32 bias, with hand-computed values', () => {
    const m = quantizeTiny(spec, { y: { min: -1, max: 2 } });
    const ops = m.graph.node.map((n) => n.opType);
    assert.strictEqual(ops.filter((o) => o === 'QuantizeLinear').length, 2, 'x and y are quantized');
    assert.strictEqual(ops.filter((o) => o === 'DequantizeLinear').length, 4, 'x, y, weight, bias');
    const conv = m.graph.node.find((n) => n.opType === 'Conv');
    assert.deepStrictEqual(conv.input, ['x_DequantizeLinear_Output', 'w_DequantizeLinear_Output', 'b_DequantizeLinear_Output']);
    const sig = m.graph.node.find((n) => n.opType === 'Sigmoid');
    assert.deepStrictEqual(sig.input, ['y_DequantizeLinear_Output']);
    assert.deepStrictEqual(sig.output, ['z'], 'the graph output stays float');
    // input: [0, 1] -> uint8 scale 1/255, zero point 0
    assert.deepStrictEqual(init(m, 'x_scale').values, [Math.fround(1 / 255)]);
    assert.deepStrictEqual(init(m, 'x_zero_point'), { dims: [], type: 2, values: [0] });
    // y: [-1, 2] -> scale 3/255, zero point round(1 / (3/255)) = 85
    assert.deepStrictEqual(init(m, 'y_scale').values, [Math.fround(3 / 255)]);
    assert.deepStrictEqual(init(m, 'y_zero_point').values, [85]);
    // weights: symmetric int8 per output channel, half to even (2.5 -> 2, -3.5 -> -4)
    assert.deepStrictEqual(init(m, 'w_quantized'), { dims: [2, 4, 1, 1], type: 3, values: [127, 2, -4, 0, 50, -127, 20, 0] });
    assert.deepStrictEqual(init(m, 'w_scale'), { dims: [2], type: 1, values: [1, Math.fround(0.01)] });
    assert.deepStrictEqual(init(m, 'w_zero_point').values, [0, 0]);
    const wdq = m.graph.node.find((n) => n.name === 'w_DequantizeLinear');
    assert.strictEqual(wdq.attribute.find((a) => a.name === 'axis').i.toString(), '0');
    // bias: int32, scale = input scale x weight scale per channel
    const bs = [Math.fround(Math.fround(1 / 255) * 1), Math.fround(Math.fround(1 / 255) * Math.fround(0.01))];
    assert.deepStrictEqual(init(m, 'b_scale').values, bs);
    const b = init(m, 'b_quantized');
    assert.deepStrictEqual(b.type, 6);
    assert.deepStrictEqual(b.values, [Math.round(0.25 / bs[0]), Math.round(-0.1 / bs[1])]);
    assert.ok(!m.graph.initializer.some((t) => t.name === 'w' || t.name === 'b'), 'float weights are gone');
  });

  // x86 without VNNI adds each pair of u8 x s8 products in int16 with saturation (32,767). The bound below is
  // rounding only, so each case keeps its numbers where no pair can reach that on any CPU.
  async function roundingError(weightBits, maxByte) {
    let seed = 5;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
    const s = { cin: 4, cout: 3, size: 5, weights: Array.from({ length: 12 }, () => rnd() * 2 - 1), bias: [0.1, -0.2, 0.05] };
    // inputs on the uint8 grid (scale 1/255), so only weight, bias and output rounding remain
    const x = Float32Array.from({ length: 4 * 25 }, () => Math.floor(rnd() * (maxByte + 1)) / 255);
    const ref = forward(x, s);
    const yMin = Math.min(...ref.y);
    const yMax = Math.max(...ref.y);
    const m = quantizeTiny(s, { y: { min: yMin, max: yMax } }, { ...SETTINGS, weightBits, imageWeightBits: weightBits });
    const qmax = weightBits === 7 ? 64 : 127;
    const q = init(m, 'w_quantized').values;
    assert.ok(Math.max(...q.map(Math.abs)) === qmax, `weights use the whole ${weightBits}-bit range`);
    assert.ok(2 * maxByte * qmax <= 32767, 'no pair of products can saturate 16 bits');
    const got = await run(m, x, [1, 4, 5, 5]);
    const outScale = (Math.max(yMax, 0) - Math.min(yMin, 0)) / 255;
    const wScale = Math.max(...[0, 1, 2].map((o) => Math.max(...s.weights.slice(4 * o, 4 * o + 4).map(Math.abs)) / qmax));
    // sigmoid slope <= 1/4; conv error <= half an output step + 4 inputs x half a weight step + half a bias step
    const bound = 0.25 * (outScale / 2 + (4 * wScale) / 2 + 1e-4) + 1e-6;
    let worst = 0;
    for (let i = 0; i < got.length; i++) worst = Math.max(worst, Math.abs(got[i] - ref.z[i]));
    assert.ok(worst <= bound, `max error ${worst} over bound ${bound}`);
    assert.ok(worst > 0, 'the quantized model is not the float one');
  }

  it('runs 8-bit weights in onnxruntime within the rounding bound (inputs up to 127, as no CPU saturates them)', () => roundingError(8, 127));

  it('runs 7-bit weights (the portable and x86-avx2 targets) within the rounding bound on full-range inputs', () => roundingError(7, 255));

  it('folds /255 into a uint8 input that onnxruntime takes as bytes', async () => {
    const s = { cin: 4, cout: 2, size: 3, weights: [0.5, -0.25, 0.125, 1, -1, 0.5, 0.25, 0.75], bias: [0, 0.1] };
    const bytes = Uint8Array.from({ length: 36 }, (_, i) => (i * 37) % 256);
    const ref = forward(Float32Array.from(bytes, (v) => v / 255), s);
    const m = quantizeTiny(s, { y: { min: Math.min(...ref.y), max: Math.max(...ref.y) } }, { ...SETTINGS, uint8Input: true });
    assert.strictEqual(m.graph.input[0].type.tensorType.elemType, 2);
    assert.strictEqual(m.graph.node.filter((n) => n.opType === 'QuantizeLinear').length, 1, 'the input needs no QuantizeLinear');
    const got = await run(m, bytes, [1, 4, 3, 3], 'uint8');
    for (let i = 0; i < got.length; i++) assert.ok(Math.abs(got[i] - ref.z[i]) < 0.01, `element ${i}: ${got[i]} vs ${ref.z[i]}`);
  });
});

describe('image channel padding (uint8 input)', () => {
  it('pads a 3-channel Conv to 4 channels with zero weights and keeps the result', async () => {
    const s = { cin: 3, cout: 2, size: 3, weights: [0.5, -0.25, 0.125, -1, 0.5, 0.25], bias: [0, 0.1] };
    const bytes = Uint8Array.from({ length: 27 }, (_, i) => (i * 37) % 256);
    const ref = forward(Float32Array.from(bytes, (v) => v / 255), s);
    const m = quantizeTiny(s, { y: { min: Math.min(...ref.y), max: Math.max(...ref.y) } }, { ...SETTINGS, uint8Input: true });
    const pad = m.graph.node.find((n) => n.opType === 'Pad');
    assert.ok(pad, 'a Pad node');
    assert.strictEqual(pad.input[0], 'x');
    const conv = m.graph.node.find((n) => n.opType === 'Conv');
    const dq = m.graph.node.find((n) => n.output[0] === conv.input[0]);
    assert.strictEqual(dq.input[0], pad.output[0], 'the Conv reads the padded bytes');
    assert.deepStrictEqual(init(m, 'w_quantized'), { dims: [2, 4, 1, 1], type: 3, values: [127, -64, 32, 0, -127, 64, 32, 0] });
    assert.strictEqual(m.graph.node.filter((n) => n.opType === 'DequantizeLinear' && n.input[0] === 'x').length, 0, 'no DQ of the unpadded input is left');
    const got = await run(m, bytes, [1, 3, 3, 3], 'uint8');
    for (let i = 0; i < got.length; i++) assert.ok(Math.abs(got[i] - ref.z[i]) < 0.01, `element ${i}: ${got[i]} vs ${ref.z[i]}`);
  });
});

describe('Concat scale sharing', () => {
  function concatModel() {
    const f = (name, dims, values) => onnx.TensorProto.create({ name, dataType: 1, dims, rawData: new Uint8Array(Float32Array.from(values).buffer) });
    const vi = (name, c) => onnx.ValueInfoProto.create({ name, type: { tensorType: { elemType: 1, shape: { dim: [1, c, 2, 2].map((d) => ({ dimValue: d })) } } } });
    const node = (opType, input, output, attribute = []) => onnx.NodeProto.create({ name: output[0], opType, input, output, attribute });
    const graph = onnx.GraphProto.create({
      name: 'concat',
      node: [
        node('Conv', ['x', 'wa'], ['a']),
        node('Conv', ['x', 'wb'], ['b']),
        node('Concat', ['a', 'b'], ['c'], [onnx.AttributeProto.create({ name: 'axis', type: 2, i: 1 })]),
        node('Conv', ['c', 'wc'], ['z']),
      ],
      initializer: [f('wa', [1, 1, 1, 1], [1]), f('wb', [1, 1, 1, 1], [-2]), f('wc', [1, 2, 1, 1], [1, 1])],
      input: [vi('x', 1)],
      output: [vi('z', 1)],
    });
    return onnx.ModelProto.create({ irVersion: 8, opsetImport: [{ domain: '', version: 17 }], graph });
  }

  it('gives the Concat inputs and output one scale over the union of their ranges', () => {
    const model = concatModel();
    const plan = planQuantization(new GraphIndex(model.graph), { exclude: [], quantizeStem: true, keepFloat: new Set() });
    const ranges = { x: { min: 0, max: 1 }, a: { min: 0, max: 1 }, b: { min: -2, max: 0 }, c: { min: -2, max: 1 } };
    const { params } = rewriteQdq(model, plan, new Map(Object.entries(ranges)), SETTINGS);
    for (const t of ['a', 'b', 'c']) assert.deepStrictEqual(params.get(t), { scale: Math.fround(3 / 255), zeroPoint: 170, type: 'uint8' }, t);
    const dqScale = (t) => model.graph.node.find((n) => n.opType === 'DequantizeLinear' && n.output[0] === `${t}_DequantizeLinear_Output`).input[1];
    assert.strictEqual(dqScale('a'), dqScale('c'));
    assert.strictEqual(dqScale('b'), dqScale('c'));
  });
});

describe('nearest upsampling of bytes', () => {
  const { rewriteUpsamples } = lib('tools/quantize/upsample');
  function upsampleModel() {
    const f = (name, dims, values) => onnx.TensorProto.create({ name, dataType: 1, dims, rawData: new Uint8Array(Float32Array.from(values).buffer) });
    const vi = (name, dims) => onnx.ValueInfoProto.create({ name, type: { tensorType: { elemType: 1, shape: { dim: dims.map((d) => ({ dimValue: d })) } } } });
    const str = (name, v) => onnx.AttributeProto.create({ name, type: 3, s: Buffer.from(v) });
    const graph = onnx.GraphProto.create({
      name: 'up',
      node: [
        onnx.NodeProto.create({ name: 'conv', opType: 'Conv', input: ['x', 'w'], output: ['a'] }),
        onnx.NodeProto.create({ name: 'up', opType: 'Resize', input: ['a', '', 'scales'], output: ['b'], attribute: [str('mode', 'nearest'), str('coordinate_transformation_mode', 'asymmetric'), str('nearest_mode', 'floor')] }),
        onnx.NodeProto.create({ name: 'conv2', opType: 'Conv', input: ['b', 'w2'], output: ['z'] }),
      ],
      initializer: [f('w', [4, 4, 1, 1], Array.from({ length: 16 }, (_, i) => ((i * 7) % 5) / 4 - 0.5)), f('scales', [4], [1, 1, 2, 2]), f('w2', [4, 4, 1, 1], Array.from({ length: 16 }, (_, i) => ((i * 3) % 7) / 6 - 0.5))],
      input: [vi('x', [1, 4, 3, 5])],
      output: [vi('z', [1, 4, 6, 10])],
    });
    return onnx.ModelProto.create({ irVersion: 8, opsetImport: [{ domain: '', version: 17 }], graph });
  }

  it('replaces a quantized 2x nearest Resize by Expand on bytes, with the same output', async () => {
    const ranges = new Map(Object.entries({ x: { min: 0, max: 1 }, a: { min: -1, max: 1.5 }, z: { min: -2, max: 2 } }));
    const outputs = [];
    const graphs = [];
    for (const rewrite of [false, true]) {
      const model = upsampleModel();
      const plan = planQuantization(new GraphIndex(model.graph), { exclude: [], quantizeStem: true, keepFloat: new Set() });
      const resize = plan.nodes.find((n) => n.opType === 'Resize');
      rewriteQdq(model, plan, ranges, SETTINGS);
      if (rewrite) assert.strictEqual(rewriteUpsamples(model.graph, new Map([[resize, [1, 4, 3, 5]]])), 1);
      const x = Float32Array.from({ length: 60 }, (_, i) => ((i * 37) % 256) / 255);
      const s = await ort.InferenceSession.create(onnx.ModelProto.encode(model).finish(), { graphOptimizationLevel: 'all', intraOpNumThreads: 1, logSeverityLevel: 3 });
      outputs.push(Array.from((await s.run({ x: new ort.Tensor('float32', x, [1, 4, 3, 5]) })).z.data));
      await s.release();
      graphs.push(model.graph.node.map((n) => n.opType));
    }
    assert.ok(graphs[0].includes('Resize'));
    assert.ok(!graphs[1].includes('Resize') && graphs[1].includes('Expand'));
    assert.deepStrictEqual(outputs[1], outputs[0]);
  });
});

describe('stem detection', () => {
  it('keeps the Conv that reads the image and its SiLU float, unless asked to quantize it', () => {
    const { onnx: proto } = require('onnx-proto');
    const { requireModel } = require('./support/paths');
    const model = proto.ModelProto.decode(fs.readFileSync(requireModel()));
    const g = new GraphIndex(model.graph);
    const floatPlan = planQuantization(g, { exclude: [], keepFloat: new Set() });
    const stem = floatPlan.excluded.filter((e) => e.reason === 'stem').map((e) => e.name);
    assert.deepStrictEqual(stem, ['/model.0/conv/Conv', '/model.0/act/Sigmoid', '/model.0/act/Mul']);
    const all = planQuantization(g, { exclude: [], quantizeStem: true, keepFloat: new Set() });
    assert.strictEqual(all.nodes.length, floatPlan.nodes.length + 3);
  });
});
