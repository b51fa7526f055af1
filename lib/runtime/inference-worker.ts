// Worker thread entry: one onnxruntime session, runs requested one at a time. session.run blocks the thread
// that calls it, so it runs here and never on Node-RED's event loop.
import { MessagePort, parentPort, workerData } from 'worker_threads';
import * as ort from 'onnxruntime-node';
import { fromFloat16, toFloat16 } from '../model/float16';
import { createSession } from './session-factory';
import { HostRequest, SessionConfig, TensorMessage, WorkerReply } from './worker-protocol';

if (!parentPort) throw new Error('inference-worker must run in a worker thread');
const port: MessagePort = parentPort;

const post = (m: WorkerReply, transfer: ArrayBuffer[] = []): void => port.postMessage(m, transfer);

function tensorOf(m: TensorMessage): ort.Tensor {
  const data = m.type === 'uint8' ? new Uint8Array(m.data) : new Float32Array(m.data);
  return new ort.Tensor(m.type, data, m.dims);
}

/** Float16 twins of the float32 tensors, reused between runs (conversion happens here, off the main thread). */
const half = { input: new Uint16Array(0), output: new Uint16Array(0) };

function halfBuffer(which: 'input' | 'output', n: number): Uint16Array {
  if (half[which].length !== n) half[which] = new Uint16Array(n);
  return half[which];
}

function feedOf(m: TensorMessage): ort.Tensor {
  if (m.sessionType !== 'float16') return tensorOf(m);
  const src = new Float32Array(m.data);
  const h = halfBuffer('input', src.length);
  toFloat16(src, h);
  return new ort.Tensor('float16', h, m.dims);
}

function fetchOf(m: TensorMessage): ort.Tensor {
  return m.sessionType === 'float16' ? new ort.Tensor('float16', halfBuffer('output', m.data.byteLength / 4), m.dims) : tensorOf(m);
}

/** The output as float32 in a movable buffer: the preallocated one when given, else a copy. */
function outputBuffer(t: ort.Tensor, preallocated?: ArrayBuffer): ArrayBuffer {
  if (t.type === 'float16') {
    const bits = t.data as Uint16Array;
    const out = preallocated ? new Float32Array(preallocated) : new Float32Array(bits.length);
    fromFloat16(bits, out);
    return out.buffer as ArrayBuffer;
  }
  // onnxruntime fills a preallocated output (and hands back another view of it): that buffer goes back as it
  // is; an output onnxruntime allocated itself (dynamic shapes) is copied once to be movable
  return preallocated ?? (t.data as Float32Array).slice().buffer;
}

let queue: Promise<void> = Promise.resolve();

async function main(config: SessionConfig): Promise<void> {
  let session: ort.InferenceSession;
  try {
    const made = await createSession(config, (message) => post({ type: 'warn', message }));
    session = made.session;
    post({ type: 'loaded', providers: made.providers });
  } catch (err) {
    post({ type: 'load-failed', message: (err as Error).message, code: (err as { code?: string }).code });
    return;
  }
  port.on('message', (req: HostRequest) => {
    if (req.type === 'close') {
      void session.release().finally(() => port.close());
      return;
    }
    if (req.type === 'crash') {
      setImmediate(() => {
        throw new Error('crash requested');
      });
      return;
    }
    // one after the other: the float16 buffers are shared, and a second message may arrive before the first run starts
    queue = queue.then(() => run(session, req));
  });
}

async function run(session: ort.InferenceSession, req: Extract<HostRequest, { type: 'run' }>): Promise<void> {
  try {
    const feeds = { [req.input.name]: feedOf(req.input) };
    const t0 = performance.now();
    const out = req.output ? await session.run(feeds, { [req.output.name]: fetchOf(req.output) }) : await session.run(feeds);
    const ms = performance.now() - t0;
    const name = req.output?.name ?? session.outputNames[0];
    const t = out[name];
    const buffer = outputBuffer(t, req.output?.data);
    post({ type: 'ran', id: req.id, ms, input: req.input.data, output: { name, type: 'float32', dims: t.dims.slice(), data: buffer } }, [req.input.data, buffer]);
  } catch (err) {
    const transfer = [req.input.data, ...(req.output ? [req.output.data] : [])];
    post({ type: 'run-failed', id: req.id, message: (err as Error).message, input: req.input.data, output: req.output?.data }, transfer);
  }
}

void main(workerData as SessionConfig);
