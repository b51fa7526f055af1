import * as path from 'path';
import { NotRegularFile, readUpTo, withRegularFile } from '../../regular-file';
import { DATA_YAML, lineNames, shownName, yamlNames } from '../../model/names-file';

/** Names of 10,000 classes fit; a larger file is not a names file (nor a data.yaml), and is not read whole. */
export const MAX_NAMES_BYTES = 1 << 20;
/** The files that name a dataset's classes by id, as exporters write them, first found first. */
const NAMES_FILES = ['data.yaml', 'data.yml', 'classes.txt', 'obj.names', path.join('labels', 'classes.txt')];

export interface DatasetNames {
  file: string;
  /** By class id; a hole in a YAML map stays undefined. */
  names: (string | undefined)[];
}

/**
 * The dataset's own class names: Ultralytics' data.yaml (`names:` as a list or an id map), classes.txt (coco128,
 * LabelImg) or obj.names (CVAT, Darknet), in the dataset's root folder (the one above `images/`) or the folder given;
 * for a dataset given by its data.yaml, that file's.
 */
export async function findDatasetNames(dir: string): Promise<DatasetNames | { file: string; problem: string } | undefined> {
  const files = DATA_YAML.test(dir) ? [dir] : [...new Set([path.resolve(dir), datasetRoot(dir)])].flatMap((folder) => NAMES_FILES.map((name) => path.join(folder, name)));
  for (const file of files) {
    try {
      const text = await readSmall(file);
      if (text === undefined) continue;
      return { file, names: DATA_YAML.test(file) ? yamlNames(text) : lineNames(text) };
    } catch (err) {
      // js-yaml's message goes on with the lines around the fault
      return { file, problem: (err as Error).message.split('\n')[0].slice(0, 200) };
    }
  }
  return undefined;
}

/**
 * One warning when the dataset names its classes otherwise than the model: labels are matched to detections by id,
 * so a model trained with another class order gets an mAP of the wrong classes, with nothing else to show it.
 */
export async function datasetNamesWarning(dir: string, modelNames: readonly string[]): Promise<string | undefined> {
  const found = await findDatasetNames(dir);
  if (!found) return undefined;
  if ('problem' in found) return `the class names of ${found.file} were not read (${found.problem}): labels are matched to the model's classes by id, unchecked`;
  // ids beyond either list are not compared: a label of a class the model lacks is already an unusable line
  const n = Math.min(found.names.length, modelNames.length);
  const differ: string[] = [];
  for (let id = 0; id < n && differ.length < 3; id++) {
    const a = found.names[id];
    if (a !== undefined && a.trim().toLowerCase() !== modelNames[id].trim().toLowerCase()) differ.push(`${id} is ${shownName(a)} there and ${shownName(modelNames[id])} in the model`);
  }
  if (differ.length === 0) return undefined;
  const counts = found.names.length === modelNames.length ? '' : ` (${found.names.length} classes there, ${modelNames.length} in the model)`;
  return `${found.file} names the classes otherwise than the model${counts}: class ${differ.join('; class ')}. Labels are matched to detections by class id, so the figures are for the wrong classes unless the ids mean the same`;
}

/** The folder above an `images/` that is the folder given or its parent (a/images/val -> a), or the folder itself. */
function datasetRoot(dir: string): string {
  const parts = path.resolve(dir).split(path.sep);
  const i = parts.lastIndexOf('images');
  return i > 0 && i >= parts.length - 2 ? parts.slice(0, i).join(path.sep) || path.sep : path.resolve(dir);
}

/** A regular file's text; undefined when it is not there or not a regular file. Over the cap it is refused. */
export async function readSmall(file: string): Promise<string | undefined> {
  try {
    return await withRegularFile(file, async (fh, size) => {
      if (size > MAX_NAMES_BYTES) throw new RangeError(`${file} is over ${MAX_NAMES_BYTES >> 20} MB`);
      return (await readUpTo(fh, MAX_NAMES_BYTES)).toString('utf8');
    });
  } catch (err) {
    if (err instanceof NotRegularFile || (err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'ENOTDIR') return undefined;
    throw err;
  }
}
