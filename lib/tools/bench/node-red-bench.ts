import { promises as fs } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { monitorEventLoopDelay, PerformanceObserver } from 'perf_hooks';
import { Detector } from '../../detector';
import { listDataset } from '../eval/dataset';
import { median } from '../../stats';
import { YoloEdgeError } from '../../errors';

export interface NodeRedBenchOptions {
  model: string;
  images: string;
  threads: number;
  /** One-at-a-time runs for each latency figure. */
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
  loop: { annotateOff: LoopDelay; annotateOn: LoopDelay };
  /** The frame rate the loop figures were taken at. */
  fps: number;
  machine: string;
}

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

function loadHelper(): Helper {
  try {
    const h = require('node-red-node-test-helper') as Helper;
    h.init(require.resolve('node-red'));
    return h;
  } catch (err) {
    throw new YoloEdgeError(`bench --node-red needs node-red and node-red-node-test-helper installed beside the package (npm install --no-save node-red node-red-node-test-helper): ${(err as Error).message}`, 'MISSING_DEPENDENCY');
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * yolov8-detect inside Node-RED, beside the bare session of the same model in the same process: msg-in to
 * msg-out latency one msg at a time, throughput under saturating input, event-loop delay under a steady stream.
 */
export async function runNodeRedBench(o: NodeRedBenchOptions): Promise<NodeRedBenchResult> {
  const helper = loadHelper();
  const nodes = ['yolo-model', 'yolov8-detect'].map((n) => require(path.join(__dirname, '..', '..', '..', 'nodes', `${n}.js`)) as unknown);
  const files = (await listDataset(o.images)).slice(0, 16);
  const frames = await Promise.all(files.map((f) => fs.readFile(f.image)));
  if (frames.length === 0) throw new YoloEdgeError(`no images in ${o.images}`, 'NO_IMAGES');

  // The bare session is the one the flow uses (same model and settings share a worker); its runs are interleaved
  // with the flow's msgs one for one, so both see the same machine at the same time.
  const bare = await Detector.create(o.model, { threads: o.threads, warn: o.warn });
  const session: number[] = [];
  const bareRun = async (r: number): Promise<void> => {
    await bare.preprocess(frames[r % frames.length]);
    session.push((await bare.runSession()).ms);
  };
  for (let r = 0; r < 3; r++) await bareRun(r);
  session.length = 0;

  await new Promise<void>((r) => helper.startServer(r));
  const flow = (annotate: boolean, policy: string, queueSize: number): object[] => [
    { id: 'm', type: 'yolo-model', model: o.model, threads: o.threads, providers: 'cpu', names: '' },
    { id: 'd', type: 'yolov8-detect', model: 'm', annotate, preview: false, busyPolicy: policy, queueSize, wires: [['out']] },
    { id: 'out', type: 'helper' },
  ];
  const deploy = async (annotate: boolean, policy: string, queueSize: number): Promise<{ d: NodeHandle; out: NodeHandle }> => {
    await helper.load(nodes, flow(annotate, policy, queueSize));
    const d = helper.getNode('d');
    const out = helper.getNode('out');
    await oneAtATime(d, out, frames, 2, async () => {}); // loaded and warm
    return { d, out };
  };
  try {
    const latency = { annotateOff: 0, annotateOn: 0 };
    const loop = {} as NodeRedBenchResult['loop'];
    for (const annotate of [false, true]) {
      const key = annotate ? 'annotateOn' : 'annotateOff';
      o.progress?.(`latency, annotate ${annotate ? 'on' : 'off'}`);
      const { d, out } = await deploy(annotate, 'drop-oldest', 1);
      latency[key] = median(await oneAtATime(d, out, frames, o.runs, bareRun));
      o.progress?.(`event loop at ${o.fps} fps for ${o.streamSeconds} s, annotate ${annotate ? 'on' : 'off'}`);
      loop[key] = await steadyStream(d, out, frames, o.fps, o.streamSeconds);
      await helper.unload();
    }
    o.progress?.('throughput');
    const { d, out } = await deploy(false, 'drop-oldest', 1);
    const throughputFps = await saturated(d, out, frames, Math.min(o.streamSeconds, 20));
    await helper.unload();
    return { model: path.basename(o.model), threads: bare.threads, session: median(session), latency, throughputFps, loop, fps: o.fps, machine: `${os.cpus()[0]?.model ?? 'unknown'}, ${os.cpus().length} cores, Node ${process.version}` };
  } finally {
    await new Promise<void>((r) => helper.stopServer(r));
    await bare.close();
  }
}

/** Milliseconds from receive() to the msg at the output, one msg at a time, each after `before(r)`. */
async function oneAtATime(d: NodeHandle, out: NodeHandle, frames: Buffer[], runs: number, before: (r: number) => Promise<void>): Promise<number[]> {
  const times: number[] = [];
  for (let r = 0; r < runs; r++) {
    await before(r);
    const t0 = performance.now();
    await new Promise<void>((resolve, reject) => {
      out.on('input', () => resolve());
      d.on('call:error', () => reject(new Error('detect failed')));
      d.receive({ payload: frames[r % frames.length] });
    });
    times.push(performance.now() - t0);
    out.removeAllListeners('input');
    d.removeAllListeners('call:error');
  }
  return times;
}

/** Period of the event-loop delay histogram's timer (ms); subtracted from what it records. */
const LOOP_RESOLUTION_MS = 1;

async function steadyStream(d: NodeHandle, out: NodeHandle, frames: Buffer[], fps: number, seconds: number): Promise<LoopDelay> {
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

/** Frames out per second while a frame arrives every 5 ms (drop-oldest keeps the newest). */
async function saturated(d: NodeHandle, out: NodeHandle, frames: Buffer[], seconds: number): Promise<number> {
  const stamps: number[] = [];
  out.on('input', () => stamps.push(performance.now()));
  let k = 0;
  const timer = setInterval(() => d.receive({ payload: frames[k++ % frames.length] }), 5);
  await sleep(seconds * 1000);
  clearInterval(timer);
  await sleep(1000);
  out.removeAllListeners('input');
  const steady = stamps.slice(2);
  return steady.length > 1 ? (1000 * (steady.length - 1)) / (steady[steady.length - 1] - steady[0]) : 0;
}

export function nodeRedMarkdown(rs: NodeRedBenchResult[]): string {
  const f = (x: number, d = 1): string => x.toFixed(d);
  const fps = [...new Set(rs.map((r) => r.fps))].join(', ');
  const head = `| model | threads | bare session median (ms) | msg in->out, annotate off (ms, x session) | annotate on (ms, x session) | throughput (fps, x 1/session) | loop delay p50/p99/max, ${fps} fps, annotate off (ms) | annotate on (ms) | longest GC pause, off / on (ms) | frames in/out (off) |`;
  const sep = '|' + ' --- |'.repeat(10);
  const lines = rs.map((r) => {
    const loop = (l: LoopDelay): string => `${f(l.p50)} / ${f(l.p99)} / ${f(l.max)}`;
    return `| ${r.model} | ${r.threads} | ${f(r.session)} | ${f(r.latency.annotateOff)} (${f(r.latency.annotateOff / r.session, 2)}x) | ${f(r.latency.annotateOn)} (${f(r.latency.annotateOn / r.session, 2)}x) | ${f(r.throughputFps, 2)} (${f((r.throughputFps * r.session) / 1000, 2)}x) | ${loop(r.loop.annotateOff)} | ${loop(r.loop.annotateOn)} | ${f(r.loop.annotateOff.gcMax)} / ${f(r.loop.annotateOn.gcMax)} | ${r.loop.annotateOff.framesIn}/${r.loop.annotateOff.framesOut} |`;
  });
  return [head, sep, ...lines].join('\n') + `\n${rs[0]?.machine ?? ''}\n`;
}
