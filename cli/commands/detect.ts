import { promises as fs } from 'fs';
import { Detector } from '../../lib/detector';
import { resolveCliModelPath } from '../../lib/model/resolve-path';
import { flag, list, num, parse, str } from '../args';
import { Command, detectorOptions, sessionOptions } from './command';

export const detect: Command = {
  summary: 'detect objects in images, one JSON line per image',
  usage: 'yolo-edge detect --model M [--conf 0.25] [--iou 0.7] [--classes a,b] [--max-det 300] [--agnostic] [--threads N] [--json] IMAGE...',
  async run(argv) {
    const p = parse(argv, { model: { type: 'string' }, conf: { type: 'string' }, iou: { type: 'string' }, classes: { type: 'string' }, 'max-det': { type: 'string' }, agnostic: { type: 'boolean' }, json: { type: 'boolean' }, ...sessionOptions });
    if (p.positionals.length === 0) throw new Error('no images given');
    const detector = await Detector.create(resolveCliModelPath(str(p, 'model')), detectorOptions(p));
    try {
      const options = { confidence: num(p, 'conf', 0.25, 0, 1), iou: num(p, 'iou', 0.7, 0, 1), classes: list(p, 'classes'), maxDetections: num(p, 'max-det', 300, 1), agnostic: flag(p, 'agnostic') };
      for (const file of p.positionals) {
        const r = await detector.detect(await fs.readFile(file), options);
        if (flag(p, 'json')) {
          process.stdout.write(JSON.stringify({ file, width: r.imageWidth, height: r.imageHeight, detections: r.detections, timings: r.timings }) + '\n');
        } else {
          const summary = r.detections.map((d) => `${d.class} ${d.score.toFixed(2)}`).join(', ') || 'nothing';
          process.stdout.write(`${file}: ${summary} (${r.timings.total.toFixed(1)} ms)\n`);
        }
      }
    } finally {
      await detector.close();
    }
  },
};

