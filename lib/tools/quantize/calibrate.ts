import * as ort from 'onnxruntime-node';
import { onnx } from 'onnx-proto';
import { Preprocessor } from '../../image/preprocess';
import { readImageFile } from '../../image/read-file';
import { tensorByteLength } from '../../image/tensor-layout';
import { encodeModel, TensorType } from '../../model/onnx-file';
import { coreCount } from '../../runtime/threads';
import { CalibratorKind, Collector, makeCollector, Range } from './calibrators';
import { YoloEdgeError } from '../../errors';

export interface CalibrationOptions {
  calibrator: CalibratorKind;
  percentile?: number;
  /** Tensors that always take min/max whatever the calibrator (the head's logits: their rare peaks are the detections). */
  minmaxTensors?: ReadonlySet<string>;
  threads?: number;
  progress?: (done: number, total: number, elapsedMs: number) => void;
}

/** A copy of the model whose graph outputs include the tensors to calibrate. */
export function calibrationModel(model: onnx.ModelProto, tensors: readonly string[]): Uint8Array {
  const graph = model.graph as onnx.GraphProto;
  const have = new Set(graph.output.map((o) => o.name));
  for (const t of tensors) {
    if (have.has(t)) continue;
    graph.output.push(onnx.ValueInfoProto.create({ name: t, type: { tensorType: { elemType: TensorType.FLOAT } } }));
  }
  return encodeModel(model);
}

/** A folder of many frames holds the odd bad one (a capture still writing it): the error must say which. */
async function preprocessFile(pre: Preprocessor, image: string): Promise<void> {
  // regular files only, as detect and bench read them: fs.readFile waited for ever on a FIFO named .jpg
  const bytes = await readImageFile(image).catch((e: YoloEdgeError) => {
    throw new YoloEdgeError(`calibration image ${e.message} (remove or replace it)`, e.code, { cause: e }); // the message names the file
  });
  try {
    await pre.run(bytes);
  } catch (err) {
    const e = err as Error;
    const code = e instanceof YoloEdgeError ? e.code : 'BAD_IMAGE';
    throw new YoloEdgeError(`calibration image ${image}: ${e.message} (remove or replace it)`, code, { cause: e });
  }
}

/**
 * Runs the images one at a time through the unoptimised graph (so every intermediate tensor exists) and
 * folds each requested tensor into its collector before the next image: memory is one image's tensors.
 */
export async function calibrate(
  modelBytes: Uint8Array,
  input: { name: string; width: number; height: number },
  tensors: readonly string[],
  images: readonly string[],
  o: CalibrationOptions,
): Promise<Map<string, Range>> {
  const session = await ort.InferenceSession.create(modelBytes, {
    graphOptimizationLevel: 'disabled',
    logSeverityLevel: 3, // as the other tool sessions: an export's initializers listed as inputs warned once each
    intraOpNumThreads: o.threads && o.threads > 0 ? o.threads : coreCount(),
    interOpNumThreads: 1,
    enableCpuMemArena: false,
    extra: { session: { intra_op: { allow_spinning: '0' } } },
  });
  try {
    const kind = (t: string): CalibratorKind => (o.minmaxTensors?.has(t) ? 'minmax' : o.calibrator);
    const collectors = new Map<string, Collector>(tensors.map((t) => [t, makeCollector(kind(t), o.percentile)]));
    const pre = new Preprocessor(new ArrayBuffer(tensorByteLength('float32', input.width, input.height)), 'float32', input.width, input.height);
    const feed = new ort.Tensor('float32', pre.tensor, [1, 3, input.height, input.width]);
    const t0 = performance.now();
    for (let k = 0; k < images.length; k++) {
      await preprocessFile(pre, images[k]);
      const out = await session.run({ [input.name]: feed }, tensors as string[]);
      for (const t of tensors) {
        const v = out[t];
        (collectors.get(t) as Collector).add(v.data as Float32Array);
        v.dispose();
      }
      o.progress?.(k + 1, images.length, performance.now() - t0);
    }
    return new Map([...collectors].map(([t, c]) => [t, c.range()]));
  } finally {
    await session.release();
  }
}
