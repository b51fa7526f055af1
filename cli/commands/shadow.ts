import { Detector } from '../../lib/detector';
import { listSplit } from '../../lib/tools/eval/dataset';
import { usableImages } from '../../lib/tools/eval/usable-images';
import { compareModels, ModelComparison } from '../../lib/shadow/compare-models';
import { classNamesWarning } from '../../lib/shadow/agreement';
// model-config only imports node-red types, so the CLI can share its model naming.
import { describeDetector } from '../../lib/detector';
import { flag, int, num, parse, required, split } from '../args';
import { modelFile, refuseMissing } from '../model-file';
import { Command, detectorOptions, endLine, progress, sessionOptions, warnLine, warnNmsOptionsUnused } from './command';

function printComparison(c: ModelComparison, production: Detector, candidate: Detector): void {
  const name = (d: Detector): string => {
    const v = describeDetector(d);
    return `${v.file} (sha256 ${v.sha256.slice(0, 12)}, version ${v.version ?? '-'}, ${v.date ?? '-'}, ${v.precision})`;
  };
  const f = (x: number | null, digits = 4): string => (x === null ? '-' : x.toFixed(digits));
  process.stdout.write(`production ${name(production)}\ncandidate  ${name(candidate)}\n`);
  process.stdout.write(`images ${c.images}  boxes production ${c.productionBoxes} candidate ${c.candidateBoxes} matched ${c.matched}\n`);
  process.stdout.write(`mean F1 ${f(c.meanF1)}  precision ${f(c.meanPrecision)}  recall ${f(c.meanRecall)}  mean |score delta| ${f(c.meanAbsScoreDelta)}\n`);
  process.stdout.write(`mean raw output |diff| ${f(c.meanRawDiff)}  p95 inference production ${f(c.window.p95ProductionMs, 1)} ms candidate ${f(c.window.p95CandidateMs, 1)} ms ratio ${f(c.window.p95LatencyRatio, 3)}\n`);
}

export const shadow: Command = {
  summary: 'agreement of a candidate model with production on a folder of images or an Ultralytics data.yaml (what the shadow-test node reports)',
  usage: 'yolo-edge shadow --production M --candidate M --data DIR|data.yaml [--split all|even|odd|train|val|test] [--conf 0.25] [--iou 0.7] [--match-iou 0.5] [--limit N] [--threads N] [--provider P] [--json]\n' +
    '       (a data.yaml is read at its val split; --split train or test reads that one, --split even or odd half of val)',
  async run(argv) {
    const p = parse(argv, { production: { type: 'string' }, candidate: { type: 'string' }, data: { type: 'string' }, split: { type: 'string' }, conf: { type: 'string' }, iou: { type: 'string' }, 'match-iou': { type: 'string' }, limit: { type: 'string' }, json: { type: 'boolean' }, ...sessionOptions });
    // every option's value first, as the other commands do: a value mistake shows without reading the dataset or loading a model
    const o = {
      production: required(p, 'production'), candidate: required(p, 'candidate'), data: required(p, 'data'), split: split(p, required(p, 'data')),
      limit: int(p, 'limit', Infinity, 1), detect: { confidence: num(p, 'conf', 0.25, 0, 1), iou: num(p, 'iou', 0.7, 0, 1) }, matchIou: num(p, 'match-iou', 0.5, 0, 1),
      session: detectorOptions(p),
    };
    // both files before the dataset is read (every image of it decoded) and production loaded, as bench checks its models
    const files = { production: modelFile(o.production, 'production'), candidate: modelFile(o.candidate, 'candidate') };
    refuseMissing([files.production, files.candidate]);
    // the first --limit usable images: one that cannot be read or decoded is left out and named, as in eval
    const images = (await usableImages(await listSplit(o.data, o.split, warnLine), o.data, { warn: warnLine, limit: o.limit })).map((i) => i.image);
    const production = await Detector.create(files.production, o.session);
    try {
      const candidate = await Detector.create(files.candidate, o.session);
      try {
        for (const d of [production, candidate]) warnNmsOptionsUnused(p, d, ['iou']);
        const names = classNamesWarning(production.info.names, candidate.info.names);
        if (names) warnLine(`${names}, and detections change their class names and ids when the candidate replaces production`);
        const c = await compareModels(production, candidate, images, o.detect, o.matchIou, (done, total) => progress(`${done}/${total}`));
        endLine();
        if (flag(p, 'json')) process.stdout.write(JSON.stringify({ production: describeDetector(production), candidate: describeDetector(candidate), ...c }) + '\n');
        else printComparison(c, production, candidate);
      } finally {
        await candidate.close();
      }
    } finally {
      await production.close();
    }
  },
};
