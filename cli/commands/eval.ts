import { Detector } from '../../lib/detector';
import { listSplit } from '../../lib/tools/eval/dataset';
import { evaluate } from '../../lib/tools/eval/evaluate';
import { Metrics } from '../../lib/tools/eval/metrics';
import { flag, int, num, parse, Parsed, required, split, str, UsageError } from '../args';
import { modelFile } from '../model-file';
import { Command, detectorOptions, endLine, progress, sessionOptions, warnLine, warnNmsOptionsUnused } from './command';

function printMetrics(m: Metrics, names: string[]): void {
  const pct = (x: number): string => (100 * x).toFixed(1).padStart(6);
  process.stdout.write(`images ${m.images}  labels ${m.labels}\n`);
  process.stdout.write(`mAP50 ${m.map50.toFixed(4)}  mAP50-95 ${m.map50_95.toFixed(4)}  P ${m.precision.toFixed(4)}  R ${m.recall.toFixed(4)} (at conf ${m.operatingConfidence})\n\n`);
  process.stdout.write(`${'class'.padEnd(16)} labels   AP50 AP50-95      P      R\n`);
  for (const c of m.perClass) {
    process.stdout.write(`${(names[c.classId] ?? String(c.classId)).slice(0, 15).padEnd(16)} ${String(c.labels).padStart(6)} ${pct(c.ap50)} ${pct(c.ap50_95)} ${pct(c.precision)} ${pct(c.recall)}\n`);
  }
}

/**
 * P and R are taken at --op-conf among the detections --conf kept: below --conf they were P and R at --conf, printed
 * as at --op-conf. Its default follows a higher --conf; a lower one given is refused.
 */
function operatingConfidenceOf(p: Parsed, confidence: number): number {
  const op = num(p, 'op-conf', Math.max(0.25, confidence), 0, 1);
  if (op < confidence) throw new UsageError(`--op-conf ${op} is below --conf ${confidence}: detections under ${confidence} are dropped before P and R are taken; give --op-conf of at least ${confidence}`);
  return op;
}

export const evalCmd: Command = {
  summary: 'mAP50, mAP50-95, per-class AP, precision and recall on a YOLO dataset folder or an Ultralytics data.yaml',
  usage: 'yolo-edge eval [--model M] --data DIR|data.yaml [--conf 0.001] [--iou 0.7] [--max-det 300] [--op-conf 0.25 (at least --conf)] [--multi-label] [--agnostic] [--split all|even|odd|train|val|test] [--threads N] [--provider P] [--json]\n' +
    '       (a data.yaml is read at its val split, as Ultralytics validates; --split train or test reads that one, --split even or odd half of val)',
  async run(argv) {
    const p = parse(argv, { model: { type: 'string' }, data: { type: 'string' }, conf: { type: 'string' }, iou: { type: 'string' }, 'max-det': { type: 'string' }, 'op-conf': { type: 'string' }, 'multi-label': { type: 'boolean' }, split: { type: 'string' }, agnostic: { type: 'boolean' }, json: { type: 'boolean' }, ...sessionOptions });
    const data = required(p, 'data');
    // every option's value before the dataset is read or the model loaded
    const half = split(p, data);
    const confidence = num(p, 'conf', 0.001, 0, 1);
    const options = {
      confidence,
      iou: num(p, 'iou', 0.7, 0, 1),
      maxDetections: int(p, 'max-det', 300, 1),
      operatingConfidence: operatingConfidenceOf(p, confidence),
      multiLabel: flag(p, 'multi-label'),
      agnostic: flag(p, 'agnostic'),
    };
    const session = detectorOptions(p);
    const model = modelFile(str(p, 'model'), 'model');
    const keep = new Set((await listSplit(data, half, warnLine)).map((it) => it.image));
    const detector = await Detector.create(model, session);
    try {
      warnNmsOptionsUnused(p, detector, ['iou', 'agnostic', 'multi-label']);
      const metrics = await evaluate(detector, data, {
        ...options,
        split: half,
        filter: (image) => keep.has(image),
        progress: (done, total) => progress(`${done}/${total}`),
        warn: (m) => warnLine(m),
      });
      endLine();
      if (flag(p, 'json')) process.stdout.write(JSON.stringify({ model: detector.info.path, data, ...metrics, perClass: metrics.perClass.map((c) => ({ ...c, class: detector.info.names[c.classId] })) }) + '\n');
      else printMetrics(metrics, detector.info.names);
    } finally {
      await detector.close();
    }
  },
};

