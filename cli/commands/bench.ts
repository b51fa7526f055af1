import { runBench, markdownTable } from '../../lib/bench/bench';
import { parseSplit } from '../../lib/eval/dataset';
import { resolveModelPath } from '../../lib/model/resolve-path';
import { flag, list, num, parse, required, str, UsageError } from '../args';
import { Command, err } from './command';

export const bench: Command = {
  summary: 'interleaved latency (session-only and end-to-end), CPU, memory, size and mAP of one or more models',
  usage: 'yolo-edge bench --model A.onnx [--model B.onnx ...] --images DIR [--threads 1,2,4] [--runs 50] [--warmup 3] [--split all|even|odd] [--max-images N] [--no-accuracy] [--json]',
  async run(argv) {
    const p = parse(argv, {
      model: { type: 'string', multiple: true }, images: { type: 'string' }, threads: { type: 'string' }, runs: { type: 'string' }, warmup: { type: 'string' },
      split: { type: 'string' }, 'max-images': { type: 'string' }, 'no-accuracy': { type: 'boolean' }, json: { type: 'boolean' },
    });
    const models = list(p, 'model');
    if (models.length === 0) throw new UsageError('at least one --model is required');
    const threads = (str(p, 'threads') ?? '1,2').split(',').map((s) => Number(s.trim()));
    if (threads.some((t) => !Number.isInteger(t) || t < 1 || t > 256)) throw new UsageError(`--threads takes whole numbers like 1,2,4, got '${str(p, 'threads')}'`);
    const result = await runBench({
      models: models.map((m) => resolveModelPath(m, [process.cwd()])),
      images: required(p, 'images'),
      threads,
      runs: num(p, 'runs', 50, 1),
      warmup: num(p, 'warmup', 3, 0),
      split: parseSplit(str(p, 'split')),
      maxImages: num(p, 'max-images', 0, 0),
      accuracy: !flag(p, 'no-accuracy'),
      progress: (m) => err(`\r${m}   `),
    });
    err('\n');
    process.stdout.write(flag(p, 'json') ? JSON.stringify(result) + '\n' : markdownTable(result));
  },
};
