import { promises as fs } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Detector } from '../../detector';
import { hasLabels, listDataset, selectSplit, Split } from '../eval/dataset';
import { evaluate } from '../eval/evaluate';
import type { ModelInfo } from '../../model/model-info';
import { optimizedOpCounts } from './fusion';
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
  /** Load-time warnings of the models (e.g. a thread count over the cores, which is capped). */
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
  /** Session median relative to the first model's at the same thread count. */
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
  images: number;
  runs: number;
  split: Split;
  peakRssMB: number;
  machine: { cpus: string; cores: number; node: string; platform: string };
  date: string;
}

interface Track {
  detector: Detector;
  session: number[];
  e2e: number[];
  cpuMs: number;
  wallMs: number;
}

/** Interleaved runs: run r of every model before run r + 1 of any, so drift and heat hit all alike. */
export async function runBench(options: Partial<BenchOptions> & Pick<BenchOptions, 'models' | 'images'>): Promise<BenchResult> {
  const o: BenchOptions = { ...DEFAULT_BENCH, ...options };
  const items = selectSplit(await listDataset(o.images), o.split);
  const chosen = o.maxImages > 0 ? items.slice(0, o.maxImages) : items;
  const images = await Promise.all(chosen.map((it) => fs.readFile(it.image)));
  const withLabels = o.accuracy && (await hasLabels(o.images));
  const keep = new Set(chosen.map((it) => it.image));
  const rows: BenchRow[] = [];
  const fusion: FusionCheck[] = [];
  for (const m of o.models) {
    const c = await optimizedOpCounts(m);
    fusion.push({ model: path.basename(m), qlinearConv: c.QLinearConv ?? 0, floatConv: (c.Conv ?? 0) + (c.FusedConv ?? 0), dequantizeLinear: c.DequantizeLinear ?? 0 });
  }
  for (const threads of o.threads) {
    const tracks: Track[] = [];
    try {
      for (const m of o.models) {
        tracks.push({ detector: await Detector.create(m, { threads, warn: o.warn }), session: [], e2e: [], cpuMs: 0, wallMs: 0 });
      }
      for (const t of tracks) for (let w = 0; w < o.warmup; w++) await t.detector.detect(images[w % images.length]);
      for (let r = 0; r < o.runs; r++) {
        const img = images[r % images.length];
        for (const t of tracks) await measure(t, img);
        o.progress?.(`threads ${threads}: run ${r + 1}/${o.runs}`);
      }
      const accuracy = withLabels && threads === o.threads[o.threads.length - 1];
      for (const t of tracks) {
        const metrics = accuracy ? await evaluate(t.detector, o.images, { filter: (p) => keep.has(p) }) : undefined;
        rows.push(toRow(t, t.detector.threads, tracks[0], metrics));
      }
    } finally {
      for (const t of tracks) await t.detector.close();
    }
  }
  const cpus = os.cpus();
  return {
    fusion,
    rows,
    images: images.length,
    runs: o.runs,
    split: o.split,
    peakRssMB: process.resourceUsage().maxRSS / 1024,
    machine: { cpus: cpus[0]?.model ?? 'unknown', cores: cpus.length, node: process.version, platform: `${process.platform}-${process.arch}` },
    date: new Date().toISOString(),
  };
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

function toRow(t: Track, threads: number, first: Track, metrics?: { map50: number; map50_95: number }): BenchRow {
  const info = t.detector.info;
  const session = { median: median(t.session), p90: percentile(t.session, 90) };
  const e2e = { median: median(t.e2e), p90: percentile(t.e2e, 90) };
  return {
    model: path.basename(info.path),
    precision: info.precision,
    inputType: info.inputType,
    threads,
    fileBytes: info.fileSize,
    session,
    e2e,
    e2eOverSession: e2e.median / session.median,
    fps: 1000 / e2e.median,
    cpuPercent: (100 * t.cpuMs) / t.wallMs,
    sessionVsFirst: session.median / median(first.session),
    map50: metrics?.map50,
    map50_95: metrics?.map50_95,
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
  return [head, sep, ...lines].join('\n') + '\n' + foot + `\nFusion check (graph onnxruntime optimises, via optimizedModelFilePath): ${fused}.\n`;
}
