'use strict';
// The flow library's scorecard (node-red-dev validate) as offline assertions: package rules P01-P08,
// dependency count D01, node rules N01 (unique, prefixed types) and N02 (an example for every node).
// node-red-dev itself needs the network (catalogue, registry, git clone); the data it compares with is taken
// from the installed Node-RED here.
const assert = require('assert');
const fs = require('fs');
const path = require('path');
const { spawnSync } = require('child_process');
const { ROOT } = require('./support/paths');

const PKG = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
const RED_DIR = path.dirname(require.resolve('node-red/package.json', { paths: [ROOT] }));
const RED_PKG = JSON.parse(fs.readFileSync(path.join(RED_DIR, 'package.json'), 'utf8'));
const fromRed = (name) => require(require.resolve(name, { paths: [RED_DIR] }));
const semver = fromRed('semver');
const acorn = fromRed('acorn');
const walk = fromRed('acorn-walk');
const TYPE_PREFIX = /^yolo/;

/** registerType calls in a node's editor file, read the way node-red-dev reads them. */
function editorDefinitions(htmlFile, strict = true) {
  const html = fs.readFileSync(htmlFile, 'utf8');
  const defs = {};
  for (const m of html.matchAll(/<script[^>]*type=['"]text\/javascript['"][^>]*>([\s\S]*?)<\/script>/gi)) {
    walk.simple(acorn.parse(m[1], { ecmaVersion: 'latest' }), {
      CallExpression(node) {
        if (node.callee.property?.name !== 'registerType') return;
        const [type, def] = node.arguments;
        assert.strictEqual(type.type, 'Literal', `${htmlFile}: registerType with a computed type`);
        assert.strictEqual(def.type, 'ObjectExpression', `${htmlFile}: ${type.value} definition is not inline`);
        const d = {};
        for (const p of def.properties) {
          const key = p.key.name ?? p.key.value;
          if (['category', 'color', 'icon', 'inputs', 'outputs'].includes(key)) {
            if (strict) assert.strictEqual(p.value.type, 'Literal', `${type.value}.${key} must be a literal for the flow library`);
            d[key] = p.value.value;
          }
          if (strict && key === 'defaults') assert.strictEqual(p.value.type, 'ObjectExpression', `${type.value}.defaults must be inline`);
        }
        defs[type.value] = d;
      },
    });
  }
  return defs;
}

function allDefinitions() {
  const defs = {};
  for (const [set, js] of Object.entries(PKG['node-red'].nodes)) {
    const html = path.join(ROOT, js.replace(/\.js$/, '.html'));
    assert.ok(fs.existsSync(path.join(ROOT, js)), `${set}: ${js} missing (run the build)`);
    assert.ok(fs.existsSync(html), `${set}: ${html} missing`);
    for (const [type, d] of Object.entries(editorDefinitions(html))) {
      assert.ok(!(type in defs), `node type ${type} is registered twice`);
      defs[type] = d;
    }
  }
  return defs;
}

/** Types of Node-RED's own nodes, read from their editor files. */
function coreTypes() {
  const dir = path.dirname(require.resolve('@node-red/nodes/package.json', { paths: [RED_DIR] }));
  const html = (d) => fs.readdirSync(d, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(d, e.name);
    if (e.isDirectory()) return e.name === 'locales' ? [] : html(p);
    return e.name.endsWith('.html') ? [p] : [];
  });
  return new Set(html(path.join(dir, 'core')).flatMap((f) => Object.keys(editorDefinitions(f, false))));
}

/** The files `npm pack` would publish, as paths inside the package. */
function packedFiles() {
  const r = spawnSync(process.platform === 'win32' ? 'npm.cmd' : 'npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: ROOT, encoding: 'utf8' });
  assert.strictEqual(r.status, 0, r.stderr);
  return JSON.parse(r.stdout)[0].files.map((f) => f.path);
}

describe('the published tarball', function () {
  this.timeout(60000);
  it('carries the built nodes, icons once beside them (where Node-RED looks), and no source maps', () => {
    const files = packedFiles();
    assert.deepStrictEqual(files.filter((f) => f.endsWith('.map')), [], 'source maps would point at unshipped sources');
    const icons = fs.readdirSync(path.join(ROOT, 'icons'));
    for (const icon of icons) assert.deepStrictEqual(files.filter((f) => path.basename(f) === icon), [`dist/nodes/icons/${icon}`]);
    assert.ok(files.includes('dist/cli/main.js') && files.includes('scripts/postinstall.js') && files.includes('LICENSE'));
    assert.ok(files.includes('resources/yolo-edge-editor.js'), 'the editor helpers every dialog loads');
    assert.deepStrictEqual(files.filter((f) => f.endsWith('.onnx') || f.startsWith('test/') || f.endsWith('.ts') && !f.endsWith('.d.ts')), []);
  });

  it('has author and homepage, and `npm pkg fix` finds nothing to change', () => {
    assert.ok(PKG.author && PKG.homepage, 'author and homepage');
    const dir = fs.mkdtempSync(path.join(require('os').tmpdir(), 'yolo-edge-pkgfix-'));
    fs.copyFileSync(path.join(ROOT, 'package.json'), path.join(dir, 'package.json'));
    const r = spawnSync(process.platform === 'win32' ? 'npm.cmd' : 'npm', ['pkg', 'fix'], { cwd: dir, encoding: 'utf8' });
    assert.strictEqual(r.status, 0, r.stderr);
    assert.deepStrictEqual(JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')), PKG);
  });
});

describe('package.json against the flow library scorecard', () => {
  it('P01-P04: license, repository and bugs, a valid name, the node-red keyword', () => {
    assert.match(PKG.license ?? '', /^[A-Za-z0-9.+-]+$/, 'license (an SPDX identifier)');
    assert.match(PKG.repository?.url ?? '', /^(git\+)?https:\/\/.+\.git$|^git@/, 'repository.url');
    assert.ok(PKG.bugs?.url || PKG.bugs?.email, 'bugs');
    assert.ok(/^@[a-z\d][\w.-]+\/[a-z\d][\w.-]*$/.test(PKG.name) || /^node-red-contrib-[a-z\d][\w.-]*$/.test(PKG.name), `name ${PKG.name}: scoped, or node-red-contrib-*`);
    assert.ok(PKG.keywords.includes('node-red'), 'keyword node-red');
  });

  it('P05/P06: declares the Node-RED and Node.js versions it supports, both met by the Node-RED it is tested with', () => {
    const range = PKG['node-red']?.version;
    assert.ok(semver.validRange(range), `node-red.version ${range}`);
    assert.ok(semver.satisfies(RED_PKG.version, range), `Node-RED ${RED_PKG.version} not in ${range}`);
    const nodeRange = PKG.engines?.node;
    assert.ok(semver.validRange(nodeRange), `engines.node ${nodeRange}`);
    const redMinNode = semver.minVersion(RED_PKG.engines.node);
    assert.ok(semver.satisfies(redMinNode, nodeRange), `Node-RED ${RED_PKG.version} runs on Node ${redMinNode}, outside engines.node ${nodeRange}`);
    assert.ok(semver.satisfies(process.versions.node, nodeRange), `this Node ${process.versions.node} outside ${nodeRange}`);
  });

  it('P07/P08: node files and their editor files exist and are published; examples/ is published', () => {
    const files = PKG.files.map((f) => f.replace(/\/$/, ''));
    const published = (rel) => files.some((f) => rel === f || rel.startsWith(`${f}/`));
    for (const js of Object.values(PKG['node-red'].nodes)) assert.ok(published(js), `${js} is not in "files"`);
    assert.ok(published('examples'), 'examples/ is not in "files"');
    const examples = fs.readdirSync(path.join(ROOT, 'examples')).filter((f) => f.endsWith('.json'));
    assert.ok(examples.length > 0, 'examples/*.json');
    for (const f of examples) assert.ok(Array.isArray(JSON.parse(fs.readFileSync(path.join(ROOT, 'examples', f), 'utf8'))), `${f} is a flow array`);
  });

  it('D01: few dependencies (at most 6), none on Node-RED itself', () => {
    const deps = Object.keys(PKG.dependencies ?? {});
    assert.ok(deps.length <= 6, `${deps.length} dependencies: ${deps.join(', ')}`);
    assert.ok(!deps.some((d) => d === 'node-red' || d.startsWith('@node-red/')), 'node-red belongs in devDependencies');
  });

  it('N01: node types are unique, prefixed and not core types; icons and colours are literals', () => {
    const defs = allDefinitions();
    const types = Object.keys(defs);
    assert.ok(types.length >= 2);
    const core = coreTypes();
    assert.ok(core.has('inject') && core.has('mqtt out'), 'core node types found');
    for (const type of types) {
      assert.match(type, TYPE_PREFIX, `${type} is not prefixed (bare names collide across the flow library)`);
      assert.ok(!core.has(type), `${type} is a core node type`);
      if (defs[type].category !== 'config') {
        assert.strictEqual(defs[type].category, 'yolo edge', `${type} palette category`);
        assert.ok(defs[type].icon, `${type} has no icon`);
      }
    }
  });

  it('N02: every node (but config nodes) is used in at least one example', () => {
    const defs = allDefinitions();
    const used = new Set(fs.readdirSync(path.join(ROOT, 'examples')).filter((f) => f.endsWith('.json'))
      .flatMap((f) => JSON.parse(fs.readFileSync(path.join(ROOT, 'examples', f), 'utf8')).map((n) => n.type)));
    const missing = Object.keys(defs).filter((t) => defs[t].category !== 'config' && !used.has(t));
    assert.deepStrictEqual(missing, [], 'nodes without an example');
  });
});
