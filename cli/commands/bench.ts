import { runBench, markdownTable } from '../../lib/tools/bench/bench';
import { nodeRedMarkdown, NodeRedBenchResult, runNodeRedBench } from '../../lib/tools/bench/node-red-bench';
import { resolveCliModelPath } from '../../lib/model/resolve-path';
import { MAX_THREADS } from '../../lib/runtime/threads';
import { flag, list, num, parse, required, split, str, UsageError } from '../args';
import * as path from 'path';
import { Command, err, warnLine } from './command';

export const bench: Command = {
  summary: 'interleaved latency (session-only and end-to-end), CPU, memory, size and mAP of one or more models',
  usage: 'yolo-edge bench --model A.onnx [--model B.onnx ...] --images DIR [--threads 1,2] [--runs 50] [--warmup 3] [--split all|even|odd] [--max-images N] [--no-accuracy] [--json]\n' +
    '       yolo-edge bench --node-red --model A.onnx [--model B.onnx ...] --images DIR [--threads 1,2] [--runs 30] [--seconds 60] [--fps 10] [--json]',
  async run(argv) {
    const p = parse(argv, {
      model: { type: 'string', multiple: true }, images: { type: 'string' }, threads: { type: 'string' }, runs: { type: 'string' }, warmup: { type: 'string' },
      split: { type: 'string' }, 'max-images': { type: 'string' }, 'no-accuracy': { type: 'boolean' }, json: { type: 'boolean' },
      'node-red': { type: 'boolean' }, seconds: { type: 'string' }, fps: { type: 'string' },
    });
    const models = list(p, 'model');
    if (models.length === 0) throw new UsageError('at least one --model is required');
    const threads = (str(p, 'threads') ?? '1,2').split(',').map((s) => Number(s.trim()));
    if (threads.some((t) => !Number.isInteger(t) || t < 1 || t > MAX_THREADS)) throw new UsageError(`--threads takes whole numbers from 1 to ${MAX_THREADS} like 1,2,4, got '${str(p, 'threads')}'`);
    if (flag(p, 'node-red')) {
      // the Node-RED bench takes the first 16 images and measures no accuracy: these would be silently ignored
      const unused = ['split', 'max-images', 'warmup', 'no-accuracy'].filter((o) => p.values[o] !== undefined);
      if (unused.length) throw new UsageError(`--${unused.join(', --')} ${unused.length === 1 ? 'does' : 'do'} not apply to --node-red`);
      const results: NodeRedBenchResult[] = [];
      for (const t of threads) {
        for (const m of models) {
          results.push(await runNodeRedBench({
            model: resolveCliModelPath(m), images: required(p, 'images'), threads: t, runs: num(p, 'runs', 30, 1),
            streamSeconds: num(p, 'seconds', 60, 1), fps: num(p, 'fps', 10, 0.1, 100), progress: (msg) => err(`\r${path.basename(m)} x${t}: ${msg}        `), warn: (msg) => warnLine(msg, true),
          }));
        }
      }
      err('\n');
      process.stdout.write(flag(p, 'json') ? JSON.stringify(results) + '\n' : nodeRedMarkdown(results));
      return;
    }
    const result = await runBench({
      models: models.map((m) => resolveCliModelPath(m)),
      images: required(p, 'images'),
      threads,
      runs: num(p, 'runs', 50, 1),
      warmup: num(p, 'warmup', 3, 0),
      split: split(p),
      maxImages: num(p, 'max-images', 0, 0),
      accuracy: !flag(p, 'no-accuracy'),
      progress: (m) => err(`\r${m}   `),
      warn: (m) => warnLine(m, true),
    });
    err('\n');
    process.stdout.write(flag(p, 'json') ? JSON.stringify(result) + '\n' : markdownTable(result));
  },
};
