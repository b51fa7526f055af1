import * as path from 'path';
import type { Node, NodeAPI, NodeDef } from 'node-red';
import { Detector } from '../lib/detector';
import { DEFAULT_MODEL, defaultModelDir, findDefaultModel, isDefaultModelName, MODELS_DIR } from '../lib/model/default-model';
import { supplyDefaultModel, SupplyHandle } from '../lib/model/default-model-supply';
import { describeFetch, fetchByHandCommand } from '../lib/model/fetch-default-model';
import { ModelCatalog, ModelFolder } from '../lib/model/model-catalog';
import { NamesSetting, parseNamesSetting, readNamesFile } from '../lib/model/model-info';
import { resolveModelPath } from '../lib/model/resolve-path';
import { parseThreads } from '../lib/runtime/threads';
import { LoadRetry } from '../lib/runtime/load-retry';
import { YoloEdgeError } from '../lib/errors';
import { pathField, textField } from '../lib/config/fields';
import { YoloModelNode } from './shared/model-config';

/** As the editor stores them (strings), or anything a flow file or the admin API gives: read with lib/config/fields. */
interface YoloModelDef extends NodeDef {
  model?: unknown;
  threads?: unknown;
  providers?: unknown;
  names?: unknown;
}

/** Names override from the *Class names* setting; a names file is found like a model path. */
async function namesOverride(setting: NamesSetting | undefined, bases: string[]): Promise<string[] | undefined> {
  if (!setting) return undefined;
  return 'list' in setting ? setting.list : readNamesFile(resolveModelPath(setting.file, bases));
}

/** The model picker's folders: the package's models/ (bare names) and the user dir's models/ ('models/<file>'). */
function modelFolders(userDir: string | undefined): ModelFolder[] {
  const folders: ModelFolder[] = [{ source: 'package', dir: MODELS_DIR, prefix: '' }];
  if (userDir) folders.push({ source: 'user', dir: path.join(userDir, 'models'), prefix: 'models/' });
  return folders;
}

/** How the picker names its folders: never the host's absolute paths, which read-only users would see. */
const FOLDER_LABELS: Record<ModelFolder['source'], string> = {
  package: 'the package\'s models/',
  user: 'models/ in the Node-RED user directory',
};

/** Admin endpoints of the model picker; file names come only from listing those folders (no path traversal). */
function registerModelPicker(RED: NodeAPI): void {
  const catalog = new ModelCatalog();
  const folders = () => modelFolders((RED.settings as { userDir?: string }).userDir);
  const fail = (res: JsonResponse, err: unknown) => res.status(500).json({ error: (err as Error).message });
  RED.httpAdmin.get('/yolo-edge/models', RED.auth.needsPermission('yolo-model.read'), (_req, res) => {
    const f = folders();
    catalog.list(f).then(
      // unlisted: the files past the listing's bound, which the picker says it left out
      ({ models, unlisted }) => res.json({ folders: f.map(({ source }) => ({ source, label: FOLDER_LABELS[source], unlisted: unlisted[source] ?? 0 })), models }),
      (err) => fail(res, err),
    );
  });
  RED.httpAdmin.get('/yolo-edge/models/:source/:file', RED.auth.needsPermission('yolo-model.read'), (req, res) => {
    catalog.find(folders(), String(req.params.source), String(req.params.file)).then(
      (model) => (model ? res.json(model) : res.status(404).json({ error: 'no such model in the models/ folders' })),
      (err) => fail(res, err),
    );
  });
  // Express decodes :source and :file before any handler of the route runs: a malformed percent sequence
  // (%E0%A4%A) skips the route with a URIError, which reached Express's own HTML 400 page, with its stack trace.
  RED.httpAdmin.use('/yolo-edge/models', (err: unknown, _req: unknown, res: JsonResponse, next: (err: unknown) => void) => {
    if (!(err instanceof URIError)) return next(err);
    res.status(400).json({ error: 'the folder or file name in the URL is not valid percent-encoding' });
  });
}

/** The part of an Express response the picker's answers use. */
type JsonResponse = { status(n: number): { json(b: unknown): void } };

/** How long a model no node uses any more stays loaded (see register in YoloModel). */
const UNUSED_GRACE_MS = 10_000;

/** Fetches the missing default model once per load, telling watchers how far it got. */
class DefaultModelFetch {
  private handle?: SupplyHandle;
  private readonly watchers = new Set<(text: string) => void>();
  private closed = false;
  text?: string;

  constructor(private readonly node: YoloModelNode, private readonly dir: string, private readonly userDir: string | undefined) {}

  ready(): Promise<string> {
    this.handle?.release();
    this.node.log(`default model missing: fetching it into ${this.dir}`);
    this.handle = supplyDefaultModel(this.dir, (p) => this.tell(describeFetch(p)));
    return this.handle.ready.then(
      (file) => { this.tell(undefined); return file; },
      (err: Error) => {
        const e = new YoloEdgeError(`${err.message}. Fix: ${fetchByHandCommand(this.userDir)}`, 'MODEL_FETCH_FAILED');
        if (!this.closed) this.node.error(e.message); // a closed node's fetch is left to the node that rejoins it
        this.tell(undefined);
        throw e;
      },
    );
  }

  watch(w: (text: string) => void): () => void {
    this.watchers.add(w);
    if (this.text) w(this.text);
    return () => this.watchers.delete(w);
  }

  close(): void {
    this.closed = true;
    this.handle?.release();
    this.watchers.clear();
  }

  private tell(text: string | undefined): void {
    this.text = text;
    if (text) this.watchers.forEach((w) => w(text));
  }
}

export = function (RED: NodeAPI): void {
  registerModelPicker(RED);
  function YoloModel(this: YoloModelNode, config: YoloModelDef) {
    RED.nodes.createNode(this, config);
    const userDir = (RED.settings as { userDir?: string }).userDir;
    const bases = userDir ? [userDir] : [];
    let configError: Error | undefined;
    /** A setting, or `fallback` once its error is logged: detector() then fails with the first such error. */
    const setting = <T>(read: () => T, fallback: T): T => {
      try {
        return read();
      } catch (err) {
        configError ??= err as Error;
        this.error(`configuration: ${(err as Error).message}`);
        return fallback;
      }
    };
    // pathField(): a number or list from a flow file is read as the editor would have stored it, not a TypeError here
    const model = setting<string | undefined>(() => pathField('model', config.model), undefined);
    const threads = setting(() => parseThreads(config.threads), 0);
    const providers = setting(() => textField('providers', config.providers, 'cpu'), 'cpu').split(',').map((s) => s.trim()).filter(Boolean);
    const names = setting(() => parseNamesSetting(textField('class names', config.names)), undefined);
    // a model setting in error neither fetches the default model nor names a file it did not ask for
    const isDefault = model !== undefined && isDefaultModelName(model);
    const found = isDefault ? findDefaultModel(userDir) : undefined;
    const modelPath = model === undefined ? '' : isDefault ? found ?? path.join(defaultModelDir(userDir), DEFAULT_MODEL.file) : resolveModelPath(model, bases);
    const fetcher = isDefault && !found ? new DefaultModelFetch(this, defaultModelDir(userDir), userDir) : undefined;
    let loading: Promise<Detector> | undefined;
    const retry = new LoadRetry();
    /** The detector being made from the model file, once it is there: close() waits for it, not for a fetch. */
    let creating: Promise<Detector> | undefined;
    let closed = false;
    (this as { modelPath: string }).modelPath = modelPath;

    this.detector = () => {
      if (closed) return Promise.reject(new YoloEdgeError('model node is closed', 'CLOSED'));
      if (configError) return Promise.reject(configError);
      if (!loading) {
        // a default model put in place since (by hand, in either folder) is used as it is found
        const present = fetcher ? findDefaultModel(userDir) : modelPath;
        const mine = load(present);
        loading = mine;
        mine.then(
          (d) => this.log(`loaded ${d.info.path} (${d.info.layout}, ${d.info.numClasses} classes, ${d.info.inputWidth}x${d.info.inputHeight}, ${d.info.precision})`),
          () => { if (loading === mine) loading = undefined; },
        );
      }
      return loading;
    };

    // The nodes that use this model (detect and shadow nodes). When the last one stops and this node stays (a
    // modified-nodes deploy that deletes them leaves the config node as it was), the model is let go after a grace:
    // its worker thread and session held about 80 MB until the next full deploy. A user that comes meanwhile (the
    // successor of a modified node) keeps it loaded.
    const users = new Set<Node>();
    let unloadTimer: NodeJS.Timeout | undefined;
    this.register = (user) => {
      users.add(user);
      clearTimeout(unloadTimer);
    };
    this.deregister = (user) => {
      if (!users.delete(user) || users.size > 0 || closed) return;
      clearTimeout(unloadTimer);
      unloadTimer = setTimeout(unload, UNUSED_GRACE_MS);
    };
    /** Closes the detector, once loaded; the next detector() loads the model again. */
    const unload = (): void => {
      const pending = loading;
      loading = undefined;
      creating = undefined;
      if (pending) {
        this.log(`no node uses ${modelPath} any more: model unloaded`);
        pending.then((d) => d.close(), () => undefined).catch(() => undefined);
      }
    };

    /** One try at the model, unless the last failed too recently for the same file (see LoadRetry). */
    const load = async (present: string | undefined): Promise<Detector> => {
      const file = present ?? modelPath;
      const held = await retry.held(file);
      if (held) throw held;
      const identity = await retry.identity(file);
      try {
        const f = present ?? (await (fetcher as DefaultModelFetch).ready());
        // a fetch that ends after close() makes no detector: nothing would close it
        if (closed) throw new YoloEdgeError('model node is closed', 'CLOSED');
        (this as { modelPath: string }).modelPath = f;
        creating = namesOverride(names, bases)
          .then((names) => Detector.create(f, { threads, executionProviders: providers, names, warn: (m) => this.warn(m) }));
        const d = await creating;
        retry.succeeded();
        return d;
      } catch (err) {
        retry.failed(err as Error, file, identity);
        throw err;
      }
    };

    this.watchFetch = (watcher) => (fetcher ? fetcher.watch(watcher) : () => undefined);

    this.on('close', (_removed: boolean, done: () => void) => {
      closed = true;
      clearTimeout(unloadTimer);
      fetcher?.close();
      // Not the fetch of the default model: it goes on for the node that replaces this one (a redeploy waited for
      // it, past Node-RED's 15 s close limit, and the fetch was then aborted under the new node).
      const pending = creating;
      loading = undefined;
      creating = undefined;
      if (!pending) return done();
      pending.then((d) => d.close(), () => undefined).then(() => done(), () => done());
    });
  }
  RED.nodes.registerType('yolo-model', YoloModel);
};
