import { runBench, markdownTable } from '../../lib/tools/bench/bench';
import type { BenchFailure } from '../../lib/tools/bench/failure';
import { nodeRedMarkdown, runNodeRedBenches } from '../../lib/tools/bench/node-red-bench';
import { resolveCliModelPath } from '../../lib/model/resolve-path';
import { MAX_THREADS } from '../../lib/runtime/threads';
import { flag, int, num, parse, Parsed, refuseUnused, repeated, required, split, str, UsageError } from '../args';
import { modelFile, refuseMissing } from '../model-file';
import { Command, endLine, progress, warnLine } from './command';

/** What a bench mode prints, and the model x thread-count runs that failed. */
interface Outcome {
  text: string;
  failed: BenchFailure[];
}

/** A bench mode with its options checked, ready to run. */
type Start = () => Promise<Outcome>;

function modelPaths(p: Parsed): string[] {
  const models = repeated(p, 'model').map((m) => resolveCliModelPath(m));
  if (models.length === 0) throw new UsageError('at least one --model is required');
  return models;
}

function threadCounts(p: Parsed): number[] {
  const threads = (str(p, 'threads') ?? '1,2').split(',').map((s) => Number(s.trim()));
  if (threads.some((t) => !Number.isInteger(t) || t < 1 || t > MAX_THREADS)) throw new UsageError(`--threads takes whole numbers from 1 to ${MAX_THREADS} like 1,2,4, got '${str(p, 'threads')}'`);
  return threads;
}

/**
 * The stream's length: at most a day. Past Node's timer range (24.8 days) the wait for its end fired at once, and the
 * row showed a stream of no frames (loop delay 0.0, frames 0/0) as a measurement.
 */
const MAX_STREAM_SECONDS = 86400;

function nodeRedMode(p: Parsed, models: string[], threads: number[]): Start {
  // the Node-RED bench takes the first 16 images and measures no accuracy: these would be silently ignored
  refuseUnused(p, ['split', 'max-images', 'warmup', 'no-accuracy'], 'to --node-red');
  const options = {
    models, images: required(p, 'images'), threads, runs: int(p, 'runs', 30, 1), streamSeconds: num(p, 'seconds', 60, 1, MAX_STREAM_SECONDS), fps: num(p, 'fps', 10, 0.1, 100),
    progress, warn: warnLine,
  };
  return async () => {
    const r = await runNodeRedBenches(options);
    return { text: flag(p, 'json') ? JSON.stringify(r) + '\n' : nodeRedMarkdown(r.rows, r.failed), failed: r.failed };
  };
}

function plainMode(p: Parsed, models: string[], threads: number[]): Start {
  const options = {
    models,
    images: required(p, 'images'),
    threads,
    runs: int(p, 'runs', 50, 1),
    warmup: int(p, 'warmup', 3, 0),
    split: split(p, required(p, 'images')),
    maxImages: int(p, 'max-images', 0, 0),
    accuracy: !flag(p, 'no-accuracy'),
    progress,
    warn: warnLine,
  };
  return async () => {
    const r = await runBench(options);
    return { text: flag(p, 'json') ? JSON.stringify(r) + '\n' : markdownTable(r), failed: r.failed };
  };
}

export const bench: Command = {
  summary: 'interleaved latency (session-only and end-to-end), CPU, memory, size and mAP of one or more models',
  usage: 'yolo-edge bench --model A.onnx [--model B.onnx ...] --images DIR|data.yaml [--threads 1,2] [--runs 50] [--warmup 3] [--split all|even|odd|train|val|test] [--max-images N] [--no-accuracy] [--json]\n' +
    '       yolo-edge bench --node-red --model A.onnx [--model B.onnx ...] --images DIR|data.yaml [--threads 1,2] [--runs 30] [--seconds 60 (at most 86400)] [--fps 10] [--json]\n' +
    '       (a data.yaml is read at its val split; --split train or test reads that one, --split even or odd half of val)\n' +
    '       (a model that fails to load or on a frame is listed as failed with its error code, the others are measured; exit 1 if any failed.\n' +
    '        A --model file that does not exist is refused before anything is measured.)',
  async run(argv) {
    const p = parse(argv, {
      model: { type: 'string', multiple: true }, images: { type: 'string' }, threads: { type: 'string' }, runs: { type: 'string' }, warmup: { type: 'string' },
      split: { type: 'string' }, 'max-images': { type: 'string' }, 'no-accuracy': { type: 'boolean' }, json: { type: 'boolean' },
      'node-red': { type: 'boolean' }, seconds: { type: 'string' }, fps: { type: 'string' },
    });
    const models = modelPaths(p);
    const threads = threadCounts(p);
    const start = flag(p, 'node-red') ? nodeRedMode(p, models, threads) : plainMode(p, models, threads);
    // before anything is measured; modelFile first: a symlink loop does not exist for existsSync
    refuseMissing(models.map((m) => modelFile(m, 'model')));
    const out = await start();
    endLine();
    process.stdout.write(out.text);
    if (out.failed.length) {
      const which = out.failed.map((f) => `${f.model} at ${f.threads} thread(s) (${f.code})`).join(', ');
      throw new Error(`${out.failed.length} of ${models.length * threads.length} model runs failed: ${which}`);
    }
  },
};
