import * as os from 'os';
import { Detector } from '../../detector';
import { YoloEdgeError } from '../../errors';
import { hasLabels, listSplit, requireLabelFiles, Split } from '../eval/dataset';
import { evaluate } from '../eval/evaluate';
import { usableImages } from '../eval/usable-images';
import type { ModelInfo } from '../../model/model-info';
import { optimizedOpCounts } from './fusion';
import { BenchFailure, benchFailure, failureLines } from './failure';
import { modelNames } from './model-names';
import { median, percentile } from '../../stats';

export interface BenchOptions {
  models: string[];
  images: string;
  threads: number[];
  runs: number;
  warmup: number;
  split: Split;
  /** At most this many images are loaded (0: all of the split). */
  maxImages: number;
  /** mAP50 / mAP50-95 when the folder has labels. */
  accuracy: boolean;
  progress?: (message: string) => void;
  /** Load-time warnings of the models (e.g. a thread count over the cores, which is capped), a failed fusion check. */
  warn?: (message: string) => void;
}

export const DEFAULT_BENCH: Omit<BenchOptions, 'models' | 'images'> = { threads: [1, 2], runs: 50, warmup: 3, split: 'all', maxImages: 0, accuracy: true };

export interface Latency {
  median: number;
  p90: number;
}

export interface BenchRow {
  model: string;
  precision: ModelInfo['precision'];
  inputType: string;
  threads: number;
  fileBytes: number;
  session: Latency;
  e2e: Latency;
  /** e2e median / session median: what decoding, letterbox and NMS add. */
  e2eOverSession: number;
  /** Frames per second, one stream, from the e2e median. */
  fps: number;
  /** Process CPU time over wall time during this model's end-to-end runs (100 = one core). */
  cpuPercent: number;
  /** Session median relative to the first model measured at the same thread count. */
  sessionVsFirst: number;
  map50?: number;
  map50_95?: number;
}

export interface FusionCheck {
  model: string;
  /** Conv nodes onnxruntime runs as QLinearConv, as float Conv, and loose DequantizeLinear nodes left. */
  qlinearConv: number;
  floatConv: number;
  dequantizeLinear: number;
}

export interface BenchResult {
  fusion: FusionCheck[];
  rows: BenchRow[];
  /** Models that failed to load or on a frame, per thread count; they have no row there. */
  failed: BenchFailure[];
  /** Images read: the frames the runs cycle through, or every chosen one when mAP is measured. */
  images: number;
  runs: number;
  split: Split;
  peakRssMB: number;
  machine: { cpus: string; cores: number; node: string; platform: string };
  date: string;
}

interface Track {
  /** The model's name in the bench (modelNames). */
  model: string;
  detector: Detector;
  session: number[];
  e2e: number[];
  cpuMs: number;
  wallMs: number;
  metrics?: { map50: number; map50_95: number };
}

interface ImageSet {
  /** The frames the timed runs cycle through. */
  images: Buffer[];
  /** How many images the bench reads: those frames, or every chosen one when mAP is measured. */
  read: number;
  /** The chosen images' paths, for evaluate(), when mAP is measured. */
  labelled?: Set<string>;
}

async function loadImages(o: BenchOptions): Promise<ImageSet> {
  const items = await listSplit(o.images, o.split, o.warn);
  const wanted = o.maxImages > 0 ? o.maxImages : Infinity;
  const withLabels = o.accuracy && (await hasLabels(o.images, o.split));
  // before anything is measured: found by evaluate() after the runs, it failed every model in turn (NO_LABELS)
  if (withLabels) await requireLabelFiles(items.slice(0, wanted), o.images).catch(withoutAccuracyHint);
  // Only the frames the runs use are held: every image of the folder was, so 150 photos of 2.5 MB took the process
  // to 685 MB (counted in the peak RSS the bench reports), and a Pi ran out of memory on a folder of thousands.
  const held = Math.max(o.runs, o.warmup, 1);
  // Each image read is decoded once first (the mAP reads every chosen one): a bad one failed every model in turn,
  // then stopped the bench; it is left out, and the next one read in its place (--max-images counts usable ones).
  const images: Buffer[] = [];
  const keep = (bytes: Buffer, i: number): void => void (i < held && images.push(bytes));
  const chosen = await usableImages(items, o.images, { warn: o.warn, limit: withLabels ? wanted : Math.min(wanted, held), onImage: keep, progress: (done, total) => o.progress?.(`checking images ${done}/${total}`) });
  return { images, read: chosen.length, labelled: withLabels ? new Set(chosen.map((it) => it.image)) : undefined };
}

function withoutAccuracyHint(e: unknown): never {
  if (e instanceof YoloEdgeError) throw new YoloEdgeError(`${e.message}; add them, or bench without mAP (--no-accuracy)`, e.code);
  throw e;
}

/**
 * No image left for a model's mAP (every label file has a class it lacks): its timings still stand, without mAP.
 * Failed, the model's row was lost with them.
 */
function withoutMap(e: unknown, warn: (m: string) => void): undefined {
  if (!(e instanceof YoloEdgeError) || e.code !== 'NO_LABELS') throw e;
  warn(`${e.message}; its mAP is left out`);
  return undefined;
}

/** Interleaved runs: run r of every model before run r + 1 of any, so drift and heat hit all alike. */
export async function runBench(options: Partial<BenchOptions> & Pick<BenchOptions, 'models' | 'images'>): Promise<BenchResult> {
  const o: BenchOptions = { ...DEFAULT_BENCH, ...options };
  const set = await loadImages(o);
  const names = modelNames(o.models);
  const fusion: FusionCheck[] = [];
  for (const m of o.models) {
    const f = await fusionCheck(m, names.get(m) as string, o.warn);
    if (f) fusion.push(f);
  }
  const rows: BenchRow[] = [];
  const failed: BenchFailure[] = [];
  for (const threads of o.threads) {
    // mAP does not depend on the thread count: measured once, at the last
    const accuracy = threads === o.threads[o.threads.length - 1];
    rows.push(...(await benchThreads(o, threads, accuracy ? set : { images: set.images, read: set.read }, failed, names)));
  }
  const cpus = os.cpus();
  return {
    fusion,
    rows,
    failed,
    images: set.read,
    runs: o.runs,
    split: o.split,
    peakRssMB: process.resourceUsage().maxRSS / 1024,
    machine: { cpus: cpus[0]?.model ?? 'unknown', cores: cpus.length, node: process.version, platform: `${process.platform}-${process.arch}` },
    date: new Date().toISOString(),
  };
}

/** A model onnxruntime cannot optimise has no entry (its load fails too, and is reported as such). */
async function fusionCheck(m: string, name: string, warn?: (message: string) => void): Promise<FusionCheck | undefined> {
  try {
    const c = await optimizedOpCounts(m);
    return { model: name, qlinearConv: c.QLinearConv ?? 0, floatConv: (c.Conv ?? 0) + (c.FusedConv ?? 0), dequantizeLinear: c.DequantizeLinear ?? 0 };
  } catch (e) {
    warn?.(`no fusion check of ${name}: ${(e as Error).message}`);
    return undefined;
  }
}

/** The rows of one thread count; a model that fails is added to `failed` and the others go on. */
async function benchThreads(o: BenchOptions, threads: number, set: ImageSet, failed: BenchFailure[], names: Map<string, string>): Promise<BenchRow[]> {
  const tracks: Track[] = [];
  try {
    for (const m of o.models) {
      try {
        tracks.push({ model: names.get(m) as string, detector: await Detector.create(m, { threads, warn: o.warn }), session: [], e2e: [], cpuMs: 0, wallMs: 0 });
      } catch (e) {
        failed.push(benchFailure(names.get(m) as string, threads, e, 'MODEL_LOAD_FAILED'));
      }
    }
    const { images, labelled } = set;
    const step = (run: (t: Track) => Promise<void>): Promise<void> => eachTrack(tracks, threads, failed, run);
    await step(async (t) => {
      for (let w = 0; w < o.warmup; w++) await t.detector.detect(images[w % images.length]);
    });
    for (let r = 0; r < o.runs; r++) {
      await step((t) => measure(t, images[r % images.length]));
      o.progress?.(`threads ${threads}: run ${r + 1}/${o.runs}`);
    }
    // label lines skipped (a class id the model lacks, a malformed line) change its mAP: said as eval says them
    if (labelled) {
      await step(async (t) => {
        const warn = (m: string): void => o.warn?.(`${t.model}: ${m}`);
        t.metrics = await evaluate(t.detector, o.images, { split: o.split, filter: (p) => labelled.has(p), warn }).catch((e: unknown) => withoutMap(e, warn));
      });
    }
    return tracks.map((t) => toRow(t, tracks[0]));
  } finally {
    for (const t of tracks) await t.detector.close();
  }
}

/** Runs `run` on each track in turn; one that throws is reported, closed and taken out of `tracks`. */
async function eachTrack(tracks: Track[], threads: number, failed: BenchFailure[], run: (t: Track) => Promise<void>): Promise<void> {
  for (const t of [...tracks]) {
    try {
      await run(t);
    } catch (e) {
      failed.push(benchFailure(t.model, threads, e, 'INFERENCE_FAILED'));
      tracks.splice(tracks.indexOf(t), 1);
      await t.detector.close();
    }
  }
}

async function measure(t: Track, img: Buffer): Promise<void> {
  await t.detector.preprocess(img);
  t.session.push((await t.detector.runSession()).ms);
  const cpu = process.cpuUsage();
  const e0 = performance.now();
  await t.detector.detect(img);
  const wall = performance.now() - e0;
  const used = process.cpuUsage(cpu);
  t.e2e.push(wall);
  t.wallMs += wall;
  t.cpuMs += (used.user + used.system) / 1000;
}

function toRow(t: Track, first: Track): BenchRow {
  const info = t.detector.info;
  const session = { median: median(t.session), p90: percentile(t.session, 90) };
  const e2e = { median: median(t.e2e), p90: percentile(t.e2e, 90) };
  return {
    model: t.model,
    precision: info.precision,
    inputType: info.inputType,
    threads: t.detector.threads,
    fileBytes: info.fileSize,
    session,
    e2e,
    e2eOverSession: e2e.median / session.median,
    fps: 1000 / e2e.median,
    cpuPercent: (100 * t.cpuMs) / t.wallMs,
    sessionVsFirst: session.median / median(first.session),
    map50: t.metrics?.map50,
    map50_95: t.metrics?.map50_95,
  };
}

/** The benchmark table in markdown (one row per model and thread count). */
export function markdownTable(r: BenchResult): string {
  const f = (x: number, d = 1): string => x.toFixed(d);
  const head = '| model | precision | threads | session median / p90 (ms) | vs first | e2e median / p90 (ms) | e2e/session | FPS | CPU % | file (MB) | mAP50 | mAP50-95 |';
  const sep = '|' + ' --- |'.repeat(12);
  const lines = r.rows.map((x) =>
    `| ${x.model} | ${x.precision}${x.inputType === 'uint8' ? ' (uint8 in)' : ''} | ${x.threads} | ${f(x.session.median)} / ${f(x.session.p90)} | ${f(x.sessionVsFirst, 2)}x | ${f(x.e2e.median)} / ${f(x.e2e.p90)} | ${f(x.e2eOverSession, 3)} | ${f(x.fps)} | ${f(x.cpuPercent, 0)} | ${f(x.fileBytes / 1e6, 2)} | ${x.map50 === undefined ? '-' : f(100 * x.map50, 2)} | ${x.map50_95 === undefined ? '-' : f(100 * x.map50_95, 2)} |`);
  const foot = `\n${r.images} images (split ${r.split}), ${r.runs} interleaved runs per model and thread count; peak RSS of the process (all models together) ${f(r.peakRssMB, 0)} MB; ${r.machine.cpus}, ${r.machine.cores} cores, Node ${r.machine.node}, ${r.machine.platform}.`;
  const fused = r.fusion.map((x) => `${x.model}: ${x.qlinearConv} QLinearConv, ${x.floatConv} float Conv, ${x.dequantizeLinear} DequantizeLinear left`).join('; ');
  return [head, sep, ...lines].join('\n') + failureLines(r.failed) + '\n' + foot + `\nFusion check (graph onnxruntime optimises, via optimizedModelFilePath): ${fused}.\n`;
}
