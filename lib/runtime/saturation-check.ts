import * as path from 'path';
import type { ModelInfo } from '../model/model-info';
import { cpuClass, CpuFeatures, cpuFeatures, describeCpu, saturatesFullRangeInt8 } from './cpu-features';

/** Weights up to this size cannot overflow x86's 16-bit pair sums with 8-bit activations (255 x 64 x 2 < 32,768). */
export const SAFE_INT8_WEIGHT = 64;

/**
 * A warning when this CPU will saturate the model's int8 products: full-range int8 weights in a Conv that reads
 * the image, on x86 without VNNI. The image's bytes spread over 0..255, so large products pair up often there
 * (the other layers' activations sit near their zero points: full-range weights measured harmless in them,
 * docs/BENCHMARKS.md). Detections then degrade silently, so the message says what to run instead.
 */
export function saturationWarning(info: Pick<ModelInfo, 'path' | 'int8Weights'>, cpu: CpuFeatures = cpuFeatures()): string | undefined {
  const peak = info.int8Weights?.image ?? 0;
  if (peak <= SAFE_INT8_WEIGHT || !saturatesFullRangeInt8(cpuClass(cpu))) return undefined;
  return `${path.basename(info.path)} reads the image with full-range 8-bit weights (|w| up to ${peak}) and this CPU, ${describeCpu(cpu)}, has no VNNI: ` +
    'onnxruntime adds its int8 products in 16 bits there and saturates, so accuracy drops. ' +
    'Requantize from the FP32 model for every CPU: yolo-edge quantize --model MODEL.onnx --calib IMAGES --target portable --out OUT.onnx';
}
