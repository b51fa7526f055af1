'use strict';
// CPU classes, quantization targets and the load-time saturation check, with faked /proc/cpuinfo texts.
const assert = require('assert');
const { onnx } = require('onnx-proto');
const { lib } = require('./support/paths');
const { tinyConvModel } = require('./support/tiny-model');
const { parseCpuInfo, cpuClass } = lib('runtime/cpu-features');
const { resolveTarget, WEIGHT_BITS, DEFAULT_TARGET } = lib('tools/quantize/targets');
const { int8WeightPeaks } = lib('model/weight-range');
const { saturationWarning } = lib('runtime/saturation-check');
const { GraphIndex } = lib('tools/quantize/graph');
const { planQuantization } = lib('tools/quantize/plan');
const { rewriteQdq } = lib('tools/quantize/qdq');

const ZEN3 = 'processor\t: 0\nvendor_id\t: AuthenticAMD\nmodel name\t: AMD EPYC 7B13 64-Core Processor\nflags\t\t: fpu sse sse2 ssse3 avx avx2 fma bmi2\n';
const ZEN4 = 'processor\t: 0\nmodel name\t: AMD EPYC 9B14\nflags\t\t: fpu sse2 avx avx2 avx512f avx512bw avx512_vnni\n';
const ALDER = 'processor\t: 0\nmodel name\t: 12th Gen Intel(R) Core(TM) i5-12400\nflags\t\t: sse2 avx avx2 avx_vnni\n';
const PI5 = 'processor\t: 0\nBogoMIPS\t: 108.00\nFeatures\t: fp asimd evtstrm aes pmull sha1 sha2 crc32 atomics fphp asimdhp cpuid asimdrdm lrcpc dcpop asimddp\nCPU implementer\t: 0x41\nCPU part\t: 0xd0b\n';

const cpus = { zen3: parseCpuInfo(ZEN3, 'x64'), zen4: parseCpuInfo(ZEN4, 'x64'), alder: parseCpuInfo(ALDER, 'x64'), pi5: parseCpuInfo(PI5, 'arm64') };

function tinyQdq(weightBits) {
  const model = tinyConvModel({ cin: 4, cout: 2, size: 3, weights: [1, -0.5, 0.25, 0.1, -2, 1, 0.5, 0], bias: [0, 0] });
  const plan = planQuantization(new GraphIndex(model.graph), { exclude: [], quantizeStem: true, keepFloat: new Set() });
  rewriteQdq(model, plan, new Map([['y', { min: -2, max: 2 }]]), { activationType: 'uint8', activationSymmetric: false, perChannel: true, weightBits, imageWeightBits: weightBits, uint8Input: false });
  return onnx.ModelProto.decode(onnx.ModelProto.encode(model).finish());
}

describe('CPU classes and quantization targets', () => {
  it('classifies CPUs from /proc/cpuinfo text', () => {
    assert.deepStrictEqual(Object.fromEntries(Object.entries(cpus).map(([k, c]) => [k, cpuClass(c)])), { zen3: 'x86-avx2', zen4: 'x86-vnni', alder: 'x86-vnni', pi5: 'arm64' });
    assert.strictEqual(cpus.zen3.model, 'AMD EPYC 7B13 64-Core Processor');
    assert.strictEqual(cpuClass(parseCpuInfo('', 'x64')), 'x86', 'no flags: plain x86');
  });

  it('resolves auto to the CPU quantize runs on, and gives 7-bit weights where int16 pair sums saturate', () => {
    assert.deepStrictEqual(Object.values(cpus).map((c) => resolveTarget('auto', c)), ['x86-avx2', 'x86-vnni', 'x86-vnni', 'arm64']);
    assert.strictEqual(resolveTarget('arm64', cpus.zen3), 'arm64', 'an explicit target is kept');
    const narrow = { image: 7, rest: 8 };
    const full = { image: 8, rest: 8 };
    assert.deepStrictEqual(WEIGHT_BITS, { portable: narrow, arm64: full, 'x86-vnni': full, 'x86-avx2': narrow });
    assert.strictEqual(DEFAULT_TARGET, 'portable');
  });

  it('reads the int8 weight peak of QDQ and QOperator models', () => {
    assert.deepStrictEqual(int8WeightPeaks(tinyQdq(8).graph), { all: 127, image: 127 });
    assert.deepStrictEqual(int8WeightPeaks(tinyQdq(7).graph), { all: 64, image: 64 });
    assert.strictEqual(int8WeightPeaks(tinyConvModel({ cin: 1, cout: 1, size: 2, weights: [1], bias: [0] }).graph), undefined, 'float model');
    const i8 = (name, values) => onnx.TensorProto.create({ name, dataType: 3, dims: [values.length], rawData: new Uint8Array(Int8Array.from(values).buffer) });
    const graph = onnx.GraphProto.create({
      node: [onnx.NodeProto.create({ opType: 'QLinearConv', input: ['x', 'xs', 'xz', 'w', 'ws', 'wz', 'ys', 'yz'], output: ['y'] })],
      initializer: [i8('w', [100, -20, 3]), i8('wz', [-10])],
    });
    assert.deepStrictEqual(int8WeightPeaks(graph), { all: 110, image: 0 }, 'measured from the zero point; x is not a graph input');
  });

  it('warns about full-range int8 weights reading the image on x86 without VNNI only, naming the CPU and the command to requantize', () => {
    const full = { path: '/models/line-int8.onnx', int8Weights: { all: 127, image: 127 } };
    const msg = saturationWarning(full, cpus.zen3);
    assert.match(msg, /line-int8\.onnx reads the image with full-range 8-bit weights/);
    assert.match(msg, /AMD EPYC 7B13 64-Core Processor \(x86-avx2\)/);
    assert.match(msg, /yolo-edge quantize .*--target portable/);
    for (const c of [cpus.zen4, cpus.alder, cpus.pi5]) assert.strictEqual(saturationWarning(full, c), undefined);
    assert.strictEqual(saturationWarning({ path: 'a.onnx', int8Weights: { all: 127, image: 64 } }, cpus.zen3), undefined, '7-bit weights on the image are safe');
    assert.strictEqual(saturationWarning({ path: 'a.onnx', int8Weights: { all: 127, image: 0 } }, cpus.zen3), undefined, 'float stem');
    assert.strictEqual(saturationWarning({ path: 'a.onnx' }, cpus.zen3), undefined, 'float model');
  });
});

module.exports = { cpus };
