import { ErrorCode, YoloEdgeError } from '../../errors';

/** A model that failed at one thread count: the bench reports it and goes on with the others. */
export interface BenchFailure {
  model: string;
  threads: number;
  code: ErrorCode;
  message: string;
}

/** `model` is the model's name in the bench (modelNames); `fallback` codes an error that carries none (onnxruntime's own, a flow's). */
export function benchFailure(model: string, threads: number, e: unknown, fallback: ErrorCode): BenchFailure {
  const code = e instanceof YoloEdgeError ? e.code : fallback;
  return { model, threads, code, message: e instanceof Error ? e.message : String(e) };
}

/** A markdown list after the table, one line per failure (a blank line ends the table). */
export function failureLines(failed: readonly BenchFailure[]): string {
  return failed.length ? '\n' + failed.map((f) => `\n- failed: ${f.model} at ${f.threads} thread(s): ${f.code}: ${f.message}`).join('') : '';
}
