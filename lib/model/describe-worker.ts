// Worker thread entry: describes model files for the model picker, one per message. The protobuf decode of what
// is left without the weights is synchronous and can be made costly by the file (millions of packed int64 dims are
// a Long object each): here it holds neither Node-RED's event loop nor more memory than the worker's heap limit.
import { parentPort } from 'worker_threads';
import { checkInputSize, describeModel } from './model-info';
import { readModelSkeleton } from './model-skeleton';
import { statusText } from '../config/fields';
import { PICKER_NAMES, PICKER_TEXT_MAX, type DescribeReply, type ModelSummaryInfo } from './model-catalog';

if (!parentPort) throw new Error('describe-worker must run in a worker thread');
const port = parentPort;

function describe(file: string): Promise<DescribeReply> {
  return readModelSkeleton(file).then((skeleton): DescribeReply => {
    const info = describeModel(skeleton, file);
    checkInputSize(info); // listed as the load would take it: a 65536x65536 input was listed as fine, then refused
    const m = info.metadata;
    const cut = (text: string): string => statusText(text, PICKER_TEXT_MAX);
    const summary: ModelSummaryInfo = {
      names: info.names.slice(0, PICKER_NAMES).map(cut), numClasses: info.numClasses, inputWidth: info.inputWidth, inputHeight: info.inputHeight,
      inputType: info.inputType, precision: info.precision, layout: info.layout, layoutFromRun: info.layoutFromRun,
      task: m.task && cut(m.task), version: m.version && cut(m.version), date: m.date && cut(m.date), description: m.description && cut(m.description),
    };
    return { info: summary };
  }).catch((err: Error): DescribeReply => ({ error: err.message }));
}

// One file per message, one at a time (model-catalog sends the next after the answer); kept between them.
port.on('message', (file: string) => {
  void describe(file).then((reply) => port.postMessage(reply));
});
