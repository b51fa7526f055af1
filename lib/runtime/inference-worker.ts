// Worker thread entry: one onnxruntime session, runs requested one at a time. session.run blocks the thread
// that calls it, so it runs here and never on Node-RED's event loop; so do the loops over a frame's pixels
// (making the tensor) and over the model's output (decode and NMS).
import { MessagePort, parentPort, workerData } from 'worker_threads';
import * as ort from 'onnxruntime-node';
import { YoloEdgeError } from '../errors';
import { hwcToNchw } from '../image/tensor-layout';
import { BoxFinder } from '../postprocess/find-boxes';
import { createSession } from './session-factory';
import { lowerThreadPriority } from './thread-priority';
import { HostRequest, RunResult, SessionConfig, WorkerReply } from './worker-protocol';

if (!parentPort) throw new Error('inference-worker must run in a worker thread');
const port: MessagePort = parentPort;

const post = (m: WorkerReply, transfer: ArrayBuffer[] = []): void => port.postMessage(m, transfer);

type RunRequest = Extract<HostRequest, { type: 'run' }>;
type TensorData = Float32Array | Uint8Array;

/** Buffers by kind and size, reused between runs (a dynamic-shape model may see a few sizes). */
class BufferPool {
  private readonly free = new Map<string, TensorData>();
  constructor(private readonly sizes = 4) {}

  get(type: 'float32' | 'uint8', n: number): TensorData {
    const key = `${type}:${n}`;
    let b = this.free.get(key);
    if (!b) {
      if (this.free.size >= this.sizes) this.free.delete(this.free.keys().next().value as string);
      b = type === 'uint8' ? new Uint8Array(n) : new Float32Array(n);
      this.free.set(key, b);
    }
    return b;
  }
}

const inputs = new BufferPool();
const outputs = new BufferPool();
const finder = new BoxFinder();

async function main(config: SessionConfig): Promise<void> {
  lowerThreadPriority(config.niceness);
  let session: ort.InferenceSession;
  try {
    const made = await createSession(config, (message) => post({ type: 'warn', message }));
    session = made.session;
    post({ type: 'loaded', providers: made.providers });
  } catch (err) {
    post({ type: 'load-failed', message: (err as Error).message, code: (err as { code?: string }).code });
    return;
  }
  // one run at a time: the pooled buffers and the box finder are shared by all runs
  let queue = Promise.resolve();
  port.on('message', (req: HostRequest) => {
    if (req.type === 'close') {
      void queue.then(() => session.release()).finally(() => port.close());
      return;
    }
    if (req.type === 'crash') {
      setImmediate(() => {
        throw new Error('crash requested');
      });
      return;
    }
    queue = queue.then(() => answer(session, req));
  });
}

async function answer(session: ort.InferenceSession, req: RunRequest): Promise<void> {
  try {
    const { result, transfer } = await run(session, req);
    post({ type: 'ran', ...result }, transfer);
  } catch (err) {
    post({ type: 'run-failed', id: req.id, message: (err as Error).message, code: (err as { code?: string }).code });
  }
}

async function run(session: ort.InferenceSession, req: RunRequest): Promise<{ result: RunResult; transfer: ArrayBuffer[] }> {
  const { name: inputName, type, width, height } = req.input;
  const t0 = performance.now();
  const tensor = inputs.get(type, 3 * width * height);
  hwcToNchw(new Uint8Array(req.input.data, 0, 3 * width * height), tensor, width, height);
  const feeds = { [inputName]: new ort.Tensor(type, tensor, [1, 3, height, width]) };
  const fixed = req.output.dims.every((d) => d > 0);
  // onnxruntime fills a preallocated output of a fixed shape; a dynamic one it allocates itself
  const fetches = fixed ? { [req.output.name]: new ort.Tensor('float32', outputs.get('float32', req.output.dims.reduce((a, b) => a * b, 1)), req.output.dims) } : undefined;
  const t1 = performance.now();
  const out = fetches ? await session.run(feeds, fetches) : await session.run(feeds);
  const t2 = performance.now();
  const result: RunResult = { id: req.id, ms: t2 - t1, tensorMs: t1 - t0, postMs: 0 };
  const transfer: ArrayBuffer[] = [];
  if (!req.post) return { result, transfer };
  const t = out[req.output.name] ?? out[session.outputNames[0]];
  const dims = t.dims.slice();
  if (dims.length !== 3) throw new YoloEdgeError(`model output has shape [${dims}]`, 'BAD_OUTPUT');
  const raw = t.data as Float32Array;
  result.found = finder.find(raw, dims, req.post);
  result.postMs = performance.now() - t2;
  if (req.post.keepRaw) {
    const copy = raw.slice();
    result.raw = { name: req.output.name, type: 'float32', dims, data: copy.buffer };
    transfer.push(copy.buffer);
  }
  return { result, transfer };
}

void main(workerData as SessionConfig);
