// Worker thread entry: describes one model file for the model picker. The protobuf decode of what is left
// without the weights is synchronous and can be made costly by the file (millions of packed int64 dims are a
// Long object each): here it holds neither Node-RED's event loop nor more memory than the worker's heap limit.
import { parentPort, workerData } from 'worker_threads';
import { describeModel } from './model-info';
import { readModelSkeleton } from './model-skeleton';
import type { DescribeReply, ModelSummaryInfo } from './model-catalog';

if (!parentPort) throw new Error('describe-worker must run in a worker thread');
const port = parentPort;
const file = (workerData as { file: string }).file;

readModelSkeleton(file).then((skeleton) => {
  const info = describeModel(skeleton, file);
  const m = info.metadata;
  const summary: ModelSummaryInfo = {
    names: info.names, numClasses: info.numClasses, inputWidth: info.inputWidth, inputHeight: info.inputHeight,
    inputType: info.inputType, precision: info.precision, layout: info.layout,
    task: m.task, version: m.version, date: m.date, description: m.description,
  };
  return { info: summary };
}).catch((err: Error): DescribeReply => ({ error: err.message })).then((reply) => port.postMessage(reply));
