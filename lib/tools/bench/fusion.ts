import { promises as fs } from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as ort from 'onnxruntime-node';
import { onnx } from 'onnx-proto';
import { withModelFile } from '../../model/onnx-file';
import { holdScratch } from '../temp-files';

/**
 * Op counts of the graph onnxruntime actually runs (written through optimizedModelFilePath): shows whether
 * the QDQ pattern fused into QLinearConv or left loose DequantizeLinear nodes around float Convs.
 */
export async function optimizedOpCounts(modelPath: string): Promise<Record<string, number>> {
  const dump = path.join(os.tmpdir(), `yolo-edge-optimized-${process.pid}-${Date.now()}.onnx`);
  // junk is refused before onnxruntime reads it whole
  await withModelFile(modelPath, async () => undefined);
  const done = holdScratch(dump);
  try {
    const session = await ort.InferenceSession.create(modelPath, {
      graphOptimizationLevel: 'all',
      optimizedModelFilePath: dump,
      intraOpNumThreads: 1,
      logSeverityLevel: 3,
    });
    await session.release();
    const model = onnx.ModelProto.decode(await fs.readFile(dump));
    const counts: Record<string, number> = {};
    for (const n of model.graph?.node ?? []) counts[n.opType ?? ''] = (counts[n.opType ?? ''] ?? 0) + 1;
    return counts;
  } finally {
    await fs.rm(dump, { force: true });
    done();
  }
}
