// Shared between the node adapters: how a node reaches the detector its yolo-model config node owns.
import type { Node } from 'node-red';
import type { Detector } from '../lib/detector';

export interface YoloModelNode extends Node {
  /** Resolved model file path. */
  readonly modelPath: string;
  /** The detector for this model, loaded on first use; a failed load is retried on the next call. */
  detector(): Promise<Detector>;
}

/** Model identity for reports: file, hash, metadata version and date. */
export function describeDetector(d: Detector): { file: string; sha256: string; version?: string; date?: string; precision: string } {
  const i = d.info;
  return { file: i.path, sha256: i.sha256, version: i.metadata.version, date: i.metadata.date, precision: i.precision };
}
