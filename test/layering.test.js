'use strict';
// The import graph of the TypeScript sources holds the layout's rules: the engine (lib/) never reaches up into the
// node adapters or the CLI, and its runtime part never into Node-RED; runtime code (the engine but lib/tools, and the nodes) never imports the
// offline tools (quantize, eval, bench); and no module imports itself through others.
const assert = require('assert');
const fs = require('fs');
const path = require('path');
const ts = require('typescript');
const { ROOT } = require('./support/paths');

function sources(dir) {
  return fs.readdirSync(path.join(ROOT, dir), { withFileTypes: true }).flatMap((e) => {
    const rel = `${dir}/${e.name}`;
    if (e.isDirectory()) return sources(rel);
    return e.name.endsWith('.ts') && !e.name.endsWith('.d.ts') ? [rel] : [];
  });
}

/** Each source file and what it imports: other source files (repo-relative, no extension) or package names. */
function importGraph() {
  const graph = new Map();
  for (const file of ['lib', 'nodes', 'cli'].flatMap(sources)) {
    const info = ts.preProcessFile(fs.readFileSync(path.join(ROOT, file), 'utf8'), true, true);
    const targets = info.importedFiles.map(({ fileName }) => {
      if (!fileName.startsWith('.')) return `pkg:${fileName.split('/')[0]}`;
      const abs = path.resolve(ROOT, path.dirname(file), fileName);
      const rel = path.relative(ROOT, abs).split(path.sep).join('/');
      return fs.existsSync(`${abs}.ts`) ? `${rel}.ts` : `${rel}/index.ts`;
    });
    graph.set(file, targets);
  }
  return graph;
}

const isTool = (f) => f.startsWith('lib/tools/');
const isRuntime = (f) => (f.startsWith('lib/') && !isTool(f)) || f.startsWith('nodes/');

describe('import layering', () => {
  const graph = importGraph();
  const edges = [...graph].flatMap(([from, tos]) => tos.map((to) => [from, to]));

  it('reads a graph that has the parts it checks', () => {
    assert.ok(graph.size > 50, `${graph.size} source files`);
    assert.ok([...graph.keys()].some(isTool), 'the offline tools live in lib/tools/');
    assert.ok(edges.some(([f, t]) => f.startsWith('cli/') && isTool(t)), 'the CLI reaches the tools');
  });

  it('lib/ never imports nodes/ or cli/, and the runtime engine never Node-RED (only bench --node-red loads it)', () => {
    const nodeRed = (t) => /^pkg:(node-red|@node-red|node-red-node-test-helper)$/.test(t);
    const bad = edges.filter(([f, t]) => f.startsWith('lib/') && (t.startsWith('nodes/') || t.startsWith('cli/') || (isRuntime(f) && nodeRed(t))));
    assert.deepStrictEqual(bad, []);
  });

  it('runtime code (the engine and the nodes) never imports the offline tools', () => {
    assert.deepStrictEqual(edges.filter(([f, t]) => isRuntime(f) && isTool(t)), []);
  });

  it('every relative import names an existing source file', () => {
    assert.deepStrictEqual(edges.filter(([, t]) => !t.startsWith('pkg:') && !graph.has(t)), []);
  });

  it('has no import cycles', () => {
    const state = new Map();
    const cycles = [];
    const visit = (f, stack) => {
      if (state.get(f) === 'done') return;
      if (state.get(f) === 'open') {
        cycles.push([...stack.slice(stack.indexOf(f)), f].join(' -> '));
        return;
      }
      state.set(f, 'open');
      for (const t of graph.get(f) ?? []) if (graph.has(t)) visit(t, [...stack, f]);
      state.set(f, 'done');
    };
    for (const f of graph.keys()) visit(f, []);
    assert.deepStrictEqual(cycles, []);
  });
});
