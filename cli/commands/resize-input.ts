import { parseImgsz, resizeModelFile, ResizeReport } from '../../lib/tools/graph-edit/resize-input';
import { resolveCliModelPath } from '../../lib/model/resolve-path';
import { asUsageError, flag, parse, required } from '../args';
import { Command } from './command';

async function resizeImgsz(model: string, out: string, imgsz: string): Promise<ResizeReport> {
  const [h, w] = parseImgsz(imgsz);
  return resizeModelFile(model, out, h, w);
}

export const resizeInput: Command = {
  summary: 'rewrite a static YOLOv8/YOLO11 export for another static input size (e.g. 384x640 for 16:9 frames)',
  usage: 'yolo-edge resize-input --model IN.onnx --imgsz HxW --out OUT.onnx [--json]',
  async run(argv) {
    const p = parse(argv, { model: { type: 'string' }, imgsz: { type: 'string' }, out: { type: 'string' }, json: { type: 'boolean' } });
    const model = resolveCliModelPath(required(p, 'model'));
    const out = required(p, 'out');
    // a size the model cannot take is a mistake in --imgsz: exit 2 with the usage line
    const r = await resizeImgsz(model, out, required(p, 'imgsz')).catch((e: unknown) => { throw asUsageError(e, ['BAD_SIZE']); });
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
