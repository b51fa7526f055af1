// Shared between the node adapters: how a node reaches the detector its yolo-model config node owns.
import * as path from 'path';
import type { Node, NodeAPI, NodeStatus } from 'node-red';
import type { DetectOptions, Detector } from '../../lib/detector';
import { YoloEdgeError } from '../../lib/errors';
import { isBlank, kindOf, shownId } from '../../lib/config/fields';
import { errorStatus } from './refuse-input';

export interface YoloModelNode extends Node {
  /** Resolved model file path. */
  readonly modelPath: string;
  /** The detector for this model, loaded on first use; a failed load is retried on the next call. */
  detector(): Promise<Detector>;
  /** Calls `watcher` with a short text while the default model is being fetched; returns the unwatch. */
  watchFetch(watcher: (text: string) => void): () => void;
  /** `user` uses this model from now on (a detect or shadow node, at its start). */
  register(user: Node): void;
  /** `user` has stopped: with no user left, the model is unloaded after a grace (a successor may come). */
  deregister(user: Node): void;
}

/** A node's pick of a yolo-model node: the node, or why there is none ('' when there is one). */
export interface ModelPick {
  node: YoloModelNode | null;
  missing: string;
}

/**
 * The yolo-model node `id` names, or why there is none: none picked, a yolo-model node that is not deployed (a flow
 * imported without its config node, or one deleted), which 'no model configured' would hide, or a node of another
 * type (an id pasted into a flow file by hand): its methods are not a model's, and calling them threw out of the
 * constructor, so Node-RED left the node out with no status.
 */
export function pickModel(RED: NodeAPI, id: unknown, role = ''): ModelPick {
  const what = role ? `${role} yolo-model` : 'yolo-model';
  if (isBlank(id)) return { node: null, missing: `no ${what} configured` };
  if (typeof id !== 'string') return { node: null, missing: `the ${what} must be a node id, got ${kindOf(id)}` };
  // Node-RED's lookup is a plain object: '__proto__' or 'constructor' finds what every object inherits, no node
  const found = RED.nodes.getNode(id) as Node | null;
  if (!found || typeof found.type !== 'string') return { node: null, missing: `${what} node ${shownId(id)} not found` };
  if (found.type !== 'yolo-model') return { node: null, missing: `the ${what} node ${id} is a ${found.type} node, not a yolo-model` };
  return { node: found as YoloModelNode, missing: '' };
}

/** A pick's reason with the fix, for the log and for Catch nodes. */
export function noModelError(missing: string): YoloEdgeError {
  return new YoloEdgeError(`${missing}: pick the model again in the node's settings and deploy`, 'NO_MODEL');
}

/** The red status of a model that did not load: a fetch failure says where its long story is. */
export function loadFailureStatus(err: Error): NodeStatus {
  return (err as { code?: string }).code === 'MODEL_FETCH_FAILED' ? { fill: 'red', shape: 'ring', text: 'default model fetch failed · see log' } : errorStatus(err);
}

/** Shows the default model's fetch progress in `node`'s status until `loading` settles or the node closes. */
export function showFetchProgress(node: Node, models: Array<YoloModelNode | undefined>, loading: Promise<unknown>): void {
  const unwatch = models.map((m) => m?.watchFetch((text) => node.status({ fill: 'yellow', shape: 'ring', text })));
  const stop = () => unwatch.forEach((u) => u?.());
  node.on('close', stop);
  loading.then(stop, stop);
}

/**
 * Settings the loaded model cannot run (a class filter naming a class it does not have), logged at deploy instead of
 * at the first frame; frames still fail with the same error. The error when refused, for the caller's held status.
 */
export function refuseSettingsAtLoad(node: Node, d: Detector, options: Partial<DetectOptions>): Error | undefined {
  if (options.agnostic && d.info.layout === 'end2end') node.warn(`agnostic NMS does not apply: ${path.basename(d.info.path)} is an end-to-end model, which does its own NMS`);
  try {
    d.checkOptions(options);
    return undefined;
  } catch (err) {
    node.error(`settings: ${(err as Error).message}`);
    return err as Error;
  }
}
