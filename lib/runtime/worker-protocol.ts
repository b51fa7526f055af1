// Messages between an InferenceHost (main thread) and its inference worker. Tensor bytes travel as
// transferred ArrayBuffers: moved, never copied, and handed back with the reply.

export type TensorElement = 'float32' | 'uint8';

export interface TensorMessage {
  name: string;
  type: TensorElement;
  dims: number[];
  data: ArrayBuffer;
}

export interface SessionConfig {
  modelPath: string;
  threads: number;
  executionProviders: string[];
}

export type HostRequest =
  | { type: 'run'; id: number; input: TensorMessage; output?: TensorMessage }
  | { type: 'close' }
  | { type: 'crash' };

export type WorkerReply =
  | { type: 'loaded'; providers: string[] }
  | { type: 'load-failed'; message: string; code?: string }
  | { type: 'warn'; message: string }
  | { type: 'ran'; id: number; ms: number; input: ArrayBuffer; output: TensorMessage }
  | { type: 'run-failed'; id: number; message: string; input: ArrayBuffer; output?: ArrayBuffer };
