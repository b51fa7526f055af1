import * as os from 'os';
import * as path from 'path';
import { monitorEventLoopDelay, PerformanceObserver } from 'perf_hooks';
import { Detector } from '../../detector';
import { listDataset } from '../eval/dataset';
import { median } from '../../stats';
import { YoloEdgeError } from '../../errors';
import { BenchFailure, benchFailure, failureLines } from './failure';
import { modelNames } from './model-names';
import { usableImages } from '../eval/usable-images';

export interface NodeRedBenchOptions {
  model: string;
  images: string;
  threads: number;
  /** One-at-a-time runs for each latency figure (bare run, annotate off, annotate on interleaved). */
  runs: number;
  /** Length of the stream for the event-loop figures, and of the saturated stream for throughput (at most 20 s). */
  streamSeconds: number;
  /** Frame rate of the stream for the event-loop figures. */
  fps: number;
  progress?: (m: string) => void;
  /** Load-time warnings of the model (e.g. a thread count over the cores, which is capped). */
  warn?: (m: string) => void;
}

export interface LoopDelay {
  p50: number;
  p99: number;
  max: number;
  framesIn: number;
  framesOut: number;
  /** The main thread's longest garbage-collection pause in the same window: a loop max near it was that pause. */
  gcMax: number;
}

export interface NodeRedBenchResult {
  model: string;
  threads: number;
  session: number;
  latency: { annotateOff: number; annotateOn: number };
  throughputFps: number;
  /**
   * The session's median as the model worker timed it during the throughput stream: beside the bare median it
   * tells a session slowed by the work around it (decode, the event loop) from time lost between sessions.
   */
  throughputSession: number;
  loop: { annotateOff: LoopDelay; annotateOn: LoopDelay };
  /** The frame rate the loop figures were taken at. */
  fps: number;
  machine: string;
}

/** Every model at every thread count: the rows measured, and the cells that failed. */
export interface NodeRedBenchRun {
  rows: NodeRedBenchResult[];
  failed: BenchFailure[];
}

export type NodeRedBenchesOptions = Omit<NodeRedBenchOptions, 'model' | 'threads'> & { models: string[]; threads: number[] };

/** The parts of node-red-node-test-helper used here (a dev dependency, loaded only by this benchmark). */
interface Helper {
  init(runtime: string): void;
  startServer(done: () => void): void;
  stopServer(done: () => void): void;
  load(nodes: unknown[], flow: object[]): Promise<void>;
  unload(): Promise<void>;
  getNode(id: string): NodeHandle;
}
interface NodeHandle {
  receive(msg: object): void;
  on(event: string, listener: (arg: never) => void): void;
  removeAllListeners(event: string): void;
}
/** The sinon call the helper emits as `call:error`: args[0] is what the node passed to node.error(). */
interface ErrorCall {
  args: unknown[];
}
/** A yolov8-detect node and the helper node on its output. */
interface FlowDetect {
  d: NodeHandle;
  out: NodeHandle;
}

function loadHelper(): Helper {
  // the helper reads the package.json above the working folder as it loads, and threw where there is none (run
  // from ~/bench-images: "Cannot read properties of null"): it is loaded from this package's folder
  const cwd = process.cwd();
  try {
    process.chdir(__dirname);
    const h = require('node-red-node-test-helper') as Helper;
    h.init(require.resolve('node-red'));
    return h;
  } catch (err) {
    throw new YoloEdgeError(`bench --node-red needs node-red and node-red-node-test-helper installed beside the package (npm install --no-save node-red node-red-node-test-helper): ${(err as Error).message}`, 'MISSING_DEPENDENCY');
  } finally {
    process.chdir(cwd);
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** What every cell uses: the helper, the node modules and the frames (read once). */
interface Setup {
  helper: Helper;
  nodes: unknown[];
  frames: Buffer[];
}

async function prepare(images: string, warn?: (m: string) => void): Promise<Setup> {
  const helper = loadHelper();
  const nodes = ['yolo-model', 'yolov8-detect'].map((n) => require(path.join(__dirname, '..', '..', '..', 'nodes', `${n}.js`)) as unknown);
  // the first 16 usable ones: a file that cannot be decoded (a FIFO named .jpg is refused, not waited on) is left
  // out and named, where it failed the detect node on every frame it came round in
  const frames: Buffer[] = [];
  await usableImages(await listDataset(images, warn), images, { warn, limit: 16, onImage: (bytes) => void frames.push(bytes) });
  return { helper, nodes, frames };
}

/**
 * yolov8-detect inside Node-RED, beside the bare session of the same model in the same process: msg-in to
 * msg-out latency one msg at a time, throughput under saturating input, event-loop delay under a steady stream.
 */
export async function runNodeRedBench(o: NodeRedBenchOptions): Promise<NodeRedBenchResult> {
  return measureCell(await prepare(o.images, o.warn), o);
}

/** runNodeRedBench for each thread count and model in turn; a cell that fails is reported and the others go on. */
export async function runNodeRedBenches(o: NodeRedBenchesOptions): Promise<NodeRedBenchRun> {
  const setup = await prepare(o.images, o.warn);
  const run: NodeRedBenchRun = { rows: [], failed: [] };
  const names = modelNames(o.models);
  for (const threads of o.threads) {
    for (const model of o.models) {
      const name = names.get(model) as string;
      const progress = (m: string): void => o.progress?.(`${name} x${threads}: ${m}`);
      try {
        run.rows.push({ ...(await measureCell(setup, { ...o, model, threads, progress })), model: name });
      } catch (e) {
        run.failed.push(benchFailure(name, threads, e, 'INFERENCE_FAILED'));
      }
    }
  }
  return run;
}

async function measureCell(s: Setup, o: NodeRedBenchOptions): Promise<NodeRedBenchResult> {
  // The bare session is the one the flow uses (same model and settings share a worker); its runs take turns with
  // the flow's msgs (bare, annotate off, annotate on), so all three see the same machine at the same time.
  const bare = await Detector.create(o.model, { threads: o.threads, warn: o.warn });
  const session: number[] = [];
  const bareRun = async (r: number): Promise<void> => {
    await bare.preprocess(s.frames[r % s.frames.length]);
    session.push((await bare.runSession()).ms);
  };
  try {
    for (let r = 0; r < 3; r++) await bareRun(r);
    session.length = 0;
    const f = await withServer(s.helper, () => flowFigures(s, o, bareRun));
    return { model: path.basename(o.model), threads: bare.threads, session: median(session), ...f, fps: o.fps, machine: `${os.cpus()[0]?.model ?? 'unknown'}, ${os.cpus().length} cores, Node ${process.version}` };
  } finally {
    await bare.close();
  }
}

async function flowFigures(s: Setup, o: NodeRedBenchOptions, bareRun: (r: number) => Promise<void>): Promise<Pick<NodeRedBenchResult, 'latency' | 'loop' | 'throughputFps' | 'throughputSession'>> {
  o.progress?.('latency: bare run, annotate off, annotate on, msg by msg');
  const latency = await withFlow(s, o, [false, true], ([off, on]) => interleaved(s.frames, o.runs, bareRun, off, on));
  const loop = {} as NodeRedBenchResult['loop'];
  for (const annotate of [false, true]) {
    o.progress?.(`event loop at ${o.fps} fps for ${o.streamSeconds} s, annotate ${annotate ? 'on' : 'off'}`);
    loop[annotate ? 'annotateOn' : 'annotateOff'] = await withFlow(s, o, [annotate], ([n]) => steadyStream(n, s.frames, o.fps, o.streamSeconds));
  }
  o.progress?.('throughput');
  const { fps: throughputFps, session: throughputSession } = await withFlow(s, o, [false], ([n]) => saturated(n, s.frames, Math.min(o.streamSeconds, 20)));
  return { latency, loop, throughputFps, throughputSession };
}

async function withServer<T>(helper: Helper, use: () => Promise<T>): Promise<T> {
  await new Promise<void>((r) => helper.startServer(r));
  try {
    return await use();
  } finally {
    await new Promise<void>((r) => helper.stopServer(r));
  }
}

/** Deploys yolo-model with one yolov8-detect per `annotate` setting, each wired to its own output; each warmed with 2 msgs. */
async function withFlow<T>(s: Setup, o: NodeRedBenchOptions, annotate: boolean[], use: (detects: FlowDetect[]) => Promise<T>): Promise<T> {
  const flow: object[] = [{ id: 'm', type: 'yolo-model', model: o.model, threads: o.threads, providers: 'cpu', names: '' }];
  annotate.forEach((a, i) => flow.push(
    { id: `d${i}`, type: 'yolov8-detect', model: 'm', annotate: a, preview: false, busyPolicy: 'drop-oldest', queueSize: 1, wires: [[`out${i}`]] },
    { id: `out${i}`, type: 'helper' },
  ));
  await s.helper.load(s.nodes, flow);
  try {
    const detects = annotate.map((_, i) => ({ d: s.helper.getNode(`d${i}`), out: s.helper.getNode(`out${i}`) }));
    for (const n of detects) for (let r = 0; r < 2; r++) await oneMsg(n, s.frames[r % s.frames.length]);
    return await use(detects);
  } finally {
    await s.helper.unload();
  }
}

/** Medians of msg-in to msg-out: bare run, annotate-off msg and annotate-on msg taken in turn, frame by frame. */
async function interleaved(frames: Buffer[], runs: number, bareRun: (r: number) => Promise<void>, off: FlowDetect, on: FlowDetect): Promise<NodeRedBenchResult['latency']> {
  const times = { off: [] as number[], on: [] as number[] };
  for (let r = 0; r < runs; r++) {
    const frame = frames[r % frames.length];
    await bareRun(r);
    times.off.push(await oneMsg(off, frame));
    times.on.push(await oneMsg(on, frame));
  }
  return { annotateOff: median(times.off), annotateOn: median(times.on) };
}

/** Milliseconds from receive() to the msg at the output; rejects with the error the node reported. */
async function oneMsg(n: FlowDetect, frame: Buffer): Promise<number> {
  const t0 = performance.now();
  try {
    await new Promise<void>((resolve, reject) => {
      n.out.on('input', () => resolve());
      n.d.on('call:error', (call: ErrorCall) => reject(call.args[0] instanceof Error ? call.args[0] : new Error(String(call.args[0]))));
      n.d.receive({ payload: frame });
    });
    return performance.now() - t0;
  } finally {
    n.out.removeAllListeners('input');
    n.d.removeAllListeners('call:error');
  }
}

/** Period of the event-loop delay histogram's timer (ms); subtracted from what it records. */
const LOOP_RESOLUTION_MS = 1;

async function steadyStream({ d, out }: FlowDetect, frames: Buffer[], fps: number, seconds: number): Promise<LoopDelay> {
  let framesOut = 0;
  out.on('input', () => framesOut++);
  const h = monitorEventLoopDelay({ resolution: LOOP_RESOLUTION_MS });
  let gcMax = 0;
  const gc = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) gcMax = Math.max(gcMax, e.duration);
  });
  gc.observe({ entryTypes: ['gc'] });
  h.enable();
  let framesIn = 0;
  const timer = setInterval(() => d.receive({ payload: frames[framesIn++ % frames.length] }), 1000 / fps);
  await sleep(seconds * 1000);
  clearInterval(timer);
  h.disable();
  gc.disconnect();
  await sleep(500);
  out.removeAllListeners('input');
  // the histogram holds the whole interval between its timer's firings: its period plus the delay
  const ms = (ns: number): number => Math.max(0, ns / 1e6 - LOOP_RESOLUTION_MS);
  return { p50: ms(h.percentile(50)), p99: ms(h.percentile(99)), max: ms(h.max), framesIn, framesOut, gcMax };
}

/** The part of an output msg read here. */
interface TimedMsg {
  detection?: { timings?: { inference?: number } };
}

/** Frames out per second while a frame arrives every 5 ms (drop-oldest keeps the newest), and their session median. */
async function saturated({ d, out }: FlowDetect, frames: Buffer[], seconds: number): Promise<{ fps: number; session: number }> {
  const stamps: number[] = [];
  const sessions: number[] = [];
  out.on('input', (msg: TimedMsg) => {
    stamps.push(performance.now());
    const ms = msg.detection?.timings?.inference;
    if (stamps.length > 2 && ms !== undefined) sessions.push(ms);
  });
  let k = 0;
  const timer = setInterval(() => d.receive({ payload: frames[k++ % frames.length] }), 5);
  await sleep(seconds * 1000);
  clearInterval(timer);
  await sleep(1000);
  out.removeAllListeners('input');
  const steady = stamps.slice(2);
  const fps = steady.length > 1 ? (1000 * (steady.length - 1)) / (steady[steady.length - 1] - steady[0]) : 0;
  return { fps, session: median(sessions) };
}

export function nodeRedMarkdown(rs: NodeRedBenchResult[], failed: readonly BenchFailure[] = []): string {
  const f = (x: number, d = 1): string => x.toFixed(d);
  const fps = [...new Set(rs.map((r) => r.fps))].join(', ');
  const head = `| model | threads | bare session median (ms) | msg in->out, annotate off (ms, x session) | annotate on (ms, x session) | throughput (fps, x 1/session) | session median in it (ms) | loop delay p50/p99/max, ${fps} fps, annotate off (ms) | annotate on (ms) | longest GC pause, off / on (ms) | frames in/out (off) |`;
  const sep = '|' + ' --- |'.repeat(11);
  const lines = rs.map((r) => {
    const loop = (l: LoopDelay): string => `${f(l.p50)} / ${f(l.p99)} / ${f(l.max)}`;
    return `| ${r.model} | ${r.threads} | ${f(r.session)} | ${f(r.latency.annotateOff)} (${f(r.latency.annotateOff / r.session, 2)}x) | ${f(r.latency.annotateOn)} (${f(r.latency.annotateOn / r.session, 2)}x) | ${f(r.throughputFps, 2)} (${f((r.throughputFps * r.session) / 1000, 2)}x) | ${f(r.throughputSession)} | ${loop(r.loop.annotateOff)} | ${loop(r.loop.annotateOn)} | ${f(r.loop.annotateOff.gcMax)} / ${f(r.loop.annotateOn.gcMax)} | ${r.loop.annotateOff.framesIn}/${r.loop.annotateOff.framesOut} |`;
  });
  return [head, sep, ...lines].join('\n') + failureLines(failed) + `\n${failed.length ? '\n' : ''}${rs[0]?.machine ?? ''}\n`;
}
