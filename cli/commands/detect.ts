import { Detector, DetectionResult } from '../../lib/detector';
import { detectFile } from '../../lib/detect-file';
import * as path from 'path';
import { asUsageError, flag, int, list, num, parse, str, UsageError } from '../args';
import { modelFile } from '../model-file';
import { Command, detectorOptions, err, sessionOptions, warnNmsOptionsUnused } from './command';

/** A --classes name the model lacks is a mistake in the option (exit 2): the message lists the names it has. */
function checkClasses(detector: Detector, classes: string[]): void {
  try {
    detector.checkOptions({ classes });
  } catch (e) {
    const { names } = detector.info;
    throw asUsageError(e, ['BAD_CLASS'], `--classes takes the class names of ${path.basename(detector.info.path)} (or ids 0-${names.length - 1}): ${names.join(', ')}`);
  }
}

function printResult(file: string, r: DetectionResult, json: boolean): void {
  if (json) {
    process.stdout.write(JSON.stringify({ file, width: r.imageWidth, height: r.imageHeight, detections: r.detections, timings: r.timings }) + '\n');
    return;
  }
  const summary = r.detections.map((d) => `${d.class} ${d.score.toFixed(2)}`).join(', ') || 'nothing';
  process.stdout.write(`${file}: ${summary} (${r.timings.total.toFixed(1)} ms)\n`);
}

export const detect: Command = {
  summary: 'detect objects in images, one line per image (JSON with --json)',
  usage: 'yolo-edge detect [--model M] [--conf 0.25] [--iou 0.7] [--classes a,b] [--max-det 300] [--agnostic] [--threads N] [--provider P] [--json] IMAGE...   (an image that cannot be read or decoded is named on stderr and skipped; exit 1 if any was)',
  async run(argv) {
    const p = parse(argv, { model: { type: 'string' }, conf: { type: 'string' }, iou: { type: 'string' }, classes: { type: 'string', multiple: true }, 'max-det': { type: 'string' }, agnostic: { type: 'boolean' }, json: { type: 'boolean' }, ...sessionOptions });
    if (p.positionals.length === 0) throw new UsageError('no images given');
    // the values first: a --conf typo is reported without loading the model
    const options = { confidence: num(p, 'conf', 0.25, 0, 1), iou: num(p, 'iou', 0.7, 0, 1), classes: list(p, 'classes'), maxDetections: int(p, 'max-det', 300, 1), agnostic: flag(p, 'agnostic') };
    const detector = await Detector.create(modelFile(str(p, 'model'), 'model'), detectorOptions(p));
    try {
      // the class names are the model's: checked once it is loaded, and once for all images
      checkClasses(detector, options.classes);
      warnNmsOptionsUnused(p, detector, ['iou', 'agnostic']);
      let failed = 0;
      for (const file of p.positionals) {
        try {
          printResult(file, await detectFile(detector, file, options), flag(p, 'json'));
        } catch (e) {
          failed++;
          err(`yolo-edge detect: ${(e as Error).message}\n`);
        }
      }
      if (failed > 0) throw new Error(`${failed} of ${p.positionals.length} image(s) failed`);
    } finally {
      await detector.close();
    }
  },
};
