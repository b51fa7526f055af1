import { fetchDefaultModel, hasValidDefaultModel, MODELS_DIR } from '../../lib/fetch/default-model';
import { flag, parse } from '../args';
import { Command, err } from './command';

export const fetchModel: Command = {
  summary: 'fetch the default model (yolov8n.onnx, COCO) into models/ and check its sha256',
  usage: 'yolo-edge fetch-model [--if-missing]',
  async run(argv) {
    const p = parse(argv, { 'if-missing': { type: 'boolean' } });
    if (flag(p, 'if-missing') && (await hasValidDefaultModel())) {
      err(`default model present in ${MODELS_DIR}\n`);
      return;
    }
    await fetchDefaultModel(MODELS_DIR, (m) => err(`${m}\n`));
  },
};

