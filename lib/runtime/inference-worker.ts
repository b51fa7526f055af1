// Worker thread entry: one onnxruntime session, runs requested one at a time. session.run blocks the thread
// that calls it, so it runs here and never on Node-RED's event loop.
import { MessagePort, parentPort, workerData } from 'worker_threads';
import * as ort from 'onnxruntime-node';
import { createSession } from './session-factory';
import { HostRequest, SessionConfig, TensorMessage, WorkerReply } from './worker-protocol';

if (!parentPort) throw new Error('inference-worker must run in a worker thread');
const port: MessagePort = parentPort;

const post = (m: WorkerReply, transfer: ArrayBuffer[] = []): void => port.postMessage(m, transfer);

function tensorOf(m: TensorMessage): ort.Tensor {
  const data = m.type === 'uint8' ? new Uint8Array(m.data) : new Float32Array(m.data);
  return new ort.Tensor(m.type, data, m.dims);
}

/** The output in a movable buffer: the preallocated one when given, else a copy. */
function outputBuffer(t: ort.Tensor, preallocated?: ArrayBuffer): ArrayBuffer {
  // onnxruntime fills a preallocated output (and hands back another view of it): that buffer goes back as it
  // is; an output onnxruntime allocated itself (dynamic shapes) is copied once to be movable
  return preallocated ?? (t.data as Float32Array).slice().buffer;
}

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
    void run(session, req);
  });
}

async function run(session: ort.InferenceSession, req: Extract<HostRequest, { type: 'run' }>): Promise<void> {
  try {
    const feeds = { [req.input.name]: tensorOf(req.input) };
    const t0 = performance.now();
    const out = req.output ? await session.run(feeds, { [req.output.name]: tensorOf(req.output) }) : await session.run(feeds);
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
