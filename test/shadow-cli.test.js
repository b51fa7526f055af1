'use strict';
const assert = require('assert');
const fs = require('fs');
const path = require('path');
const { execFileSync, spawnSync } = require('child_process');
const { DIST, MODEL, requireModel, requireCoco128 } = require('./support/paths');
const fx = require('./support/fixtures');
const variants = require('./support/model-variants');

const CLI = path.join(DIST, 'cli', 'main.js');
const shadow = (...args) => JSON.parse(execFileSync(process.execPath, [CLI, 'shadow', '--json', '--threads', '2', ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }));

describe('yolo-edge shadow', function () {
  this.timeout(60000);

  it('checks every option value before it reads --data or loads a model (exit 2 with the usage line)', function () {
    const run = (...args) => spawnSync(process.execPath, [CLI, 'shadow', ...args], { encoding: 'utf8' });
    const cases = [
      [['--production', '/nope.onnx', '--candidate', '/nope.onnx', '--data', '/nope', '--limit', '0'], /--limit must be a whole number of at least 1, got '0'/],
      [['--production', '/nope.onnx', '--candidate', '/nope.onnx', '--data', '/nope', '--conf', '5'], /--conf must be a number between 0 and 1/],
      [['--production', '/nope.onnx', '--candidate', '/nope.onnx', '--data', '/nope', '--match-iou', '2'], /--match-iou must be a number between 0 and 1/],
      [['--production', '/nope.onnx', '--candidate', '/nope.onnx', '--data', '/nope', '--threads', '999'], /--threads must be/],
      [['--data', '/nope'], /--production is required/],
    ];
    for (const [args, why] of cases) {
      const r = run(...args);
      assert.strictEqual(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, why);
      assert.doesNotMatch(r.stderr, /folder \/nope|\/nope is a file|model file not found/);
      assert.match(r.stderr, /usage: yolo-edge shadow/);
    }
  });

  it('refuses a model file that is missing or a folder before it reads --data (it decoded every image and loaded production first)', function () {
    requireModel();
    const dir = fx.tmpDir();
    try {
      fs.copyFileSync(path.join(__dirname, 'fixtures', 'coco128-sample', '000000000009.jpg'), path.join(dir, 'a.jpg'));
      fs.writeFileSync(path.join(dir, 'bad.jpg'), 'not an image'); // its warning shows that the images were decoded
      const typo = path.join(dir, 'typo.onnx');
      const cases = [
        [['--production', MODEL, '--candidate', typo], new RegExp(`^yolo-edge shadow: model file not found: ${typo}\n$`)],
        [['--production', typo, '--candidate', MODEL], new RegExp(`^yolo-edge shadow: model file not found: ${typo}\n$`)],
        [['--production', MODEL, '--candidate', dir], new RegExp(`^yolo-edge shadow: --candidate ${dir} is a folder, not a model file\n$`)],
      ];
      for (const [models, want] of cases) {
        const r = spawnSync(process.execPath, [CLI, 'shadow', ...models, '--data', dir], { encoding: 'utf8' });
        assert.strictEqual(r.status, 1, r.stderr);
        assert.match(r.stderr, want);
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('leaves out, naming it, an image it cannot read or decode, and a FIFO named .jpg (it stopped, said only \'image could not be decoded\', EISDIR, or waited for ever)', function () {
    requireModel();
    const dir = fx.tmpDir();
    try {
      const good = fs.readFileSync(path.join(__dirname, 'fixtures', 'coco128-sample', '000000000009.jpg'));
      const cases = [
        ['b.jpg', (f) => fs.writeFileSync(f, good.subarray(0, 3000)), (f) => `${f}: image could not be decoded`],
        ['b.jpg', (f) => fs.mkdirSync(f), (f) => `"${f}" is not a readable image file (a folder)`],
        ['b.jpg', (f) => execFileSync('mkfifo', [f]), (f) => `"${f}" is not a readable image file (not a regular file)`],
      ];
      for (const [name, make, why] of cases) {
        const data = fs.mkdtempSync(path.join(dir, 'data-'));
        fs.writeFileSync(path.join(data, 'a.jpg'), good);
        make(path.join(data, name));
        const r = spawnSync(process.execPath, [CLI, 'shadow', '--production', MODEL, '--candidate', MODEL, '--data', data, '--threads', '1', '--json'], { encoding: 'utf8', timeout: 60000 });
        assert.strictEqual(r.status, 0, r.stderr);
        assert.ok(r.stderr.startsWith(`warning: 1 of 2 image(s) left out, as they cannot be read or decoded (as Ultralytics ignores a corrupt image): ${why(path.join(data, name))}`), r.stderr);
        assert.strictEqual(JSON.parse(r.stdout).images, 1);
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a model against itself agrees fully; a candidate with collapsed class scores finds nothing', function () {
    requireModel();
    const data = requireCoco128(this);
    const self = shadow('--production', MODEL, '--candidate', MODEL, '--data', data, '--limit', '4');
    assert.deepStrictEqual([self.images, self.meanF1, self.meanRawDiff, self.productionBoxes === self.matched], [4, 1, 0, true]);
    assert.strictEqual(self.candidate.version, '8.0.175');
    const broken = variants.collapseClassScores(MODEL, path.join(fx.tmpDir(), 'broken.onnx'));
    const r = shadow('--production', MODEL, '--candidate', broken, '--data', data, '--limit', '4');
    assert.strictEqual(r.candidateBoxes, 0);
    assert.ok(r.productionBoxes > 0);
    assert.strictEqual(r.meanF1, 0);
    assert.strictEqual(r.candidate.version, 'broken-class-scores');
  });

  it('writes no \\r progress where stderr is no terminal (a CI log, 2> file); on a terminal, one line rewritten in place', function () {
    requireModel();
    const data = requireCoco128(this);
    const run = spawnSync(process.execPath, [CLI, 'shadow', '--threads', '2', '--production', MODEL, '--candidate', MODEL, '--data', data, '--limit', '3'], { encoding: 'utf8' });
    assert.strictEqual(run.status, 0, run.stderr);
    assert.strictEqual(run.stderr, '', 'no progress in a pipe');
    assert.match(run.stdout, /^images 3 /m);
    // on a terminal: the steps rewrite one line, a warning and the end each start a line of their own
    const tty = spawnSync(process.execPath, ['-e', `
      Object.defineProperty(process.stderr, 'isTTY', { value: true });
      const { progress, warnLine, endLine } = require(${JSON.stringify(path.join(DIST, 'cli', 'commands', 'command.js'))});
      progress('1/12'); progress('2/12'); warnLine('careful'); progress('10/12'); progress('1'); endLine(); endLine();`], { encoding: 'utf8' });
    assert.strictEqual(tty.stderr, '\r1/12\r2/12\nwarning: careful\n\r10/12\r1    \n');
  });

  it('matches boxes by class name as the node does: a candidate with its class names reversed disagrees, with a warning', function () {
    requireModel();
    const data = requireCoco128(this);
    const names = fs.readFileSync(path.join(data, 'classes.txt'), 'utf8').trim().split('\n');
    const renamed = variants.renameClasses(MODEL, path.join(fx.tmpDir(), 'renamed.onnx'), [...names].reverse());
    const run = spawnSync(process.execPath, [CLI, 'shadow', '--json', '--threads', '2', '--production', MODEL, '--candidate', renamed, '--data', data, '--limit', '4'], { encoding: 'utf8' });
    assert.strictEqual(run.status, 0, run.stderr);
    const r = JSON.parse(run.stdout);
    assert.ok(r.productionBoxes > 0 && r.candidateBoxes === r.productionBoxes);
    assert.deepStrictEqual([r.matched, r.meanF1], [0, 0]);
    assert.match(run.stderr, /warning: the models name their classes differently: class id 0 is 'person' in production and 'toothbrush' in the candidate.*; boxes are matched by class name, and detections change their class names and ids when the candidate replaces production\n/);
    assert.doesNotMatch(run.stderr, /output \d/, 'the command line has no node outputs');
  });
});
