'use strict';
// Second models made at test time from the default one: a slightly perturbed copy and a broken copy.
const fs = require('fs');
const { onnx } = require('onnx-proto');

// The engine's seeded PRNG (calibration sampling), so a perturbed model is the same on every run.
const { mulberry32 } = require('../../dist/lib/tools/quantize/sampling');

/** Standard normal noise (Box-Muller) from a uniform PRNG. */
function gaussian(rand) {
  const u = Math.max(rand(), 1e-12);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rand());
}

function floatsOf(t) {
  if (t.rawData && t.rawData.length) {
    const b = Buffer.from(t.rawData);
    return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.length));
  }
  return Float32Array.from(t.floatData);
}

function setFloats(t, values) {
  t.rawData = Buffer.from(values.buffer, values.byteOffset, values.byteLength);
  t.floatData = [];
}

function setMetadata(model, key, value) {
  const p = model.metadataProps.find((m) => m.key === key);
  if (p) p.value = value;
  else model.metadataProps.push({ key, value });
}

function edit(src, dst, version, change, changeModel) {
  const model = onnx.ModelProto.decode(fs.readFileSync(src));
  const graph = model.graph;
  const inits = new Map(graph.initializer.map((t) => [t.name, t]));
  change(graph, inits);
  changeModel?.(model);
  setMetadata(model, 'version', version);
  setMetadata(model, 'date', new Date().toISOString());
  fs.writeFileSync(dst, onnx.ModelProto.encode(model).finish());
  return dst;
}

/** Multiplies every Conv weight by (1 + amount * N(0,1)); the DFL conv (a fixed 0..15 ramp, not learned) is left alone. */
function perturbConvWeights(src, dst, { amount = 0.02, seed = 1 } = {}) {
  const rand = mulberry32(seed);
  return edit(src, dst, `perturbed-${amount}-seed${seed}`, (graph, inits) => {
    for (const node of graph.node) {
      if (node.opType !== 'Conv' || /dfl/i.test(node.name)) continue;
      const w = inits.get(node.input[1]);
      const f = floatsOf(w);
      for (let i = 0; i < f.length; i++) f[i] *= 1 + amount * gaussian(rand);
      setFloats(w, f);
    }
  });
}

/**
 * Breaks the class-score path: the last Conv of each class branch of the head (1x1, one output channel per
 * class) gets its weights scaled to near zero and its bias set to -12, so every class score is sigmoid(-12).
 * (Scaling the bias to zero as well would give 0.5 everywhere: a flood of boxes rather than collapsed scores.)
 */
function collapseClassScores(src, dst, numClasses = 80) {
  return edit(src, dst, 'broken-class-scores', (graph, inits) => {
    const heads = graph.node.filter((n) => {
      if (n.opType !== 'Conv' || n.input.length < 3) return false;
      const dims = inits.get(n.input[1]).dims.map(Number);
      return dims[0] === numClasses && dims[2] === 1 && dims[3] === 1;
    });
    if (heads.length !== 3) throw new Error(`expected 3 class-branch output convs, found ${heads.length}`);
    for (const n of heads) {
      const w = inits.get(n.input[1]);
      setFloats(w, floatsOf(w).map((v) => v * 1e-3));
      const b = inits.get(n.input[2]);
      setFloats(b, floatsOf(b).fill(-12));
    }
  });
}

/** An unchanged model that names its classes `names` (in its metadata, as an export with other labels would). */
function renameClasses(src, dst, names) {
  return namesMetadata(src, dst, `[${names.map((n) => `'${n}'`).join(', ')}]`);
}

/** A copy whose names metadata is the given text, as it stands in the file. */
function namesMetadata(src, dst, text) {
  return edit(src, dst, 'renamed-classes', () => {}, (model) => setMetadata(model, 'names', text));
}

/**
 * An unchanged model whose file declares its output with other dims (as a hand edit or a broken export may): each a
 * size, or a name for a symbolic dim.
 */
function declaredOutput(src, dst, dims) {
  return edit(src, dst, 'declared-output', (graph) => setOutput(graph, graph.output[0].name, dims));
}

/** A float16 copy, as a half-precision export writes it (the package's own graph conversion). */
function float16Copy(src, dst) {
  const { convertToFloat16 } = require('../../dist/lib/tools/graph-edit/convert-float16');
  const model = onnx.ModelProto.decode(fs.readFileSync(src));
  convertToFloat16(model);
  fs.writeFileSync(dst, onnx.ModelProto.encode(model).finish());
  return dst;
}

function int64Tensor(name, values) {
  return onnx.TensorProto.create({ name, dataType: 7, dims: [values.length], rawData: Buffer.from(BigInt64Array.from(values.map(BigInt)).buffer) });
}

function op(opType, input, output, attrs = {}) {
  const attribute = Object.entries(attrs).map(([name, v]) => Array.isArray(v)
    ? onnx.AttributeProto.create({ name, type: onnx.AttributeProto.AttributeType.INTS, ints: v })
    : onnx.AttributeProto.create({ name, type: onnx.AttributeProto.AttributeType.INT, i: v }));
  return onnx.NodeProto.create({ opType, input, output: [output], name: output, attribute });
}

function setOutput(graph, name, dims) {
  graph.output[0].name = name;
  graph.output[0].type.tensorType.shape.dim = dims.map((d) => onnx.TensorShapeProto.Dimension.create(typeof d === 'string' ? { dimParam: d } : { dimValue: d }));
}

/** A model with the first k classes only: the output's class rows after k are sliced off, names cut to k. */
function firstClasses(src, dst, k) {
  return edit(src, dst, `first-${k}-classes`, (graph) => {
    const out = graph.output[0].name;
    graph.initializer.push(int64Tensor('fc_starts', [0]), int64Tensor('fc_ends', [4 + k]), int64Tensor('fc_axes', [1]));
    graph.node.push(op('Slice', [out, 'fc_starts', 'fc_ends', 'fc_axes'], 'output_k'));
    setOutput(graph, 'output_k', [1, 4 + k, Number(graph.output[0].type.tensorType.shape.dim[2].dimValue)]);
  }, (model) => {
    const names = Array.from({ length: k }, (_, i) => `${i}: 'c${i}'`).join(', ');
    setMetadata(model, 'names', `{${names}}`);
  });
}

/**
 * An NMS-free [1, 300, 6] output (x1, y1, x2, y2, score, class) as end-to-end exports write it, here from the
 * anchors' best class and the 300 best scores (no duplicate removal: the head is not trained one-to-one).
 */
function endToEnd(src, dst, k = 300) {
  return edit(src, dst, 'end2end', (graph) => {
    const out = graph.output[0].name;
    graph.initializer.push(int64Tensor('e_0', [0]), int64Tensor('e_2', [2]), int64Tensor('e_4', [4]), int64Tensor('e_big', [1 << 30]),
      int64Tensor('e_ax2', [2]), int64Tensor('e_ax0', [0]), int64Tensor('e_k', [k]), floatTensor('e_half', [0.5]));
    graph.node.push(
      op('Transpose', [out], 'e_t', { perm: [0, 2, 1] }),
      op('Slice', ['e_t', 'e_0', 'e_2', 'e_ax2'], 'e_xy'),
      op('Slice', ['e_t', 'e_2', 'e_4', 'e_ax2'], 'e_wh'),
      op('Slice', ['e_t', 'e_4', 'e_big', 'e_ax2'], 'e_cls'),
      op('Mul', ['e_wh', 'e_half'], 'e_halfwh'),
      op('Sub', ['e_xy', 'e_halfwh'], 'e_x1y1'),
      op('Add', ['e_xy', 'e_halfwh'], 'e_x2y2'),
      op('ReduceMax', ['e_cls'], 'e_score', { axes: [2], keepdims: 1 }),
      op('ArgMax', ['e_cls'], 'e_class', { axis: 2, keepdims: 1 }),
      op('Cast', ['e_class'], 'e_classf', { to: 1 }),
      op('Concat', ['e_x1y1', 'e_x2y2', 'e_score', 'e_classf'], 'e_rows', { axis: 2 }),
      op('Squeeze', ['e_score', 'e_ax2'], 'e_scores'),
      op('TopK', ['e_scores', 'e_k'], 'e_top', { axis: 1 }),
      op('Squeeze', ['e_rows', 'e_ax0'], 'e_rows2'),
      op('Squeeze', ['e_top_idx', 'e_ax0'], 'e_idx'),
      op('Gather', ['e_rows2', 'e_idx'], 'e_picked', { axis: 0 }),
      op('Unsqueeze', ['e_picked', 'e_ax0'], 'output_e2e'),
    );
    const topk = graph.node.find((n) => n.opType === 'TopK');
    topk.output = ['e_top_val', 'e_top_idx'];
    setOutput(graph, 'output_e2e', [1, k, 6]);
  }, (model) => setMetadata(model, 'end2end', 'True'));
}

/**
 * Every Conv as onnxruntime's dynamic quantization writes it: DynamicQuantizeLinear on the activation, uint8
 * per-tensor weights, ConvInteger, then Cast, the two scales and the bias in float.
 */
function convInteger(src, dst) {
  return edit(src, dst, 'dynamic-convinteger', (graph, inits) => {
    const nodes = [];
    for (const n of graph.node) {
      if (n.opType !== 'Conv') {
        nodes.push(n);
        continue;
      }
      const p = n.name || n.output[0];
      const w = floatsOf(inits.get(n.input[1]));
      let lo = 0, hi = 0;
      for (const v of w) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
      const scale = (hi - lo) / 255 || 1;
      const zp = Math.round(-lo / scale);
      const wq = Uint8Array.from(w, (v) => Math.max(0, Math.min(255, Math.round(v / scale) + zp)));
      const dims = inits.get(n.input[1]).dims.map(Number);
      graph.initializer.push(
        onnx.TensorProto.create({ name: `${p}_wq`, dataType: 2, dims, rawData: Buffer.from(wq) }),
        onnx.TensorProto.create({ name: `${p}_wzp`, dataType: 2, dims: [], rawData: Buffer.from([zp]) }),
        onnx.TensorProto.create({ name: `${p}_ws`, dataType: 1, dims: [], rawData: Buffer.from(Float32Array.of(scale).buffer) }),
      );
      const dq = onnx.NodeProto.create({ opType: 'DynamicQuantizeLinear', input: [n.input[0]], output: [`${p}_xq`, `${p}_xs`, `${p}_xzp`], name: `${p}_dql` });
      const conv = onnx.NodeProto.create({ opType: 'ConvInteger', input: [`${p}_xq`, `${p}_wq`, `${p}_xzp`, `${p}_wzp`], output: [`${p}_i32`], name: `${p}_int`, attribute: n.attribute });
      const scaled = n.input[2] ? `${p}_scaled` : n.output[0];
      nodes.push(dq, conv, op('Cast', [`${p}_i32`], `${p}_f`, { to: 1 }), op('Mul', [`${p}_xs`, `${p}_ws`], `${p}_s`), onnx.NodeProto.create({ opType: 'Mul', input: [`${p}_f`, `${p}_s`], output: [scaled], name: `${p}_mul` }));
      if (n.input[2]) {
        const b = inits.get(n.input[2]);
        graph.initializer.push(onnx.TensorProto.create({ name: `${p}_b4`, dataType: 1, dims: [1, Number(b.dims[0]), 1, 1], rawData: Buffer.from(floatsOf(b).buffer) }));
        nodes.push(onnx.NodeProto.create({ opType: 'Add', input: [scaled, `${p}_b4`], output: [n.output[0]], name: `${p}_bias` }));
      }
    }
    graph.node = nodes;
    const used = new Set(nodes.flatMap((x) => x.input));
    graph.initializer = graph.initializer.filter((t) => used.has(t.name));
  });
}

/** Every Conv weight as uint8 behind a DequantizeLinear (per tensor), activations float: weight-only quantization. */
function weightOnlyUint8(src, dst) {
  return edit(src, dst, 'weight-only-uint8', (graph, inits) => {
    const dqs = [];
    for (const n of graph.node.filter((x) => x.opType === 'Conv')) {
      const w = n.input[1];
      const v = floatsOf(inits.get(w));
      let lo = 0, hi = 0;
      for (const x of v) { lo = Math.min(lo, x); hi = Math.max(hi, x); }
      const scale = (hi - lo) / 255 || 1;
      const zp = Math.round(-lo / scale);
      graph.initializer.push(
        onnx.TensorProto.create({ name: `${w}_u8`, dataType: 2, dims: inits.get(w).dims, rawData: Buffer.from(Uint8Array.from(v, (x) => Math.max(0, Math.min(255, Math.round(x / scale) + zp)))) }),
        onnx.TensorProto.create({ name: `${w}_zp`, dataType: 2, dims: [], rawData: Buffer.from([zp]) }),
        floatTensor(`${w}_s`, [scale]),
      );
      dqs.push(onnx.NodeProto.create({ opType: 'DequantizeLinear', input: [`${w}_u8`, `${w}_s`, `${w}_zp`], output: [`${w}_dq`], name: `${w}_dq` }));
      n.input[1] = `${w}_dq`;
    }
    graph.node.unshift(...dqs);
    const used = new Set(graph.node.flatMap((x) => x.input));
    graph.initializer = graph.initializer.filter((t) => used.has(t.name));
  });
}

/** The output's final Concat (boxes, class scores) and its inputs: the node the head edits below rewrite. */
function headConcat(graph) {
  const out = graph.output[0].name;
  const concat = graph.node.find((n) => n.output[0] === out);
  if (!concat || concat.opType !== 'Concat' || concat.input.length !== 2) throw new Error(`expected the output to be Concat(boxes, scores), found ${concat?.opType}`);
  return concat;
}

/**
 * A YOLOv8 head of `copies` times the classes, without names metadata: the class rows repeated (class c + 80k
 * scores as class c), as a model trained on many classes gives [1, 4 + 80 * copies, N].
 */
function repeatedClasses(src, dst, copies) {
  return edit(src, dst, `repeated-classes-${copies}`, (graph) => {
    const concat = headConcat(graph);
    concat.input = [concat.input[0], ...Array.from({ length: copies }, () => concat.input[1])];
    const dims = graph.output[0].type.tensorType.shape.dim;
    dims[1].dimValue = 4 + (Number(dims[1].dimValue) - 4) * copies;
  }, (model) => { model.metadataProps = model.metadataProps.filter((p) => p.key !== 'names'); });
}

/** A head exported without its final sigmoid: the class rows are the logits the Sigmoid took. */
function logitScores(src, dst) {
  return edit(src, dst, 'logit-scores', (graph) => {
    const concat = headConcat(graph);
    const sigmoid = graph.node.find((n) => n.output[0] === concat.input[1]);
    if (sigmoid?.opType !== 'Sigmoid') throw new Error(`expected the class scores from a Sigmoid, found ${sigmoid?.opType}`);
    concat.input[1] = sigmoid.input[0];
    graph.node = graph.node.filter((n) => n !== sigmoid);
  });
}

function floatTensor(name, values) {
  return onnx.TensorProto.create({ name, dataType: 1, dims: [], rawData: Buffer.from(Float32Array.from(values).buffer) });
}

/** Pairs each detection of `a` with the unused one of `b` of the same class that overlaps it most. */
function pairDetections(a, b) {
  const used = new Set();
  return a.map((d) => {
    let best = -1;
    let bestIou = 0;
    b.forEach((e, j) => {
      if (used.has(j) || e.classId !== d.classId) return;
      const v = iou(d.box, e.box);
      if (v > bestIou) { bestIou = v; best = j; }
    });
    if (best >= 0) used.add(best);
    return { a: d, b: best >= 0 ? b[best] : undefined, iou: bestIou };
  });
}

function iou(p, q) {
  const w = Math.max(0, Math.min(p.x2, q.x2) - Math.max(p.x1, q.x1));
  const h = Math.max(0, Math.min(p.y2, q.y2) - Math.max(p.y1, q.y1));
  const inter = w * h;
  const union = (p.x2 - p.x1) * (p.y2 - p.y1) + (q.x2 - q.x1) * (q.y2 - q.y1) - inter;
  return union > 0 ? inter / union : 0;
}

module.exports = { perturbConvWeights, collapseClassScores, renameClasses, namesMetadata, declaredOutput, float16Copy, firstClasses, endToEnd, convInteger, weightOnlyUint8, repeatedClasses, logitScores, pairDetections, iou };
