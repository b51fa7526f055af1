// Shared between the node adapters: how a node reaches the detector its yolo-model config node owns.
import type { Node } from 'node-red';
import type { Detector } from '../../lib/detector';

export interface YoloModelNode extends Node {
  /** Resolved model file path. */
  readonly modelPath: string;
  /** The detector for this model, loaded on first use; a failed load is retried on the next call. */
  detector(): Promise<Detector>;
}
