import * as path from 'path';

/**
 * How the bench names each model in its rows, failures and warnings: the file name, or where two models share one
 * (every Ultralytics run exports weights/best.onnx) as many trailing folders as tell them apart. The same path
 * given twice (an A/A run) keeps one name.
 */
export function modelNames(models: readonly string[]): Map<string, string> {
  const unique = [...new Set(models.map((m) => path.resolve(m)))];
  const parts = new Map(unique.map((m) => [m, m.split(path.sep).filter((p) => p.length > 0)]));
  const names = new Map<string, string>();
  for (const m of unique) {
    const own = parts.get(m) as string[];
    const others = unique.filter((x) => x !== m).map((x) => parts.get(x) as string[]);
    let k = 1;
    while (k < own.length && others.some((o) => o.slice(-k).join(path.sep) === own.slice(-k).join(path.sep))) k++;
    names.set(m, own.slice(-k).join(path.sep));
  }
  return new Map(models.map((m) => [m, names.get(path.resolve(m)) as string]));
}
