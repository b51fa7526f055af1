import { parseImgsz, resizeModelFile } from '../../lib/tools/graph-edit/resize-input';
import { asUsageError, flag, parse, Parsed, required } from '../args';
import { Command } from './command';
import { outputFile } from '../output';
import { modelFile } from '../model-file';

/**
 * A size the model cannot take is a mistake in --imgsz: exit 2 with the usage line. The model's own declared size
 * (BAD_SIZE too: a side of 0) is the file's fault, not the command line's: exit 1.
 */
const badSize = (e: unknown): never => {
  throw e instanceof Error && e.message.startsWith('--imgsz') ? asUsageError(e, ['BAD_SIZE']) : e;
};

/** --imgsz HxW or one size for a square, spelled right (the stride, which the model tells, is checked later). */
function imgszOf(p: Parsed): [number, number] {
  try {
    return parseImgsz(required(p, 'imgsz'));
  } catch (e) {
    return badSize(e);
  }
}

export const resizeInput: Command = {
  summary: 'rewrite a static YOLOv8/YOLO11 export for another static input size (e.g. 384x640 for 16:9 frames)',
  usage: 'yolo-edge resize-input --model IN.onnx --imgsz HxW|S --out OUT.onnx [--json]   (height x width, e.g. 384x640; one size S is a square, 384 = 384x384)',
  async run(argv) {
    const p = parse(argv, { model: { type: 'string' }, imgsz: { type: 'string' }, out: { type: 'string' }, json: { type: 'boolean' } });
    const modelArg = required(p, 'model');
    const out = required(p, 'out');
    const [h, w] = imgszOf(p); // before the file system
    const model = modelFile(modelArg, 'model');
    await outputFile(out, model);
    const r = await resizeModelFile(model, out, h, w).catch(badSize);
    if (flag(p, 'json')) {
      process.stdout.write(JSON.stringify({ model, out, ...r }) + '\n');
      return;
    }
    const grids = (k: 'from' | 'to'): string => r.levels.map((l) => `${l[k].h}x${l[k].w}`).join(', ');
    process.stdout.write(`${out}: input ${r.from.join('x')} -> ${r.to.join('x')} (HxW), ${r.anchors.from} -> ${r.anchors.to} anchors\n`);
    process.stdout.write(`levels (strides ${r.levels.map((l) => l.to.stride).join(', ')}): ${grids('from')} -> ${grids('to')}\n`);
    process.stdout.write(`rewritten: ${r.rewritten.anchors} anchor-point, ${r.rewritten.strides} stride and ${r.rewritten.shapes} shape constants\n`);
  },
};
