import { Detector, DetectOptions, DetectionResult } from './detector';
import { ErrorCode, YoloEdgeError } from './errors';
import { readImageFile } from './image/read-file';

/** An error about one image file of many (a dataset, a command line) with the file's path in front, its code kept. */
export function imageFileError(file: string, err: unknown, fallback: ErrorCode): YoloEdgeError {
  const e = err as Error;
  return new YoloEdgeError(`${file}: ${e.message}`, e instanceof YoloEdgeError ? e.code : fallback, { cause: e });
}

/** Reads and detects one image file; its errors name the file. */
export async function detectFile(detector: Detector, file: string, options: Partial<DetectOptions>): Promise<DetectionResult> {
  const bytes = await readImageFile(file); // its errors name the file already
  try {
    return await detector.detect(bytes, options);
  } catch (err) {
    throw imageFileError(file, err, 'INFERENCE_FAILED');
  }
}
