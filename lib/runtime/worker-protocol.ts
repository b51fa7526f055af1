// Messages between an InferenceHost (main thread) and its inference worker. The frame's input tensor is in a slot
// buffer shared with the image worker, which wrote it (never copied); the model's output stays in the worker,
// which sends back only the boxes it kept (and a copy of the output when asked).
import type { TensorElement } from '../image/tensor-layout';
import type { FindOptions, FoundBoxes } from '../postprocess/find-boxes';

export interface TensorMessage {
  name: string;
  type: TensorElement;
  dims: number[];
  data: ArrayBuffer;
}

/** A letterboxed frame as the model's input tensor `name`: NCHW planes of `type` at the start of `data`. */
export interface FrameMessage {
  name: string;
  type: TensorElement;
  width: number;
  height: number;
  data: SharedArrayBuffer;
}

/** The output to read; dims with a symbolic (<= 0) size mean onnxruntime allocates it per run. */
export interface OutputSpec {
  name: string;
  dims: number[];
}

/** Postprocessing in the worker; without it a run only times the session (benchmarks, warm-up). */
export interface RunPostprocess extends FindOptions {
  /** Send a copy of the raw output back too. */
  keepRaw: boolean;
}

export interface SessionConfig {
  modelPath: string;
  /** The file's identity (runtime/file-identity) when its users described it; a restart checks it still is. */
  identity: string;
  /** sha256 of the bytes its users described: the same bytes under a new time are still the file. */
  sha256?: string;
  threads: number;
  executionProviders: string[];
  /** Nice steps below Node-RED's threads for the worker and its intra-op threads (0: same priority). */
  niceness: number;
}

export type HostRequest =
  | { type: 'run'; id: number; input: FrameMessage; output: OutputSpec; post?: RunPostprocess }
  | { type: 'close' }
  | { type: 'crash' };

export interface RunResult {
  id: number;
  /** session.run milliseconds. */
  ms: number;
  /** Decode and NMS. */
  postMs: number;
  /** The output's shape in this run. */
  dims: number[];
  found?: FoundBoxes;
  raw?: TensorMessage;
}

export type WorkerReply =
  | { type: 'loaded'; providers: string[] }
  | { type: 'load-failed'; message: string; code?: string }
  | { type: 'warn'; message: string }
  | ({ type: 'ran' } & RunResult)
  | { type: 'run-failed'; id: number; message: string; code?: string };
