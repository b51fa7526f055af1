'use strict';
// Builds small ONNX models in memory for quantizer tests: input -> Conv(1x1) -> Sigmoid -> output.
const { onnx } = require('onnx-proto');

function floatTensor(name, dims, values) {
  return onnx.TensorProto.create({ name, dataType: 1, dims, rawData: new Uint8Array(Float32Array.from(values).buffer) });
}

function valueInfo(name, dims) {
  return onnx.ValueInfoProto.create({ name, type: { tensorType: { elemType: 1, shape: { dim: dims.map((d) => ({ dimValue: d })) } } } });
}

/** weights: Cout x Cin values (1x1 kernel); bias: Cout values. */
function tinyConvModel({ cin, cout, size, weights, bias }) {
  const graph = onnx.GraphProto.create({
    name: 'tiny',
    node: [
      onnx.NodeProto.create({ name: 'conv', opType: 'Conv', input: ['x', 'w', 'b'], output: ['y'] }),
      onnx.NodeProto.create({ name: 'act', opType: 'Sigmoid', input: ['y'], output: ['z'] }),
    ],
    initializer: [floatTensor('w', [cout, cin, 1, 1], weights), floatTensor('b', [cout], bias)],
    input: [valueInfo('x', [1, cin, size, size])],
    output: [valueInfo('z', [1, cout, size, size])],
  });
  return onnx.ModelProto.create({ irVersion: 8, opsetImport: [{ domain: '', version: 17 }], producerName: 'test', graph });
}

/** Reference float forward pass of the tiny model (NCHW, 1x1 conv, sigmoid). Returns conv output and sigmoid. */
function forward(x, { cin, cout, size, weights, bias }) {
  const plane = size * size;
  const y = new Float64Array(cout * plane);
  for (let o = 0; o < cout; o++) {
    for (let p = 0; p < plane; p++) {
      let s = bias[o];
      for (let i = 0; i < cin; i++) s += weights[o * cin + i] * x[i * plane + p];
      y[o * plane + p] = s;
    }
  }
  return { y, z: y.map((v) => 1 / (1 + Math.exp(-v))) };
}

module.exports = { tinyConvModel, forward, floatTensor };
