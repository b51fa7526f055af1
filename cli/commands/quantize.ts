import { CalibratorKind } from '../../lib/tools/quantize/calibrators';
import { quantizeModel, QuantizeReport, writeFloatModel } from '../../lib/tools/quantize/quantize';
import { QuantType } from '../../lib/tools/quantize/params';
import { DEFAULT_TARGET, QuantTarget, TARGETS } from '../../lib/tools/quantize/targets';
import { MAX_THREADS } from '../../lib/runtime/threads';
import { asUsageError, flag, int, list, num, Options, parse, Parsed, refuseUnused, required, split, str, UsageError } from '../args';
import { Command, endLine, progress, warnLine } from './command';
import { outputFile } from '../output';
import { modelFile } from '../model-file';

function oneOf<T extends string>(v: string, allowed: readonly T[], key: string): T {
  if (!(allowed as readonly string[]).includes(v)) throw new UsageError(`--${key} must be one of ${allowed.join(', ')}, got '${v}'`);
  return v as T;
}

/** --samples N|all (0 means all); 'all' is named in the error, as it is the other accepted value. */
function samplesOf(p: Parsed): number {
  const v = str(p, 'samples');
  if (v === 'all') return 0;
  const n = v === undefined ? 200 : Number(v);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`--samples must be a whole number of images of at least 1, or all, got '${v}'`);
  return n;
}

/** --accuracy-budget POINTS; --holdout and --budget-max-layers tune it and mean nothing without it. */
function budgetOf(p: Parsed): number | undefined {
  if (p.values['accuracy-budget'] === undefined) {
    refuseUnused(p, ['holdout', 'budget-max-layers'], 'without --accuracy-budget');
    return undefined;
  }
  return num(p, 'accuracy-budget', 1, 0, 100);
}

const OPTIONS: Options = {
  model: { type: 'string' }, calib: { type: 'string' }, out: { type: 'string' }, samples: { type: 'string' }, seed: { type: 'string' },
  split: { type: 'string' }, calibrator: { type: 'string' }, percentile: { type: 'string' }, 'activation-type': { type: 'string' },
  symmetric: { type: 'boolean' }, 'per-tensor': { type: 'boolean' }, 'reduce-range': { type: 'boolean' }, target: { type: 'string' }, 'uint8-input': { type: 'boolean' },
  fp32: { type: 'boolean' }, 'quantize-stem': { type: 'boolean' }, exclude: { type: 'string', multiple: true }, 'accuracy-budget': { type: 'string' }, holdout: { type: 'string' }, 'budget-max-layers': { type: 'string' },
  threads: { type: 'string' }, json: { type: 'boolean' },
};

/** What --fp32 (the float model to compare with, no calibration) reads; the rest of OPTIONS would be ignored. */
const FP32_OPTIONS = ['model', 'out', 'fp32', 'uint8-input', 'json'];

function printReport(r: QuantizeReport): void {
  const mb = (n: number): string => (n / 1e6).toFixed(2);
  process.stdout.write(`${r.out}: ${mb(r.outputBytes)} MB (${((100 * r.outputBytes) / r.inputBytes).toFixed(1)}% of ${mb(r.inputBytes)} MB)\n`);
  const leftOut = r.imagesLeftOut ? ` (${r.imagesLeftOut} image(s) of the folder left out: they cannot be read or decoded)` : '';
  process.stdout.write(`calibrated on ${r.calibrationImages} images${leftOut} with ${r.settings.calibrator} in ${(r.calibrationMs / 1000).toFixed(1)} s; total ${(r.totalMs / 1000).toFixed(1)} s\n`);
  process.stdout.write(`target ${r.settings.target}: ${r.settings.weightBits}-bit weights (${r.settings.imageWeightBits}-bit in Convs that read the image), 8-bit activations\n`);
  process.stdout.write(`quantized ${r.quantizedNodes} nodes (${r.quantizedConvs} Conv); float: ${r.floatNodes.filter((f) => f.reason !== 'unsupported').length} nodes\n`);
  const byReason = new Map<string, string[]>();
  for (const f of r.floatNodes) byReason.set(f.reason, [...(byReason.get(f.reason) ?? []), f.name]);
  for (const [reason, names] of byReason) process.stdout.write(`  ${reason}: ${names.length} (${names.slice(0, 4).join(', ')}${names.length > 4 ? ', ...' : ''})\n`);
  if (r.budget) {
    const b = r.budget;
    process.stdout.write(`accuracy budget ${b.budget} mAP50 points on ${b.holdoutImages} held-aside images (reference: ${b.reference}): estimated loss ${b.lossAllQuantized.toFixed(2)} all quantized -> ${b.lossFinal.toFixed(2)}${b.withinBudget ? '' : ' (NOT within budget)'}\n`);
    for (const l of b.keptFloat) process.stdout.write(`  kept float: ${l.conv} (output error removed ${l.sensitivity.toExponential(2)})\n`);
    if (b.keptFloat.length === 0) process.stdout.write(`  most sensitive: ${b.ranking.slice(0, 3).map((l) => `${l.conv} (${l.sensitivity.toExponential(2)})`).join(', ')}\n`);
  }
}

export const quantize: Command = {
  summary: 'INT8 static quantization (QDQ, per-channel) calibrated on a folder of images or an Ultralytics data.yaml',
  usage:
    'yolo-edge quantize --model IN.onnx --calib DIR|data.yaml --out OUT.onnx [--samples 200|all] [--seed 0] [--split all|even|odd|train|val|test] ' +
    '[--calibrator minmax|entropy|percentile [--percentile 99.999]] [--activation-type uint8|int8] [--symmetric] [--per-tensor] ' +
    `[--target auto|${TARGETS.join('|')} (${DEFAULT_TARGET})] [--reduce-range] [--uint8-input] [--quantize-stem] [--exclude PATTERN,...] [--accuracy-budget POINTS [--holdout 16] [--budget-max-layers 12]] [--threads N] [--json]\n` +
    '       yolo-edge quantize --model IN.onnx --fp32 --out OUT.onnx [--uint8-input] [--json]   (the float model to compare an INT8 one with, no calibration)\n' +
    '       (a data.yaml calibrates on its val split, as Ultralytics\' INT8 export does; --split train or test on that one, --split even or odd on half of val)',
  async run(argv) {
    const p = parse(argv, OPTIONS);
    const modelArg = required(p, 'model');
    const outArg = required(p, 'out');
    if (flag(p, 'fp32')) {
      refuseUnused(p, Object.keys(OPTIONS).filter((k) => !FP32_OPTIONS.includes(k)), 'to --fp32 (it calibrates nothing)');
      const uint8Input = flag(p, 'uint8-input');
      const model = modelFile(modelArg, 'model');
      const out = await outputFile(outArg, model);
      const r = await writeFloatModel(model, out, { uint8Input });
      const what = `float model${uint8Input ? ' with uint8 input' : ''}${r.dflRewritten ? ', DFL Softmax over the last axis' : ''}`;
      process.stdout.write(flag(p, 'json') ? JSON.stringify({ model, out, ...r }) + '\n' : `${out}: ${what}, ${(r.outputBytes / 1e6).toFixed(2)} MB\n`);
      return;
    }
    // every option's value first, then --out: a typo in --calibrator is reported before the folder is looked at
    const calib = required(p, 'calib');
    const calibrator = oneOf<CalibratorKind>(str(p, 'calibrator', 'minmax') as string, ['minmax', 'percentile', 'entropy'], 'calibrator');
    if (calibrator !== 'percentile') refuseUnused(p, ['percentile'], `to --calibrator ${calibrator}`);
    const options = {
      calib,
      samples: samplesOf(p),
      seed: int(p, 'seed', 0, 0),
      split: split(p, calib),
      calibrator,
      percentile: num(p, 'percentile', 99.999, 50, 100),
      activationType: oneOf<QuantType>(str(p, 'activation-type', 'uint8') as string, ['uint8', 'int8'], 'activation-type'),
      activationSymmetric: flag(p, 'symmetric'),
      perChannel: !flag(p, 'per-tensor'),
      target: oneOf<QuantTarget | 'auto'>(str(p, 'target', DEFAULT_TARGET) as string, ['auto', ...TARGETS], 'target'),
      reduceRange: flag(p, 'reduce-range'),
      uint8Input: flag(p, 'uint8-input'),
      exclude: list(p, 'exclude'),
      quantizeStem: flag(p, 'quantize-stem'),
      accuracyBudget: budgetOf(p),
      holdout: int(p, 'holdout', 16, 1),
      budgetMaxLayers: int(p, 'budget-max-layers', 12, 0),
      threads: int(p, 'threads', 0, 0, MAX_THREADS) || undefined,
      progress,
      warn: warnLine,
    };
    // Like detect, eval, bench and shadow: the user's file first; a bare name not found here is the package's model.
    const model = modelFile(modelArg, 'model');
    // an --exclude pattern that names no node of the model is a mistake in the option, as a --classes name is
    const report = await quantizeModel({ ...options, model, out: await outputFile(outArg, model) }).catch((e: unknown) => {
      throw asUsageError(e, ['BAD_CONFIG']);
    });
    endLine();
    if (flag(p, 'json')) process.stdout.write(JSON.stringify(report) + '\n');
    else printReport(report);
  },
};
