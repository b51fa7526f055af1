'use strict';
// A dynamic-shape copy of a static YOLOv8 export, as a dynamic=True export computes it: the input height and width
// are symbolic, every level's anchor points and strides are computed from the Shape of its feature map, and the
// Reshapes that held the anchor count take -1.
const fs = require('fs');
const { onnx } = require('onnx-proto');

const I64 = 7;
const F32 = 1;

function int64Of(t) {
  const b = Buffer.from(t.rawData);
  return Array.from({ length: b.length / 8 }, (_, i) => Number(b.readBigInt64LE(8 * i)));
}

function tensor(name, dataType, values, dims = [values.length]) {
  const raw = dataType === I64 ? Buffer.from(BigInt64Array.from(values.map(BigInt)).buffer) : Buffer.from(Float32Array.from(values).buffer);
  return onnx.TensorProto.create({ name, dataType, dims, rawData: raw });
}

function node(opType, input, output, attrs = {}) {
  const attribute = Object.entries(attrs).map(([name, v]) => Array.isArray(v)
    ? onnx.AttributeProto.create({ name, type: onnx.AttributeProto.AttributeType.INTS, ints: v })
    : onnx.AttributeProto.create({ name, type: onnx.AttributeProto.AttributeType.INT, i: v }));
  return onnx.NodeProto.create({ opType, input, output: [output], name: output, attribute });
}

function makeDynamic(src, dst) {
  const model = onnx.ModelProto.decode(fs.readFileSync(src));
  const g = model.graph;
  const inits = new Map(g.initializer.map((t) => [t.name, t]));
  const n = Number(g.output[0].type.tensorType.shape.dim[2].dimValue);
  const anchors = g.initializer.find((t) => t.dims.map(Number).join() === `1,2,${n}`);
  const strides = g.initializer.find((t) => t.dims.map(Number).join() === `1,${n}`);
  // the per-level head Reshapes to [1, C, -1], in the order their outputs are concatenated
  const levelReshapes = g.node.filter((x) => x.opType === 'Reshape' && inits.get(x.input[1]) && int64Of(inits.get(x.input[1])).join().match(/^1,\d+,-1$/));
  const concat = g.node.find((x) => x.opType === 'Concat' && levelReshapes.every((r) => x.input.includes(r.output[0])));
  levelReshapes.sort((a, b) => concat.input.indexOf(a.output[0]) - concat.input.indexOf(b.output[0]));
  const inputSize = Number(g.input[0].type.tensorType.shape.dim[2].dimValue);

  const added = [];
  const consts = [tensor('dyn_half', F32, [0.5], []), tensor('dyn_one', F32, [1], []), tensor('dyn_zero', F32, [0], []), tensor('dyn_i2', I64, [2], []),
    tensor('dyn_i3', I64, [3], []), tensor('dyn_ax0', I64, [0]), tensor('dyn_ax1', I64, [1]), tensor('dyn_flat', I64, [1, -1])];
  const anchorParts = [];
  const strideParts = [];
  levelReshapes.forEach((r, l) => {
    const p = `dyn_l${l}`;
    // the level's stride, from the static model: input size over grid size (levels are square at 640x640)
    const grid = Math.sqrt(levelSize(anchors, n, l));
    consts.push(tensor(`${p}_stride`, F32, [inputSize / grid], []));
    added.push(
      node('Shape', [r.input[0]], `${p}_shape`),
      node('Gather', [`${p}_shape`, 'dyn_i2'], `${p}_h`, { axis: 0 }),
      node('Gather', [`${p}_shape`, 'dyn_i3'], `${p}_w`, { axis: 0 }),
      node('Cast', [`${p}_h`], `${p}_hf`, { to: F32 }),
      node('Cast', [`${p}_w`], `${p}_wf`, { to: F32 }),
      node('Range', ['dyn_half', `${p}_hf`, 'dyn_one'], `${p}_ys`),
      node('Range', ['dyn_half', `${p}_wf`, 'dyn_one'], `${p}_xs`),
      node('Unsqueeze', [`${p}_h`, 'dyn_ax0'], `${p}_h1`),
      node('Unsqueeze', [`${p}_w`, 'dyn_ax0'], `${p}_w1`),
      node('Concat', [`${p}_h1`, `${p}_w1`], `${p}_hw`, { axis: 0 }),
      node('Unsqueeze', [`${p}_xs`, 'dyn_ax0'], `${p}_xrow`),
      node('Unsqueeze', [`${p}_ys`, 'dyn_ax1'], `${p}_ycol`),
      node('Expand', [`${p}_xrow`, `${p}_hw`], `${p}_xgrid`),
      node('Expand', [`${p}_ycol`, `${p}_hw`], `${p}_ygrid`),
      node('Reshape', [`${p}_xgrid`, 'dyn_flat'], `${p}_x`),
      node('Reshape', [`${p}_ygrid`, 'dyn_flat'], `${p}_y`),
      node('Concat', [`${p}_x`, `${p}_y`], `${p}_xy`, { axis: 0 }),
      node('Unsqueeze', [`${p}_xy`, 'dyn_ax0'], `${p}_anchors`),
      node('Mul', [`${p}_x`, 'dyn_zero'], `${p}_zeros`),
      node('Add', [`${p}_zeros`, `${p}_stride`], `${p}_strides`),
    );
    anchorParts.push(`${p}_anchors`);
    strideParts.push(`${p}_strides`);
  });
  added.push(node('Concat', anchorParts, anchors.name, { axis: 2 }), node('Concat', strideParts, strides.name, { axis: 1 }));
  g.initializer = g.initializer.filter((t) => t !== anchors && t !== strides).concat(consts);
  // Reshapes whose constant shape holds the anchor count now infer it
  for (const t of g.initializer) if (t.dataType === I64 && int64Of(t).includes(n)) t.rawData = tensor(t.name, I64, int64Of(t).map((v) => (v === n ? -1 : v))).rawData;
  // computed before anything reads them: put the new nodes first (their inputs are the feature maps, so after those)
  const firstUse = g.node.findIndex((x) => x.input.includes(anchors.name) || x.input.includes(strides.name));
  g.node.splice(firstUse, 0, ...added);
  const dims = g.input[0].type.tensorType.shape.dim;
  dims[2] = onnx.TensorShapeProto.Dimension.create({ dimParam: 'height' });
  dims[3] = onnx.TensorShapeProto.Dimension.create({ dimParam: 'width' });
  g.output[0].type.tensorType.shape.dim[2] = onnx.TensorShapeProto.Dimension.create({ dimParam: 'anchors' });
  g.valueInfo = [];
  fs.writeFileSync(dst, onnx.ModelProto.encode(model).finish());
  return dst;
}

/** Anchors of level l in a static model's [1, 2, n] anchor tensor: a level starts where (x, y) is (0.5, 0.5). */
function levelSize(anchors, n, l) {
  const f = new Float32Array(new Uint8Array(anchors.rawData).buffer);
  const starts = [];
  for (let i = 0; i < n; i++) if (f[i] === 0.5 && f[n + i] === 0.5) starts.push(i);
  starts.push(n);
  return starts[l + 1] - starts[l];
}

module.exports = { makeDynamic };
