import type { NodeAPI, NodeDef } from 'node-red';
import { Detector } from '../lib/detector';
import { readNamesFile } from '../lib/model/model-info';
import { resolveModelPath } from '../lib/model/resolve-path';
import { YoloModelNode } from './model-config';

interface YoloModelDef extends NodeDef {
  model: string;
  threads: string | number;
  providers: string;
  names: string;
}

/** Names override: a comma-separated list, or the path of a names file (classes.txt or JSON array). */
async function namesOverride(text: string, bases: string[]): Promise<string[] | undefined> {
  const t = (text ?? '').trim();
  if (!t) return undefined;
  if (t.includes(',')) return t.split(',').map((s) => s.trim());
  return readNamesFile(resolveModelPath(t, bases));
}

export = function (RED: NodeAPI): void {
  function YoloModel(this: YoloModelNode, config: YoloModelDef) {
    RED.nodes.createNode(this, config);
    const userDir = (RED.settings as { userDir?: string }).userDir;
    const bases = userDir ? [userDir] : [];
    const modelPath = resolveModelPath(config.model, bases);
    const threads = Number(config.threads) || 0;
    const providers = (config.providers || 'cpu').split(',').map((s) => s.trim()).filter(Boolean);
    let loading: Promise<Detector> | undefined;
    let closed = false;
    (this as { modelPath: string }).modelPath = modelPath;

    this.detector = () => {
      if (closed) return Promise.reject(new Error('model node is closed'));
      if (!loading) {
        loading = namesOverride(config.names, bases)
          .then((names) => Detector.create(modelPath, { threads, executionProviders: providers, names, warn: (m) => this.warn(m) }));
        loading.then(
          (d) => this.log(`loaded ${modelPath} (${d.info.layout}, ${d.info.numClasses} classes, ${d.info.inputWidth}x${d.info.inputHeight}, ${d.info.precision})`),
          () => { loading = undefined; },
        );
      }
      return loading;
    };

    this.on('close', (_removed: boolean, done: () => void) => {
      closed = true;
      const pending = loading;
      loading = undefined;
      if (!pending) return done();
      pending.then((d) => d.close(), () => undefined).then(() => done(), () => done());
    });
  }
  RED.nodes.registerType('yolo-model', YoloModel);
};
