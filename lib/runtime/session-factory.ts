import * as ort from 'onnxruntime-node';
import { withFloat32Edges } from '../model/float32-edges';
import { decodeModel, encodeModel, readModelBytes } from '../model/onnx-file';
import { checkSameFile } from './file-identity';
import { shownStart } from '../config/fields';
import { SessionConfig } from './worker-protocol';

export type Warn = (message: string) => void;

/** Providers this onnxruntime build can run; the rest fall back to cpu with a warning. */
export function usableProviders(requested: string[], warn: Warn): string[] {
  const bundled = new Set(ort.listSupportedBackends().filter((b) => b.bundled).map((b) => b.name));
  // each once, and one warning for those missing: a flow file's list of 20000 names logged 20000 lines at each load
  const unique = [...new Set(requested)];
  const out = unique.filter((ep) => bundled.has(ep));
  const missing = unique.filter((ep) => !bundled.has(ep));
  if (missing.length === 1) warn(`execution provider ${namesOf(missing)} is not available in this onnxruntime build; using cpu`);
  else if (missing.length > 1) warn(`execution providers ${namesOf(missing)} are not available in this onnxruntime build; using cpu`);
  if (!out.includes('cpu')) out.push('cpu');
  return out;
}

/** Names quoted (a long one cut), the first few and how many more. */
function namesOf(names: string[], shown = 5): string {
  const head = names.slice(0, shown).map((n) => shownStart(n)).join(', ');
  return names.length > shown ? `${head} and ${names.length - shown} more` : head;
}

/** The session for one model and settings; a provider that fails to start falls back to cpu. */
export async function createSession(c: SessionConfig, warn: Warn): Promise<{ session: ort.InferenceSession; providers: string[] }> {
  await checkSameFile(c.modelPath, c.identity, c.sha256);
  const providers = usableProviders(c.executionProviders, warn);
  const options: ort.InferenceSession.SessionOptions = {
    executionProviders: providers,
    graphOptimizationLevel: 'all',
    intraOpNumThreads: c.threads,
    interOpNumThreads: 1,
    // Threads spin between the kernels of a run (waking a parked thread for each short int8 kernel costs about
    // as much as the kernel) and stop when the run returns, so nothing burns the cores between frames.
    extra: { session: { intra_op: { allow_spinning: '1' }, force_spinning_stop: '1' } },
  };
  try {
    return { session: await float32Session(c.modelPath, options), providers };
  } catch (err) {
    if (providers.length === 1) throw err;
    warn(`session with providers [${providers}] failed (${(err as Error).message}); using cpu`);
    return { session: await float32Session(c.modelPath, { ...options, executionProviders: ['cpu'] }), providers: ['cpu'] };
  }
}

const isHalf = (m: readonly ort.InferenceSession.ValueMetadata[]): boolean => m.some((v) => v.isTensor && v.type === 'float16');

/** A session fed and read in float32: a float16 model is loaded again with float32 edges (see float32-edges). */
export async function float32Session(modelPath: string, options: ort.InferenceSession.SessionOptions): Promise<ort.InferenceSession> {
  const session = await ort.InferenceSession.create(modelPath, options);
  if (!isHalf(session.inputMetadata) && !isHalf(session.outputMetadata)) return session;
  await session.release();
  const model = decodeModel(await readModelBytes(modelPath), modelPath);
  withFloat32Edges(model);
  return ort.InferenceSession.create(encodeModel(model), options);
}
