'use strict';
const assert = require('assert');
const { lib } = require('./support/paths');
const { computeParams, quantizeWeights, quantizeBias, biasFitScales } = lib('tools/quantize/params');
const { roundHalfEven } = lib('round');
const { MinMaxCollector, PercentileCollector, EntropyCollector, Histogram } = lib('tools/quantize/calibrators');
const { seededPick } = lib('tools/quantize/sampling');
const { selectSplit } = lib('tools/eval/dataset');
const { matchesPattern } = lib('tools/quantize/graph');

describe('quantization arithmetic', () => {
  it('rounds halves to even, like numpy and ONNX QuantizeLinear', () => {
    const cases = [[0.5, 0], [1.5, 2], [2.5, 2], [3.5, 4], [-0.5, 0], [-1.5, -2], [-2.5, -2], [-3.5, -4], [2.4, 2], [2.6, 3], [-2.6, -3], [7, 7]];
    for (const [x, want] of cases) assert.strictEqual(roundHalfEven(x) + 0, want, `round(${x})`);
  });

  it('computes asymmetric uint8/int8 scale and zero point from a range that always holds 0', () => {
    assert.deepStrictEqual(computeParams(-1, 2, 'uint8', false), { scale: Math.fround(3 / 255), zeroPoint: 85, type: 'uint8' });
    assert.deepStrictEqual(computeParams(-1, 2, 'int8', false), { scale: Math.fround(3 / 255), zeroPoint: -43, type: 'int8' });
    // a positive-only range is widened to 0: zero stays exactly representable
    assert.deepStrictEqual(computeParams(0.2, 1, 'uint8', false), { scale: Math.fround(1 / 255), zeroPoint: 0, type: 'uint8' });
    // -rmin/scale = 42.5 exactly: half to even gives 42, Math.round would give 43
    assert.strictEqual(computeParams(-0.5, 2.5, 'uint8', false).zeroPoint, 42);
    assert.deepStrictEqual(computeParams(0, 0, 'uint8', false), { scale: 1, zeroPoint: 0, type: 'uint8' });
  });

  it('computes symmetric params and the reduced range', () => {
    assert.deepStrictEqual(computeParams(-1, 2, 'int8', true), { scale: Math.fround(2 / 127), zeroPoint: 0, type: 'int8' });
    assert.deepStrictEqual(computeParams(-1, 2, 'uint8', true), { scale: Math.fround(2 / 127), zeroPoint: 128, type: 'uint8' });
    assert.deepStrictEqual(computeParams(-1, 2, 'int8', true, true), { scale: Math.fround(2 / 64), zeroPoint: 0, type: 'int8' });
    assert.deepStrictEqual(computeParams(-1, 2, 'uint8', false, true), { scale: Math.fround(3 / 127), zeroPoint: 42, type: 'uint8' });
  });

  it('quantizes weights symmetric per output channel, halves to even', () => {
    // channel 0: absmax 127 -> scale 1, so 2.5 and -3.5 are exact halves; channel 1: scale 0.01
    const w = Float32Array.from([127, 2.5, -3.5, 0.5, 0.5, -1.27, 0.2, 0]);
    const q = quantizeWeights(w, 2, true, 8);
    assert.deepStrictEqual(Array.from(q.scales), [1, Math.fround(0.01)]);
    assert.deepStrictEqual(Array.from(q.values), [127, 2, -4, 0, 50, -127, 20, 0]);
    const t = quantizeWeights(w, 2, false, 8);
    assert.deepStrictEqual(Array.from(t.scales), [1]);
    assert.deepStrictEqual(Array.from(t.values), [127, 2, -4, 0, 0, -1, 0, 0]);
  });

  it('quantizes 7-bit weights into [-64, 64] (reduce_range), activations untouched', () => {
    const w = Float32Array.from([64, 2.5, -3.5, 0.5, 0.5, -1.28, 0.2, 0]);
    const q = quantizeWeights(w, 2, true, 7);
    assert.deepStrictEqual(Array.from(q.scales), [1, Math.fround(0.02)]);
    assert.deepStrictEqual(Array.from(q.values), [64, 2, -4, 0, 25, -64, 10, 0]);
  });

  it('quantizes the bias to int32 with input scale x weight scale, halves to even', () => {
    const b = quantizeBias(Float32Array.from([2.5, 3.5, -2.5, 1000]), 0.5, Float32Array.from([2, 2, 2, 0.001]));
    assert.deepStrictEqual(Array.from(b.scales), [1, 1, 1, Math.fround(0.5 * 0.001)]);
    assert.deepStrictEqual(Array.from(b.values), [2, 4, -2, 2000000]);
  });

  it('raises the weight scale of a nearly dead channel so that its bias fits int32 instead of being clamped', () => {
    // channel 0 as after BatchNorm folding with a collapsed gamma: weights 1e-7, bias 3; channel 1 ordinary
    const w = Float32Array.from([1e-7, -1e-7, 0.5, -0.25]);
    const bias = Float32Array.from([3, 0.1]);
    const inputScale = 0.02;
    const q = quantizeWeights(w, 2, true, 8, biasFitScales(bias, inputScale, 2));
    const b = quantizeBias(bias, inputScale, q.scales);
    assert.ok(Math.abs(b.values[0]) < 2147483647, 'not clamped');
    assert.ok(Math.abs(b.values[0] * b.scales[0] - 3) < 1e-6, `channel 0 bias ${b.values[0] * b.scales[0]}`);
    assert.strictEqual(q.scales[1], quantizeWeights(w, 2, true, 8).scales[1], 'an ordinary channel keeps its scale');
    // its weights are rounded at the raised scale (they came back 8.9e-6, 89 times too large)
    for (let i = 0; i < 4; i++) {
      const s = q.scales[i < 2 ? 0 : 1];
      assert.ok(Math.abs(q.values[i] * s - w[i]) <= s / 2, `weight ${i}: ${q.values[i] * s} for ${w[i]}`);
    }
    const unfit = quantizeBias(bias, inputScale, quantizeWeights(w, 2, true, 8).scales);
    assert.strictEqual(unfit.values[0], 2147483647, 'without it the bias is clamped');
  });
});

describe('calibrators (streamed)', () => {
  const gaussian = (n, seed) => {
    let s = seed;
    const rnd = () => ((s = (s * 1103515245 + 12345) % 2147483648) + 0.5) / 2147483648;
    return Float32Array.from({ length: n }, () => Math.sqrt(-2 * Math.log(rnd())) * Math.cos(2 * Math.PI * rnd()));
  };

  it('minmax keeps the extremes over all samples', () => {
    const c = new MinMaxCollector();
    c.add(Float32Array.from([1, -2, 3]));
    c.add(Float32Array.from([0.5, 7]));
    assert.deepStrictEqual(c.range(), { min: -2, max: 7 });
  });

  it('histogram doubles its range without losing counts', () => {
    const h = new Histogram(8);
    h.add(Float32Array.from([0.5, -0.5, 0.9]));
    h.add(Float32Array.from([3.5]));
    assert.strictEqual(h.total, 4);
    assert.strictEqual(h.counts.reduce((a, b) => a + b, 0), 4);
    assert.ok(h.limit > 3.5);
    assert.ok(Math.abs(h.quantile(1) - h.limit) < 1e-9);
  });

  it('percentile clips rare outliers that minmax keeps', () => {
    const data = gaussian(200000, 7);
    data[10] = 50;
    const p = new PercentileCollector(99.99);
    p.add(data.subarray(0, 100000));
    p.add(data.subarray(100000));
    const r = p.range();
    assert.ok(r.max > 3 && r.max < 4.5, `upper ${r.max}`);
    assert.ok(r.min < -3 && r.min > -4.5, `lower ${r.min}`);
  });

  it('entropy picks a threshold inside the range, below a lone outlier', () => {
    const data = gaussian(200000, 11);
    data[3] = 40;
    const e = new EntropyCollector();
    e.add(data);
    const r = e.range();
    assert.ok(r.max > 2 && r.max < 20, `upper ${r.max}`);
    assert.ok(r.min < -2, `lower ${r.min}`);
  });
});

describe('calibration image selection', () => {
  it('picks the same seeded subset every time, in listing order', () => {
    const items = Array.from({ length: 20 }, (_, i) => i);
    const a = seededPick(items, 5, 3);
    assert.deepStrictEqual(a, seededPick(items, 5, 3));
    assert.strictEqual(new Set(a).size, 5);
    assert.deepStrictEqual(a, [...a].sort((x, y) => x - y));
    assert.notDeepStrictEqual(a, seededPick(items, 5, 4));
    assert.deepStrictEqual(seededPick(items, 50, 0), items);
  });

  it('splits a sorted listing into even and odd halves that do not overlap', () => {
    assert.deepStrictEqual(selectSplit(['a', 'b', 'c', 'd', 'e'], 'even'), ['a', 'c', 'e']);
    assert.deepStrictEqual(selectSplit(['a', 'b', 'c', 'd', 'e'], 'odd'), ['b', 'd']);
    assert.deepStrictEqual(selectSplit(['a', 'b'], 'all'), ['a', 'b']);
  });

  it('matches exclusion patterns as globs or substrings', () => {
    assert.ok(matchesPattern('/model.22/cv3.0/cv3.0.2/Conv', '/model.22/cv3*'));
    assert.ok(matchesPattern('/model.22/cv3.0/cv3.0.2/Conv', 'cv3.0.2'));
    assert.ok(!matchesPattern('/model.2/cv1/conv/Conv', '/model.22/*'));
  });
});

describe('quantize and the FP32 copy of a model the detector refuses for its size', function () {
  this.timeout(60000);
  it('refuse an input over 4096 on a side with BAD_SIZE before calibrating (it asked for 51 GB at 65536x65536)', async () => {
    const fs = require('fs');
    const path = require('path');
    const { onnx } = require('onnx-proto');
    const { requireModel } = require('./support/paths');
    const { tmpDir } = require('./support/fixtures');
    const { quantizeModel, writeFloatModel } = lib('tools/quantize/quantize');
    const dir = tmpDir();
    const model = onnx.ModelProto.decode(fs.readFileSync(requireModel()));
    model.graph.input[0].type.tensorType.shape.dim = [1, 3, 65536, 65536].map((d) => ({ dimValue: d }));
    const huge = path.join(dir, 'huge.onnx');
    fs.writeFileSync(huge, onnx.ModelProto.encode(model).finish());
    const bad = (e) => e.code === 'BAD_SIZE' && /input 'images' is 65536x65536, over 4096 on a side/.test(e.message);
    // the calibration folder is not even looked at
    await assert.rejects(quantizeModel({ model: huge, calib: path.join(dir, 'none'), out: path.join(dir, 'q.onnx') }), bad);
    await assert.rejects(writeFloatModel(huge, path.join(dir, 'f.onnx'), { uint8Input: false }), bad);
    assert.deepStrictEqual(fs.readdirSync(dir), ['huge.onnx']);
  });
});
