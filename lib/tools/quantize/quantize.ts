import { onnx } from 'onnx-proto';
import { listSplit, Split } from '../eval/dataset';
import { usableImages } from '../eval/usable-images';
import { decodeModel, encodeModel, nameText, readModelBytes, requireEmbeddedWeights, requireOpset, valueDims } from '../../model/onnx-file';
import { checkInputSize, describeModel, layoutText } from '../../model/model-info';
import { YoloEdgeError } from '../../errors';
import { sessionThreads } from '../../runtime/threads';
import { AccuracyBudgetResult, applyAccuracyBudget } from './budget';
import { CalibratorKind } from './calibrators';
import { calibrate, calibrationModel } from './calibrate';
import { GraphIndex, hoistConstants, matchesPattern, nameNodes } from './graph';
import { QuantType, WeightBits } from './params';
import { DEFAULT_TARGET, QuantTarget, resolveTarget, WEIGHT_BITS } from './targets';
import { ExcludedNode, planQuantization, QuantPlan } from './plan';
import { foldUint8InputFloat, QDQ_OPSET, QdqSettings, rewriteQdq } from './qdq';
import { checkLoads } from './check-loads';
import { rewriteDflSoftmax } from './dfl';
import { seededPick } from './sampling';
import { nearestUpsampleFactor, rewriteUpsamples, tensorShapes } from './upsample';
import { checkWritable, writeAtomic } from './write';

export interface QuantizeOptions {
  model: string;
  calib: string;
  out: string;
  /** Calibration images; 0 or Infinity takes all. */
  samples: number;
  seed: number;
  split: Split;
  calibrator: CalibratorKind;
  percentile: number;
  activationType: QuantType;
  activationSymmetric: boolean;
  perChannel: boolean;
  /** The CPU class the model is for (targets.ts); `auto` is the CPU quantize runs on. */
  target: QuantTarget | 'auto';
  /** 7-bit weights whatever the target (onnxruntime's reduce_range; activations keep 8 bits). */
  reduceRange: boolean;
  uint8Input: boolean;
  exclude: string[];
  /** Quantize the stem (first Conv and its activation) too; float by default unless uint8Input, see findStem. */
  quantizeStem: boolean;
  /** mAP50 points the quantization may cost; layers are kept float until the estimate is under it. */
  accuracyBudget?: number;
  /** Images held aside from calibration to estimate the loss (accuracy budget only). */
  holdout: number;
  /** At most this many layers are kept float for the budget. */
  budgetMaxLayers: number;
  threads?: number;
  progress?: (message: string) => void;
  /** Files of the calibration folder that are not read or cannot be decoded, a --threads over the cores (capped). */
  warn?: (message: string) => void;
}

export const DEFAULT_QUANTIZE: Omit<QuantizeOptions, 'model' | 'calib' | 'out'> = {
  samples: 200,
  seed: 0,
  split: 'all',
  calibrator: 'minmax',
  percentile: 99.999,
  activationType: 'uint8',
  activationSymmetric: false,
  perChannel: true,
  target: DEFAULT_TARGET,
  reduceRange: false,
  uint8Input: false,
  exclude: [],
  quantizeStem: false,
  holdout: 16,
  budgetMaxLayers: 12,
};

export interface QuantizeReport {
  model: string;
  out: string;
  /** The images calibration ran on: picked from the usable ones, without those held aside for the budget. */
  calibrationImages: number;
  /** Images of the split left out as they cannot be read or decoded (named in a warning). */
  imagesLeftOut: number;
  quantizedNodes: number;
  quantizedConvs: number;
  floatNodes: ExcludedNode[];
  inputBytes: number;
  outputBytes: number;
  calibrationMs: number;
  totalMs: number;
  settings: Record<string, unknown>;
  budget?: AccuracyBudgetResult;
}

/** An exclude pattern that names no node (a typo) kept nothing float, without a word: refused before calibration. */
function requireExcludeMatches(graph: onnx.GraphProto, patterns: readonly string[], model: string): void {
  const unmatched = patterns.filter((p) => !graph.node.some((n) => matchesPattern(n.name ?? '', p)));
  if (unmatched.length === 0) return;
  const example = graph.node.find((n) => n.opType === 'Conv')?.name ?? graph.node[0]?.name ?? '';
  throw new YoloEdgeError(`--exclude ${unmatched.map((p) => `'${p}'`).join(', ')} matches no node of ${model}: a pattern without * or ? is any part of a node name, with them the whole name (names look like ${nameText(example)})`, 'BAD_CONFIG');
}

/** Calibrates, rewrites to QDQ and writes atomically: the whole `yolo-edge quantize`. */
export async function quantizeModel(options: Partial<QuantizeOptions> & Pick<QuantizeOptions, 'model' | 'calib' | 'out'>): Promise<QuantizeReport> {
  const o: QuantizeOptions = { ...DEFAULT_QUANTIZE, ...options };
  const t0 = performance.now();
  await checkWritable(o.out, o.model);
  const original = await readModelBytes(o.model);
  const source = decodeModel(original, o.model);
  requireEmbeddedWeights(source, o.model);
  nameNodes(source.graph as onnx.GraphProto);
  hoistConstants(source.graph as onnx.GraphProto);
  requireOpset(source, QDQ_OPSET); // before the calibration, which takes minutes
  const info = describeModel(source, o.model);
  // calibration runs it at its input size (65536x65536 asked for 51 GB); the detector would refuse the result
  checkInputSize(info);
  if (info.layout !== 'yolov8' || info.layoutFromRun) throw new YoloEdgeError(`${o.model}: quantize supports YOLOv8/YOLO11 detectors with output [1, 4+nc, N]; ${layoutText(info)}`, 'NOT_DETECTOR');
  if (info.precision === 'int8') throw new YoloEdgeError(`${o.model} is already quantized`, 'ALREADY_QUANTIZED');
  if (info.precision === 'fp16') throw new YoloEdgeError(`${o.model} is a float16 model; quantize its float32 original`, 'NOT_FLOAT');
  if (info.inputType !== 'float32') throw new YoloEdgeError(`${o.model} takes ${info.inputType} input; quantize its float32 original`, 'NOT_FLOAT');
  requireExcludeMatches(source.graph as onnx.GraphProto, o.exclude, o.model);
  const dflRewritten = rewriteDflSoftmax(source.graph as onnx.GraphProto);
  const bytes = encodeModel(source);
  // bytes in: the stem reads exact values and its channels get padded for the fast int8 kernel (pad-channels.ts)
  const quantizeStem = o.quantizeStem || o.uint8Input;
  const target = resolveTarget(o.target);
  const weightBits: WeightBits = o.reduceRange ? 7 : WEIGHT_BITS[target].rest;
  const imageWeightBits: WeightBits = o.reduceRange ? 7 : WEIGHT_BITS[target].image;
  const settings: QdqSettings = { activationType: o.activationType, activationSymmetric: o.activationSymmetric, perChannel: o.perChannel, weightBits, imageWeightBits, uint8Input: o.uint8Input };
  const sourceIndex = new GraphIndex(source.graph as onnx.GraphProto);
  const basePlan = planQuantization(sourceIndex, { exclude: o.exclude, quantizeStem, keepFloat: new Set() });
  // before the images are read; with no tensor to calibrate onnxruntime failed in its own words ("'fetches' cannot be an empty array")
  if (basePlan.nodes.length === 0 && o.exclude.length) {
    throw new YoloEdgeError(`--exclude ${o.exclude.map((p) => `'${p}'`).join(', ')} keeps every node of ${o.model} float: nothing is left to quantize`, 'BAD_CONFIG');
  }

  // capped as the detector's are: more intra-op threads than cores slow every calibration run (threads.ts)
  const threads = o.threads ? sessionThreads(o.threads) : undefined;
  if (threads?.capped) o.warn?.(threads.capped);
  // Every image of the split is decoded once first, and one that cannot be is left out before the seeded pick:
  // found during calibration it stopped quantize and lost the work, and the pick and hold-out are then those of
  // the folder without it.
  const listed = await listSplit(o.calib, o.split, o.warn);
  const all = await usableImages(listed, o.calib, { warn: o.warn, progress: (done, total) => o.progress?.(`checking images ${done}/${total}`) });
  const picked = seededPick(all, o.samples > 0 ? o.samples : all.length, o.seed);
  const holdout = o.accuracyBudget !== undefined ? picked.filter((_, i) => i % Math.max(2, Math.floor(picked.length / o.holdout)) === 1).slice(0, o.holdout) : [];
  // none held aside (one image picked) measured no loss, and the budget was reported met: 0.00 on 0 images
  if (o.accuracyBudget !== undefined && holdout.length === 0) {
    throw new YoloEdgeError(`--accuracy-budget measures the loss on images held aside from the ${picked.length} picked, which leaves none; pick at least 2 (--samples, or more images in ${o.calib})`, 'NO_IMAGES');
  }
  const calibImages = picked.filter((p) => !holdout.includes(p)).map((it) => it.image);
  if (calibImages.length === 0) throw new YoloEdgeError('no calibration images left after holding some aside', 'NO_IMAGES');

  // every tensor any plan may need: pass-through outputs get their own range when their op stays float
  const tensors = [...basePlan.tensors.keys()].filter((t) => t !== basePlan.graphInput);
  const headInputs = headLogits(sourceIndex, basePlan);
  const tc = performance.now();
  const ranges = await calibrate(calibrationModel(decodeModel(bytes, o.model), tensors), { name: info.inputName, width: info.inputWidth, height: info.inputHeight }, tensors, calibImages, {
    calibrator: o.calibrator,
    percentile: o.percentile,
    minmaxTensors: headInputs,
    threads: threads?.threads,
    progress: (done, total, ms) => o.progress?.(`calibrating ${done}/${total}, ETA ${Math.round(((total - done) * ms) / done / 1000)} s`),
  });
  const calibrationMs = performance.now() - tc;
  const upsampleShapes = await upsampleInputShapes(bytes, sourceIndex, basePlan, { name: info.inputName, width: info.inputWidth, height: info.inputHeight });

  const build = (keepFloat: ReadonlySet<string>): { model: onnx.ModelProto; plan: QuantPlan; convs: number } => {
    const model = decodeModel(bytes, o.model);
    const plan = planQuantization(new GraphIndex(model.graph as onnx.GraphProto), { exclude: o.exclude, quantizeStem, keepFloat });
    const upsamples = new Map(plan.nodes.filter((n) => upsampleShapes.has(n.input?.[0] ?? '')).map((n) => [n, upsampleShapes.get(n.input?.[0] ?? '') as number[]]));
    const r = rewriteQdq(model, plan, ranges, settings);
    rewriteUpsamples(model.graph as onnx.GraphProto, upsamples);
    return { model, plan, convs: r.quantizedConvs };
  };
  let budget: AccuracyBudgetResult | undefined;
  let keepFloat: ReadonlySet<string> = new Set();
  if (o.accuracyBudget !== undefined) {
    budget = await applyAccuracyBudget({ modelPath: o.model, info, holdout, budget: o.accuracyBudget, plan: basePlan, maxLayers: o.budgetMaxLayers, threads: threads?.threads, progress: o.progress, warn: o.warn, build: (k) => encodeModel(build(k).model) });
    keepFloat = new Set(budget.keptFloat.map((l) => l.nodes).flat());
  }
  const { model, plan, convs } = build(keepFloat);
  const settingsRecord = {
    format: 'QDQ',
    calibrator: o.calibrator,
    ...(o.calibrator === 'percentile' ? { percentile: o.percentile } : {}),
    ...(o.calibrator !== 'minmax' ? { minmaxTensors: [...headInputs] } : {}),
    samples: calibImages.length,
    seed: o.seed,
    split: o.split,
    activationType: o.activationType,
    activationSymmetric: o.activationSymmetric,
    weightType: 'int8',
    target,
    weightBits,
    imageWeightBits,
    perChannel: o.perChannel,
    reduceRange: o.reduceRange,
    uint8Input: o.uint8Input,
    exclude: o.exclude,
    quantizeStem,
    dflSoftmaxLastAxis: dflRewritten > 0,
    floatNodes: plan.excluded.filter((e) => e.reason !== 'unsupported').map((e) => e.name),
    ...(budget ? { accuracyBudget: o.accuracyBudget, keptFloatForBudget: budget.keptFloat.map((l) => l.conv) } : {}),
    tool: 'node-red-contrib-yolo-edge',
  };
  setMetadata(model, 'quantization', JSON.stringify(settingsRecord));
  const outBytes = encodeModel(model);
  await checkLoads(outBytes, 'quantized model');
  await writeAtomic(o.out, outBytes);
  return {
    model: o.model,
    out: o.out,
    calibrationImages: calibImages.length,
    imagesLeftOut: listed.length - all.length,
    quantizedNodes: plan.nodes.length,
    quantizedConvs: convs,
    floatNodes: plan.excluded,
    inputBytes: original.length,
    outputBytes: outBytes.length,
    calibrationMs,
    totalMs: performance.now() - t0,
    settings: settingsRecord,
    budget,
  };
}

/**
 * NCHW input shapes of the quantized nearest-neighbour Resizes (see upsample.ts), by input tensor. The rewrite
 * writes these shapes into the graph, so a model with a dynamic input size keeps its Resizes.
 */
async function upsampleInputShapes(bytes: Uint8Array, g: GraphIndex, plan: QuantPlan, input: { name: string; width: number; height: number }): Promise<Map<string, number[]>> {
  const declared = (g.graph.input ?? []).find((i) => i.name === input.name);
  if (!declared || valueDims(declared).some((d) => !(d > 0))) return new Map();
  const inputs = plan.nodes.filter((n) => nearestUpsampleFactor(g, n) !== undefined).map((n) => n.input?.[0] ?? '');
  return inputs.length ? tensorShapes(bytes, input, inputs) : new Map();
}

/**
 * Tensors the float head post-processing reads (the box and class logits). A clipping calibrator would cut
 * their rare high values, which are exactly the confident detections, so they keep their full min/max.
 */
function headLogits(g: GraphIndex, plan: QuantPlan): Set<string> {
  const head = new Set(plan.excluded.filter((e) => e.reason === 'postprocess' || e.reason === 'feeds-postprocess').map((e) => e.name));
  return new Set([...plan.tensors.keys()].filter((t) => (g.consumers.get(t) ?? []).some((c) => head.has(c.name ?? ''))));
}

export function setMetadata(model: onnx.ModelProto, key: string, value: string): void {
  const existing = model.metadataProps.find((p) => p.key === key);
  if (existing) existing.value = value;
  else model.metadataProps.push(onnx.StringStringEntryProto.create({ key, value }));
}

/**
 * A float model with the quantizer's float-graph rewrite (the DFL Softmax over the last axis, see dfl.ts) and,
 * with uint8Input, the /255 folded into a DequantizeLinear so that it takes the letterboxed bytes; no calibration.
 * It is the FP32 model to compare an INT8 model from quantizeModel with.
 */
export async function writeFloatModel(modelPath: string, out: string, options: { uint8Input: boolean }): Promise<{ outputBytes: number; dflRewritten: number }> {
  await checkWritable(out, modelPath);
  const model = decodeModel(await readModelBytes(modelPath), modelPath);
  requireEmbeddedWeights(model, modelPath);
  hoistConstants(model.graph as onnx.GraphProto); // as quantizeModel: the same DFL rewrite
  const info = describeModel(model, modelPath);
  checkInputSize(info); // a model the detector refuses, as quantizeModel's
  if (info.inputType !== 'float32') throw new YoloEdgeError(`${modelPath} already takes ${info.inputType} input`, 'NOT_FLOAT');
  if (info.precision === 'int8') throw new YoloEdgeError(`${modelPath} is quantized; write the float model from its FP32 original`, 'ALREADY_QUANTIZED');
  if (info.precision === 'fp16') throw new YoloEdgeError(`${modelPath} is a float16 model; write the float model from its FP32 original`, 'NOT_FLOAT');
  const dflRewritten = rewriteDflSoftmax(model.graph as onnx.GraphProto);
  if (options.uint8Input) foldUint8InputFloat(model);
  setMetadata(model, 'quantization', JSON.stringify({ uint8Input: options.uint8Input, weights: 'float32', dflSoftmaxLastAxis: dflRewritten > 0, tool: 'node-red-contrib-yolo-edge' }));
  const bytes = encodeModel(model);
  await checkLoads(bytes, 'float model');
  await writeAtomic(out, bytes);
  return { outputBytes: bytes.length, dflRewritten };
}
