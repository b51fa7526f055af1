// Worker thread entry: one onnxruntime session, runs requested one at a time. session.run blocks the thread
// that calls it, so it runs here and never on Node-RED's event loop; so does the loop over the model's output
// (decode and NMS). The input tensor is the slot the image worker wrote, handed to the session as it is.
import { MessagePort, parentPort, workerData } from 'worker_threads';
import * as ort from 'onnxruntime-node';
import { cutMiddle } from '../config/fields';
import { YoloEdgeError } from '../errors';
import { InputTensor, TensorElement, tensorView } from '../image/tensor-layout';
import { shapeText } from '../model/onnx-file';
import { BoxFinder } from '../postprocess/find-boxes';
import { createSession } from './session-factory';
import { lowerThreadPriority } from './thread-priority';
import { HostRequest, RunResult, SessionConfig, WorkerReply } from './worker-protocol';

if (!parentPort) throw new Error('inference-worker must run in a worker thread');
const port: MessagePort = parentPort;

const post = (m: WorkerReply, transfer: ArrayBuffer[] = []): void => port.postMessage(m, transfer);

type RunRequest = Extract<HostRequest, { type: 'run' }>;

/** Buffers by kind and size, reused between runs (a dynamic-shape model may see a few sizes). */
class BufferPool {
  private readonly free = new Map<string, InputTensor>();
  constructor(private readonly sizes = 4) {}

  get(type: TensorElement, n: number): InputTensor {
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

/**
 * Where the session reads its input from: the shared slot itself when Node-API takes a SharedArrayBuffer (Node 24
 * and recent 22 releases), else a copy in this worker's memory (Node 20 answers "Invalid argument"). The
 * first run (the detector's warm-up) finds out which; a first run that fails with the copy too decides nothing.
 * On Node 20 the copy (a memcpy of the tensor) counts in the session's time.
 */
class InputMemory {
  private shared?: boolean;
  private readonly copies = new BufferPool();

  async run<T>(slot: InputTensor, runWith: (input: InputTensor) => Promise<T>): Promise<T> {
    if (this.shared !== false) {
      try {
        const r = await runWith(slot);
        this.shared = true;
        return r;
      } catch (err) {
        if (this.shared) throw err;
      }
    }
    const copy = this.copies.get(slot instanceof Uint8Array ? 'uint8' : 'float32', slot.length);
    copy.set(slot);
    const r = await runWith(copy);
    this.shared = false;
    return r;
  }
}

/**
 * The output as the model declares it (a symbolic or 0 dimension takes any size): the detector decodes it by that
 * shape, and the worker preallocates it from that shape once a run has shown they agree. A file declaring
 * [1, 84, 200000000] had 67 GB asked for its output ('Array buffer allocation failed'), and one declaring fewer
 * anchors than it gives failed in onnxruntime's words.
 */
function checkOutputDims(got: readonly number[], declared: readonly number[]): void {
  if (got.length === declared.length && declared.every((d, i) => d <= 0 || d === got[i])) return;
  throw new YoloEdgeError(`${(workerData as SessionConfig).modelPath}: the model declares its output as ${shapeText(declared)} but gives ${shapeText(got)}: the file does not describe its own output (an edited or broken export); export it again`, 'BAD_OUTPUT');
}

/** Set once a run's output had the declared shape: preallocated from then on. */
let outputChecked = false;

const inputs = new InputMemory();
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
    post({ type: 'load-failed', message: cutMiddle((err as Error).message), code: (err as { code?: string }).code });
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
    post({ type: 'run-failed', id: req.id, message: cutMiddle((err as Error).message), code: (err as { code?: string }).code });
  }
}

async function run(session: ort.InferenceSession, req: RunRequest): Promise<{ result: RunResult; transfer: ArrayBuffer[] }> {
  const { name: inputName, type, width, height, data } = req.input;
  const n = 3 * width * height;
  const slot = tensorView(data, type, n);
  const fixed = outputChecked && req.output.dims.every((d) => d > 0);
  // onnxruntime fills a preallocated output of a fixed shape; a dynamic one it allocates itself
  const fetches = fixed ? { [req.output.name]: new ort.Tensor('float32', outputs.get('float32', req.output.dims.reduce((a, b) => a * b, 1)), req.output.dims) } : undefined;
  const t1 = performance.now();
  const out = await inputs.run(slot, (input) => {
    const feeds = { [inputName]: new ort.Tensor(type, input, [1, 3, height, width]) };
    return fetches ? session.run(feeds, fetches) : session.run(feeds);
  });
  const t2 = performance.now();
  const t = out[req.output.name] ?? out[session.outputNames[0]];
  const dims = t.dims.slice();
  const result: RunResult = { id: req.id, ms: t2 - t1, postMs: 0, dims };
  const transfer: ArrayBuffer[] = [];
  // the first run (the detector's warm-up) checks it, before any frame is decoded by it
  if (!outputChecked) checkOutputDims(dims, req.output.dims);
  outputChecked = true;
  if (!req.post) return { result, transfer };
  if (dims.length !== 3) throw new YoloEdgeError(`model output has shape ${shapeText(dims)}`, 'BAD_OUTPUT');
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
