import { promises as fs } from 'fs';
import type { Node, NodeAPI, NodeDef, NodeMessage, NodeMessageInFlow } from 'node-red';
import { DetectOptions } from '../lib/detector';
import { annotateImage, countByClass, toAnnotations } from '../lib/image/annotate';
import { BusyPolicy, BusyQueue } from '../lib/pipeline/busy-queue';
import { CONTROL_TOPIC, isRateControl, RateGate } from '../lib/pipeline/rate-gate';
import { ImageInput, RawImage, YoloEdgeError } from '../lib/types';
import { describeDetector, YoloModelNode } from './model-config';
import { createPreview } from './preview';

interface DetectDef extends NodeDef {
  model: string;
  confidence: string | number;
  iou: string | number;
  classes: string;
  maxDetections: string | number;
  agnostic: boolean;
  annotate: boolean;
  busyPolicy: BusyPolicy;
  queueSize: string | number;
  /** Thumbnail under the node in the editor; absent in older flows, which keep it on. */
  preview?: boolean;
}

type Msg = NodeMessageInFlow & Record<string, unknown>;
interface Job {
  msg: Msg;
  send: (msg: NodeMessage) => void;
  done: (err?: Error) => void;
}

function numberIn(v: unknown, name: string, min: number, max: number): number {
  const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isFinite(n) || n < min || n > max) {
    throw new YoloEdgeError(`${name} must be a number from ${min} to ${max}, got ${JSON.stringify(v)}`, 'BAD_OPTION');
  }
  return n;
}

function classList(v: unknown): string[] {
  if (Array.isArray(v)) return v.map((c) => String(c).trim()).filter(Boolean);
  if (typeof v === 'string') return v.split(',').map((c) => c.trim()).filter(Boolean);
  throw new YoloEdgeError('classes must be an array or a comma-separated string', 'BAD_OPTION');
}

/** Node options, overridden per message by msg.confidence, msg.iou, msg.classes, msg.maxDetections, msg.agnostic. */
function detectOptions(base: Partial<DetectOptions>, msg: Msg): Partial<DetectOptions> {
  const o = { ...base };
  if (msg.confidence !== undefined) o.confidence = numberIn(msg.confidence, 'msg.confidence', 0, 1);
  if (msg.iou !== undefined) o.iou = numberIn(msg.iou, 'msg.iou', 0, 1);
  if (msg.classes !== undefined) o.classes = classList(msg.classes);
  if (msg.maxDetections !== undefined) o.maxDetections = numberIn(msg.maxDetections, 'msg.maxDetections', 1, 30000);
  if (msg.agnostic !== undefined) o.agnostic = !!msg.agnostic;
  return o;
}

function isRaw(v: unknown): v is RawImage {
  const r = v as RawImage;
  return !!r && typeof r === 'object' && (r.data instanceof Uint8Array) && typeof r.width === 'number' && typeof r.height === 'number';
}

/** msg.payload as an image: encoded bytes, a file path, or raw pixels {data, width, height, channels}. */
async function imageOf(payload: unknown): Promise<ImageInput> {
  if (payload instanceof Uint8Array) return payload;
  if (isRaw(payload)) return payload;
  if (typeof payload === 'string') {
    try {
      return await fs.readFile(payload);
    } catch {
      throw new YoloEdgeError(`msg.payload is a string but not a readable image file: ${JSON.stringify(payload.slice(0, 80))}`, 'BAD_PAYLOAD');
    }
  }
  throw new YoloEdgeError(`msg.payload must be an image Buffer (JPEG/PNG/WebP), a file path or raw pixels, got ${payload === null ? 'null' : typeof payload}`, 'BAD_PAYLOAD');
}

export = function (RED: NodeAPI): void {
  function YoloV8Detect(this: Node, config: DetectDef) {
    RED.nodes.createNode(this, config);
    const node = this;
    const modelNode = RED.nodes.getNode(config.model) as YoloModelNode | null;
    const base: Partial<DetectOptions> = {
      confidence: Number(config.confidence ?? 0.25),
      iou: Number(config.iou ?? 0.7),
      classes: classList(config.classes ?? ''),
      maxDetections: Number(config.maxDetections) || 300,
      agnostic: !!config.agnostic,
    };
    const gate = new RateGate();
    const stats = { fps: 0, lastMs: 0, lastAt: 0, objects: 0, processed: 0, failed: 0 };
    let statusAt = 0;
    const preview = createPreview(RED, node, config.preview !== false);
    if (config.preview === false) preview.clear(); // a thumbnail from before the option was turned off

    const status = (force = false): void => {
      const now = Date.now();
      if (!force && now - statusAt < 250) return;
      statusAt = now;
      const c = queue.counters;
      const dropped = c.dropped + c.rejected + gate.droppedByRate + gate.droppedByPause;
      const tail = dropped ? ` · ${dropped} dropped` : '';
      if (gate.paused) node.status({ fill: 'yellow', shape: 'ring', text: `paused${tail}` });
      else node.status({ fill: 'green', shape: 'dot', text: `${stats.fps.toFixed(1)} fps · ${stats.lastMs.toFixed(0)} ms · ${stats.objects} obj${gate.maxFps ? ` · max ${gate.maxFps} fps` : ''}${tail}` });
    };

    const counters = () => ({ ...queue.counters, processed: stats.processed, failed: stats.failed, droppedByRate: gate.droppedByRate, droppedByPause: gate.droppedByPause });

    async function work(job: Job): Promise<void> {
      const { msg, send, done } = job;
      try {
        if (!modelNode) throw new YoloEdgeError('no yolo-model configured', 'NO_MODEL');
        const detector = await modelNode.detector();
        const input = await imageOf(msg.payload);
        const r = await detector.detect(input, detectOptions(base, msg));
        stats.processed++;
        const annotate = msg.annotate !== undefined ? !!msg.annotate : !!config.annotate;
        if (annotate) msg.annotated = await annotateImage(input, r.imageWidth, r.imageHeight, r.detections);
        if (input instanceof Uint8Array) msg.image = input;
        msg.payload = r.detections;
        msg.annotations = toAnnotations(r.detections);
        msg.detection = { model: describeDetector(detector), imageWidth: r.imageWidth, imageHeight: r.imageHeight, counts: countByClass(r.detections), timings: r.timings, counters: counters() };
        const now = performance.now();
        if (stats.lastAt) stats.fps = stats.fps ? 0.8 * stats.fps + 0.2 * (1000 / (now - stats.lastAt)) : 1000 / (now - stats.lastAt);
        Object.assign(stats, { lastAt: now, lastMs: r.timings.total, objects: r.detections.length });
        preview.offer(input, r.imageWidth, r.imageHeight, r.detections);
        send(msg);
        done();
        status();
      } catch (err) {
        stats.failed++;
        node.status({ fill: 'red', shape: 'ring', text: (err as Error).message.slice(0, 60) });
        statusAt = Date.now();
        done(err as Error);
        throw err;
      }
    }

    const queue = new BusyQueue<Job>(work, config.busyPolicy || 'drop-oldest', Math.max(0, Number(config.queueSize ?? 1) | 0));

    this.on('input', (msg: NodeMessageInFlow, send, done) => {
      const m = msg as Msg;
      if (m.topic === CONTROL_TOPIC && isRateControl(m.payload)) {
        try {
          gate.apply(m.payload);
          status(true);
          done();
        } catch (err) {
          done(err as Error);
        }
        return;
      }
      if (!gate.admit(Date.now())) {
        status();
        done();
        return;
      }
      queue.push({
        item: { msg: m, send, done },
        discard: (reason) => {
          if (reason === 'rejected') done(new YoloEdgeError(`busy: ${queue.pending} frames waiting, queue full; frame refused`, 'BUSY'));
          else done();
          status();
        },
      });
    });

    this.on('close', (removed: boolean, done: () => void) => {
      if (removed) preview.clear();
      queue.drain().then(() => done(), () => done());
    });

    if (!modelNode) node.status({ fill: 'red', shape: 'ring', text: 'no model configured' });
    else {
      node.status({ fill: 'grey', shape: 'ring', text: 'loading model' });
      modelNode.detector().then(
        (d) => node.status({ fill: 'grey', shape: 'dot', text: `ready · ${d.info.precision} ${d.info.inputWidth}px` }),
        (err: Error) => {
          node.status({ fill: 'red', shape: 'ring', text: err.message.slice(0, 60) });
          node.error(`model ${modelNode.modelPath}: ${err.message}`);
        },
      );
    }
  }
  RED.nodes.registerType('yolov8-detect', YoloV8Detect);
};
