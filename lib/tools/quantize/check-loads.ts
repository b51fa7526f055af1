import * as ort from 'onnxruntime-node';
import { YoloEdgeError } from '../../errors';

/**
 * Loads a rewritten model in onnxruntime before it is written: a graph it refuses (a name used twice, a tensor of
 * the wrong size) fails the command here instead of leaving a file that no node can load.
 */
export async function checkLoads(bytes: Uint8Array, what: string): Promise<void> {
  let session: ort.InferenceSession;
  try {
    session = await ort.InferenceSession.create(bytes, { logSeverityLevel: 3, intraOpNumThreads: 1 });
  } catch (err) {
    throw new YoloEdgeError(`the ${what} does not load in onnxruntime, nothing written: ${(err as Error).message}`, 'QUANTIZE_FAILED');
  }
  await session.release();
}
