import type { Node, NodeAPI, NodeMessageInFlow } from 'node-red';
import { BusyPolicy, BusyQueue } from '../lib/pipeline/busy-queue';
import { RateGate } from '../lib/pipeline/rate-gate';
import { YoloEdgeError } from '../lib/types';
import { baseOptions, DetectFields, detectOptions, imageOf, Msg, writeDetection } from './detect-message';
import { takeFrame, FrameJob } from './frame-intake';
import { YoloModelNode } from './model-config';
import { createPreview } from './preview';

interface DetectDef extends DetectFields {
  model: string;
  annotate: boolean;
  busyPolicy: BusyPolicy;
  queueSize: string | number;
  /** Thumbnail under the node in the editor; absent in older flows, which keep it on. */
  preview?: boolean;
}


export = function (RED: NodeAPI): void {
  function YoloV8Detect(this: Node, config: DetectDef) {
    RED.nodes.createNode(this, config);
    const node = this;
    const modelNode = RED.nodes.getNode(config.model) as YoloModelNode | null;
    const base = baseOptions(config);
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

    async function work(job: FrameJob): Promise<void> {
      const { msg, send, done } = job;
      try {
        if (!modelNode) throw new YoloEdgeError('no yolo-model configured', 'NO_MODEL');
        const detector = await modelNode.detector();
        const input = await imageOf(msg.payload);
        const r = await detector.detect(input, detectOptions(base, msg));
        stats.processed++;
        const annotate = msg.annotate !== undefined ? !!msg.annotate : !!config.annotate;
        await writeDetection(msg, detector, r, input, annotate, counters());
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

    const queue = new BusyQueue<FrameJob>(work, config.busyPolicy || 'drop-oldest', Math.max(0, Number(config.queueSize ?? 1) | 0));

    this.on('input', (msg: NodeMessageInFlow, send, done) => {
      const m = msg as Msg;
      takeFrame({ msg: m, send, done }, gate, queue, status);
    });

    this.on('close', (removed: boolean, done: () => void) => {
      if (removed) preview.clear();
      queue.drain().then(() => done(), () => done());
    });

    if (!modelNode) node.status({ fill: 'red', shape: 'ring', text: 'no model configured' });
    else {
      node.status({ fill: 'grey', shape: 'ring', text: 'loading model' });
      modelNode.detector().then(
        (d) => node.status(d.warnings.length
          ? { fill: 'yellow', shape: 'ring', text: `ready · ${d.info.precision} ${d.info.inputWidth}px · see log: ${d.warnings[0].slice(0, 40)}` }
          : { fill: 'grey', shape: 'dot', text: `ready · ${d.info.precision} ${d.info.inputWidth}px` }),
        (err: Error) => {
          node.status({ fill: 'red', shape: 'ring', text: err.message.slice(0, 60) });
          node.error(`model ${modelNode.modelPath}: ${err.message}`);
        },
      );
    }
  }
  RED.nodes.registerType('yolov8-detect', YoloV8Detect);
};
