import type { Node, NodeAPI, NodeMessageInFlow } from 'node-red';
import { parseDetectConfig } from '../lib/detect-config';
import { TOPICS } from '../lib/topics';
import { DetectNodeFields, detectOptions, filePathsOption, imageOf, Msg, wantsAnnotation, detectionFields } from './shared/detect-message';
import { FrameJob } from './shared/frame-intake';
import { FrameOutput, FrameRuntime } from './shared/frame-runtime';
import { briefReason, errorStatus, refuseInput } from './shared/refuse-input';
import { loadFailureStatus, noModelError, pickModel, refuseSettingsAtLoad, showFetchProgress, YoloModelNode } from './shared/model-config';
import { createPreview, Preview } from './shared/preview';
import { flag, STATUS_MAX } from '../lib/config/fields';

interface Yolov8DetectDef extends DetectNodeFields {
  model?: unknown;
  busyPolicy: string;
  queueSize: string | number;
  /** Thumbnail under the node in the editor; absent in older flows, which keep it on. */
  preview?: unknown;
}

export = function (RED: NodeAPI): void {
  function Yolov8Detect(this: Node, config: Yolov8DetectDef) {
    RED.nodes.createNode(this, config);
    const node = this;
    const picked = pickModel(RED, config.model);
    const modelNode: YoloModelNode | null = picked.node;
    let preview: Preview;
    let frames: FrameRuntime;
    let base: ReturnType<typeof parseDetectConfig>;
    let filePaths: boolean;
    try {
      base = parseDetectConfig(config);
      filePaths = filePathsOption(config);
      // a flag: the text 'false' (a flow from the admin API) kept sending thumbnails to every editor
      const showPreview = flag('preview', config.preview, true);
      preview = createPreview(RED, node, showPreview);
      if (!showPreview) preview.clear(); // a thumbnail from before the option was turned off
      frames = new FrameRuntime(node, config, work, () => {
        const fps = frames.fps;
        const rate = fps === undefined ? '' : `${fps.toFixed(1)} fps · `;
        const limit = frames.gate.maxFps ? ` · max ${frames.gate.maxFps} fps` : '';
        return { fill: 'green', shape: 'dot', text: `${rate}${frames.stats.lastMs.toFixed(0)} ms · ${frames.stats.objects} obj${limit}` };
      });
    } catch (err) {
      refuseInput(node, err as Error);
      return;
    }

    async function work({ msg }: FrameJob): Promise<FrameOutput> {
      if (!modelNode) throw noModelError(picked.missing);
      const detector = await modelNode.detector();
      frames.watch(detector);
      const input = await imageOf(msg, filePaths);
      const annotate = wantsAnnotation(msg, base.annotate === true);
      const turn = preview.claim();
      const r = await detector.detect(input, { ...detectOptions(base, msg), annotate, thumbnail: turn?.width ?? 0 });
      const counters = frames.countersWithThis();
      const results = detectionFields(detector, r, input, annotate, counters);
      if (r.thumbnail && turn) preview.show(r.thumbnail, r.detections.length, turn);
      return { results, send: (out) => out, ms: r.timings.total, objects: r.detections.length, counters };
    }

    this.on('input', (msg: NodeMessageInFlow, send, done) => frames.input({ msg: msg as Msg, send, done }));

    modelNode?.register(node);
    this.on('close', (removed: boolean, done: () => void) => {
      if (removed) preview.clear();
      frames.close().then(() => modelNode?.deregister(node)).then(() => done(), () => done());
    });

    // held until a frame is sent: a control message (the temperature guard's first) must not show it as running
    if (!modelNode) {
      frames.showState({ fill: 'red', shape: 'ring', text: briefReason(picked.missing, STATUS_MAX) }, true);
      node.error(noModelError(picked.missing).message);
    } else {
      frames.showState({ fill: 'grey', shape: 'ring', text: 'loading model' }, true);
      const loading = modelNode.detector();
      showFetchProgress(node, [modelNode], loading);
      loading.then(
        (d) => {
          if (frames.closing) return; // redeployed while loading: the new node shows its own status
          frames.watch(d);
          const refused = refuseSettingsAtLoad(node, d, base);
          if (refused) return frames.showState(errorStatus(refused), true);
          // A non-square input (a resized 384x640 model) or a dynamic one shows as such, not as its width.
          const size = d.info.dynamicInput ? 'any size' : d.info.inputWidth === d.info.inputHeight ? `${d.info.inputWidth}px` : `${d.info.inputHeight}x${d.info.inputWidth}`;
          frames.showState(d.saturation
            ? { fill: 'yellow', shape: 'ring', text: `ready · ${d.info.precision} ${size} · int8 saturates on this CPU, see log` }
            : { fill: 'grey', shape: 'dot', text: `ready · ${d.info.precision} ${size}` }, false);
        },
        (err: Error) => {
          if (frames.closing) return;
          frames.showState(loadFailureStatus(err), true);
          // most load errors name the file already: it was logged twice in one line
          node.error(err.message.includes(modelNode.modelPath) ? `model: ${err.message}` : `model ${modelNode.modelPath}: ${err.message}`);
        },
      );
    }
  }
  // The editor reads the preview topic from here (RED.settings.yolov8DetectPreviewTopic) instead of a copy.
  RED.nodes.registerType('yolov8-detect', Yolov8Detect, { settings: { yolov8DetectPreviewTopic: { value: TOPICS.preview, exportable: true } } });
};
