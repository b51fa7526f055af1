'use strict';
const assert = require('assert');
const path = require('path');
const { execFile, spawn } = require('child_process');
const { DIST, requireModel, requireCoco128, cocoImage } = require('./support/paths');

const CLI = path.join(DIST, 'cli', 'main.js');

function cli(args, opts = {}) {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { maxBuffer: 64 * 1024 * 1024, ...opts }, (error, stdout, stderr) => {
      resolve({ code: error ? error.code : 0, stdout, stderr });
    });
  });
}

describe('yolo-edge CLI', function () {
  this.timeout(300000);
  before(() => {
    requireModel();
  });

  it('detect --json prints one line per image with detections and timings', async () => {
    const r = await cli(['detect', '--json', '--threads', '2', cocoImage('000000000034.jpg'), cocoImage('000000000009.jpg')]);
    assert.strictEqual(r.code, 0, r.stderr);
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    assert.strictEqual(lines.length, 2);
    assert.strictEqual(lines[0].detections[0].class, 'zebra');
    assert.ok(lines[1].detections.some((d) => d.class === 'bowl'));
    assert.ok(lines[0].timings.inference > 0);
  });

  it('detect says --iou and --agnostic do nothing on an end-to-end model, and not on the default one', async () => {
    const fs = require('fs');
    const os = require('os');
    const { endToEnd } = require('./support/model-variants');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'yolo-edge-e2e-cli-'));
    try {
      const e2e = endToEnd(requireModel(), path.join(dir, 'e2e.onnx'));
      const image = cocoImage('000000000034.jpg');
      const r = await cli(['detect', '--model', e2e, '--iou', '0.3', '--agnostic', '--threads', '1', image]);
      assert.strictEqual(r.code, 0, r.stderr);
      assert.match(r.stderr, /warning: --iou, --agnostic have no effect on e2e\.onnx: it is an end-to-end model/);
      const conf = await cli(['detect', '--model', e2e, '--conf', '0.5', '--threads', '1', image]);
      assert.strictEqual(conf.stderr, '', 'options it uses are not warned about');
      const square = await cli(['detect', '--iou', '0.3', '--agnostic', '--threads', '1', image]);
      assert.strictEqual(square.stderr, '');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('detect names each image it cannot read or decode, goes on with the others and exits 1', async () => {
    const fs = require('fs');
    const os = require('os');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'yolo-edge-detect-bad-'));
    try {
      const text = path.join(dir, 'notes.txt');
      fs.writeFileSync(text, 'not an image');
      const missing = path.join(dir, 'missing.jpg');
      const r = await cli(['detect', '--json', dir, cocoImage('000000000034.jpg'), text, missing, cocoImage('000000000009.jpg')]);
      assert.strictEqual(r.code, 1, r.stderr);
      assert.deepStrictEqual(r.stdout.trim().split('\n').map((l) => path.basename(JSON.parse(l).file)), ['000000000034.jpg', '000000000009.jpg']);
      const lines = r.stderr.trim().split('\n');
      assert.strictEqual(lines.length, 4, r.stderr);
      assert.ok(lines[0].includes(dir) && /not a readable image file \(a folder\)/.test(lines[0]), lines[0]);
      assert.ok(lines[1].includes(text) && /not a readable image/.test(lines[1]), lines[1]);
      assert.ok(lines[2].includes(missing) && /ENOENT/.test(lines[2]), lines[2]);
      assert.match(lines[3], /3 of 5 image\(s\) failed/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('detect piped into a reader that stops early (| head -1) ends quietly with status 0', async () => {
    const images = ['000000000009.jpg', '000000000025.jpg', '000000000030.jpg', '000000000034.jpg', '000000000089.jpg'].map(cocoImage);
    const child = spawn(process.execPath, [CLI, 'detect', '--threads', '1', ...images, ...images], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => { stderr += d; });
    child.stdout.once('data', () => child.stdout.destroy());
    const code = await new Promise((resolve) => child.on('close', (c) => resolve(c)));
    assert.doesNotMatch(stderr, /EPIPE|Error/, stderr);
    assert.strictEqual(code, 0, stderr);
  });

  it('detect --classes keeps only the named classes', async () => {
    const r = await cli(['detect', '--json', '--classes', 'broccoli', cocoImage('000000000009.jpg')]);
    const line = JSON.parse(r.stdout);
    assert.ok(line.detections.length > 0);
    assert.ok(line.detections.every((d) => d.class === 'broccoli'));
  });

  it('detect --classes with a name the model lacks is an option error (exit 2) that lists the model\'s class names', async () => {
    for (const classes of ['person,fooo', '80']) {
      const r = await cli(['detect', '--classes', classes, cocoImage('000000000034.jpg')]);
      assert.strictEqual(r.code, 2, r.stderr);
      assert.strictEqual(r.stdout, '');
      assert.match(r.stderr, classes === '80' ? /class id 80 is out of range 0\.\.79/ : /unknown class "fooo"/);
      assert.match(r.stderr, /--classes takes the class names of yolov8n\.onnx \(or ids 0-79\): person, bicycle, .*, hair drier, toothbrush\n/);
      assert.match(r.stderr, /usage: yolo-edge detect/);
    }
  });

  it('a one-value option given twice is refused naming both values (the last was kept without a word); --classes given twice keeps both', async () => {
    const both = await cli(['detect', '--json', '--classes', 'bowl', '--classes', 'broccoli', cocoImage('000000000009.jpg')]);
    assert.strictEqual(both.code, 0, both.stderr);
    assert.deepStrictEqual([...new Set(JSON.parse(both.stdout).detections.map((d) => d.class))].sort(), ['bowl', 'broccoli']);
    const cases = [
      [['detect', '--model', 'yolov8n.onnx', '--model=/nope.onnx', cocoImage('000000000009.jpg')], "--model is given 2 times ('yolov8n.onnx', '/nope.onnx'); it takes one value"],
      [['quantize', '--model', 'yolov8n.onnx', '--fp32', '--out', '/tmp/a.onnx', '--out', '/tmp/b.onnx'], "--out is given 2 times ('/tmp/a.onnx', '/tmp/b.onnx')"],
      [['eval', '--data', '/nope', '--conf', '0.5', '--conf', '0.1'], "--conf is given 2 times ('0.5', '0.1')"],
    ];
    for (const [args, message] of cases) {
      const r = await cli(args);
      assert.strictEqual(r.code, 2, r.stderr);
      assert.strictEqual(r.stdout, '');
      assert.ok(r.stderr.includes(`yolo-edge ${args[0]}: ${message}`), r.stderr);
      assert.match(r.stderr, new RegExp(`usage: yolo-edge ${args[0]}`));
    }
  });

  it('detect checks its option values before it loads the model', async () => {
    const r = await cli(['detect', '--conf', '3', '--model', '/nope.onnx', cocoImage('000000000034.jpg')]);
    assert.strictEqual(r.code, 2, r.stderr);
    assert.match(r.stderr, /--conf must be a number between 0 and 1, got '3'/);
    assert.doesNotMatch(r.stderr, /model file not found/);
  });

  it('quantize with no calibration image it can decode fails NO_IMAGES naming the file (a frame still being written, an empty file)', async () => {
    const fs = require('fs');
    const os = require('os');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'yolo-edge-calib-bad-'));
    try {
      fs.writeFileSync(path.join(dir, 'calib-000001.jpg'), Buffer.alloc(0));
      const r = await cli(['quantize', '--model', 'yolov8n.onnx', '--calib', dir, '--samples', 'all', '--out', path.join(dir, 'q.onnx')]);
      assert.strictEqual(r.code, 1, r.stderr);
      assert.match(r.stderr, /calib-000001\.jpg/);
      assert.match(r.stderr, /image is empty/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('quantize leaves out a FIFO named .jpg in the calibration folder, held aside or not, naming it (it waited on it for ever)', async () => {
    const fs = require('fs');
    const os = require('os');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'yolo-edge-calib-fifo-'));
    try {
      fs.copyFileSync(cocoImage('000000000009.jpg'), path.join(dir, 'a.jpg'));
      const fifo = path.join(dir, 'b.jpg');
      require('child_process').execFileSync('mkfifo', [fifo]);
      const named = `warning: 1 of 2 image(s) left out, as they cannot be read or decoded (as Ultralytics ignores a corrupt image): "${fifo}" is not a readable image file (not a regular file)\n`;
      const r = await cli(['quantize', '--model', 'yolov8n.onnx', '--calib', dir, '--samples', 'all', '--out', path.join(dir, 'q.onnx'), '--json'], { timeout: 120000 });
      assert.strictEqual(r.code, 0, r.stderr);
      assert.ok(r.stderr.includes(named), r.stderr);
      assert.deepStrictEqual([JSON.parse(r.stdout).calibrationImages, JSON.parse(r.stdout).imagesLeftOut], [1, 1]);
      // with a budget, b.jpg would have been the one held aside: one image is left, and none to hold aside
      fs.rmSync(path.join(dir, 'q.onnx'));
      const budget = await cli(['quantize', '--model', 'yolov8n.onnx', '--calib', dir, '--samples', 'all', '--out', path.join(dir, 'q.onnx'), '--accuracy-budget', '1'], { timeout: 120000 });
      assert.strictEqual(budget.code, 1, budget.stderr);
      assert.ok(budget.stderr.includes(named), budget.stderr);
      assert.match(budget.stderr, /--accuracy-budget measures the loss on images held aside from the 1 picked, which leaves none/);
      assert.deepStrictEqual(fs.readdirSync(dir).sort(), ['a.jpg', 'b.jpg']);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('without a command: the help on stderr and exit 2, as for an unknown command; --help: on stdout and exit 0', async () => {
    for (const [args, code, out, err] of [[[], 2, '', /^no command given\n\nyolo-edge: /], [['bogus'], 2, '', /^unknown command 'bogus'\n\nyolo-edge: /], [['--help'], 0, /^yolo-edge: /, '']]) {
      const r = await cli(args);
      assert.strictEqual(r.code, code, args.join(' '));
      if (out) assert.match(r.stdout, out); else assert.strictEqual(r.stdout, '');
      if (err) assert.match(r.stderr, err); else assert.strictEqual(r.stderr, '');
    }
  });

  it('fails with a usage message and exit code 2 on a bad option', async () => {
    const r = await cli(['detect', '--conf', '3', cocoImage('000000000034.jpg')]);
    assert.strictEqual(r.code, 2);
    assert.match(r.stderr, /--conf must be a number between 0 and 1/);
    const usage = [
      [['detect'], /no images given/],
      [['eval', '--data', '/nope', '--split', 'bad'], /--split must be all, even or odd, or train, val or test of a data.yaml, got 'bad'/],
      // a folder has no splits of a data.yaml: refused before the model loads
      [['eval', '--data', '/nope', '--split', 'val'], /--split val names a split of a data.yaml, and \/nope is a folder: give the dataset's data.yaml, or --split all, even or odd/],
      [['bench', '--model', 'yolov8n.onnx', '--images', '/nope', '--split', 'train'], /--split train names a split of a data.yaml/],
      [['quantize', '--model', 'yolov8n.onnx', '--calib', '/nope', '--out', '/tmp/q.onnx', '--split', 'test'], /--split test names a split of a data.yaml/],
      [['shadow', '--production', 'yolov8n.onnx', '--candidate', 'yolov8n.onnx', '--data', '/nope', '--split', 'val'], /--split val names a split of a data.yaml/],
      [['bench', '--model', 'yolov8n.onnx', '--images', '/nope', '--split', 'half'], /--split must be all, even or odd/],
      [['bench', '--node-red', '--model', 'yolov8n.onnx', '--images', '/nope', '--split', 'odd', '--warmup', '2'], /--split, --warmup do not apply to --node-red/],
      [['quantize', '--model', 'yolov8n.onnx', '--calib', '/nope', '--out', '/tmp/q.onnx', '--split', '1'], /--split must be all, even or odd/],
      // an open range is not spelled 'between 1 and Infinity'; --samples names its other value, all
      [['quantize', '--model', 'yolov8n.onnx', '--calib', '/nope', '--out', '/tmp/q.onnx', '--samples', 'zero'], /--samples must be a whole number of images of at least 1, or all, got 'zero'/],
      [['quantize', '--model', 'yolov8n.onnx', '--calib', '/nope', '--out', '/tmp/q.onnx', '--samples', '2.5'], /--samples must be a whole number/],
      [['shadow', '--production', 'yolov8n.onnx', '--candidate', 'yolov8n.onnx', '--data', path.dirname(cocoImage('000000000034.jpg')), '--limit', '0'], /--limit must be a whole number of at least 1, got '0'/],
    ];
    for (const [args, why] of usage) {
      const u = await cli(args);
      assert.strictEqual(u.code, 2, `${args.join(' ')}: ${u.stderr}`);
      assert.match(u.stderr, why);
      assert.match(u.stderr, new RegExp(`usage: yolo-edge ${args[0]}`));
    }
    const missing = await cli(['detect', '--model', '/nope.onnx', cocoImage('000000000034.jpg')]);
    assert.strictEqual(missing.code, 1);
    assert.match(missing.stderr, /model file not found: \/nope.onnx/);
  });

  it('an --out in a folder that does not exist (or a folder, FIFO or device as --out) is refused before any work, exit 2 naming the folder', async () => {
    const fs = require('fs');
    const os = require('os');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'yolo-edge out '));
    try {
      const missing = path.join(dir, 'no such dir');
      const out = path.join(missing, 'q.onnx');
      const calib = path.dirname(cocoImage('000000000034.jpg'));
      const cases = [
        // calibration on every image would take minutes: the refusal comes first
        ['quantize', '--model', 'yolov8n.onnx', '--calib', calib, '--samples', 'all', '--out', out],
        ['quantize', '--model', 'yolov8n.onnx', '--fp32', '--out', out],
        ['resize-input', '--model', 'yolov8n.onnx', '--imgsz', '320', '--out', out],
      ];
      for (const args of cases) {
        const r = await cli(args);
        assert.strictEqual(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
        assert.ok(r.stderr.includes(`folder ${missing} does not exist`), r.stderr);
        assert.doesNotMatch(r.stderr, /ENOENT|calibrating/);
        assert.match(r.stderr, new RegExp(`usage: yolo-edge ${args[0]}`));
      }
      const folder = await cli(['resize-input', '--model', 'yolov8n.onnx', '--imgsz', '320', '--out', dir]);
      assert.strictEqual(folder.code, 2, folder.stderr);
      assert.match(folder.stderr, /it is a folder; give the file to write/);
      // a FIFO (or a device: --out /dev/null as root) was replaced by the model file the rename put in its place
      const fifo = path.join(dir, 'a fifo');
      require('child_process').execFileSync('mkfifo', [fifo]);
      for (const args of [['resize-input', '--model', 'yolov8n.onnx', '--imgsz', '320'], ['quantize', '--model', 'yolov8n.onnx', '--fp32']]) {
        const special = await cli([...args, '--out', fifo]);
        assert.strictEqual(special.code, 2, special.stderr);
        assert.ok(special.stderr.includes(`cannot write ${fifo}: it is not a regular file (a FIFO, device or socket)`), special.stderr);
        assert.ok(fs.statSync(fifo).isFIFO(), 'the FIFO is left as it was');
      }
      fs.rmSync(fifo);
      const file = path.join(dir, 'a file');
      fs.writeFileSync(file, '');
      const under = await cli(['quantize', '--model', 'yolov8n.onnx', '--fp32', '--out', path.join(file, 'q.onnx')]);
      assert.strictEqual(under.code, 2, under.stderr);
      assert.ok(under.stderr.includes(`${file} is a file, not a folder`), under.stderr);
      // fetch-model creates a missing --dir; a file in its place is refused before npm runs
      for (const [d, why] of [[file, `--dir ${file} is a file, not a folder`], [path.join(file, 'models'), `--dir ${path.join(file, 'models')} cannot be a folder: a part of its path is a file`]]) {
        const f = await cli(['fetch-model', '--dir', d]);
        assert.strictEqual(f.code, 2, f.stderr);
        assert.ok(f.stderr.includes(why), f.stderr);
        assert.doesNotMatch(f.stderr, /EEXIST|ENOTDIR|fetching/);
      }
      assert.deepStrictEqual(fs.readdirSync(dir), ['a file']);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('an --out whose name is near the 255 bytes a file system takes is written (the temporary file\'s longer name failed with ENAMETOOLONG after the work)', async () => {
    const fs = require('fs');
    const os = require('os');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'yolo-edge-long-'));
    try {
      const out = path.join(dir, `${'m'.repeat(240)}.onnx`);
      for (const args of [['quantize', '--model', 'yolov8n.onnx', '--fp32'], ['resize-input', '--model', 'yolov8n.onnx', '--imgsz', '320']]) {
        const r = await cli([...args, '--out', out]);
        assert.strictEqual(r.code, 0, `${args[0]}: ${r.stderr}`);
        assert.deepStrictEqual(fs.readdirSync(dir), [path.basename(out)], 'the model, and no temporary file');
        fs.rmSync(out);
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('an --out whose name is longer than the file system takes is refused before any work, exit 2 (it failed at the write, after the calibration)', async () => {
    const fs = require('fs');
    const os = require('os');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'yolo-edge-long-'));
    try {
      const out = path.join(dir, `${'m'.repeat(260)}.onnx`);
      const calib = path.dirname(cocoImage('000000000034.jpg'));
      for (const args of [['quantize', '--model', 'yolov8n.onnx', '--calib', calib, '--samples', '2'], ['quantize', '--model', 'yolov8n.onnx', '--fp32'], ['resize-input', '--model', 'yolov8n.onnx', '--imgsz', '320']]) {
        const r = await cli([...args, '--out', out]);
        assert.strictEqual(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
        assert.ok(r.stderr.startsWith(`yolo-edge ${args[0]}: cannot write ${out}: its name is longer than the file system takes (ENAMETOOLONG)\n`), r.stderr);
        assert.doesNotMatch(r.stderr, /name too long, open/, 'not found at the write');
      }
      assert.deepStrictEqual(fs.readdirSync(dir), []);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('an --out ending in a slash names a folder and is refused before any work, exit 2 (it was written after the calibration, failing with ENOENT or ENOTDIR)', async () => {
    const fs = require('fs');
    const os = require('os');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'yolo-edge out '));
    try {
      const file = path.join(dir, 'a file');
      fs.writeFileSync(file, '');
      const calib = path.dirname(cocoImage('000000000034.jpg'));
      for (const out of [path.join(dir, 'new folder') + '/', file + '/', dir + '/']) {
        for (const args of [['quantize', '--model', 'yolov8n.onnx', '--calib', calib, '--samples', '2'], ['quantize', '--model', 'yolov8n.onnx', '--fp32'], ['resize-input', '--model', 'yolov8n.onnx', '--imgsz', '320']]) {
          const r = await cli([...args, '--out', out]);
          assert.strictEqual(r.code, 2, `${args.join(' ')} --out ${out}: ${r.stderr}`);
          assert.ok(r.stderr.startsWith(`yolo-edge ${args[0]}: cannot write ${out}: it ends in a slash, so it names a folder; give the file to write\n`), r.stderr);
        }
      }
      assert.deepStrictEqual(fs.readdirSync(dir), ['a file'], 'nothing written');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('bench --node-red refuses a --seconds over a day (past Node\'s timer range the stream ended at once and the row showed no frames as a measurement)', async () => {
    for (const seconds of ['1e9', '3000000', '86401']) {
      const r = await cli(['bench', '--node-red', '--model', 'yolov8n.onnx', '--images', '/nope', '--seconds', seconds]);
      assert.strictEqual(r.code, 2, `--seconds ${seconds}: ${r.stderr}`);
      assert.ok(r.stderr.startsWith(`yolo-edge bench: --seconds must be a number between 1 and 86400, got '${seconds}'\nusage: yolo-edge bench`), r.stderr);
    }
  });

  it('eval takes P and R at --op-conf of at least --conf: its default follows a higher --conf, a lower one is refused (it printed P and R at --conf as at 0.25)', async () => {
    const fs = require('fs');
    const os = require('os');
    const lower = await cli(['eval', '--data', '/nope', '--model', '/nope.onnx', '--conf', '0.5', '--op-conf', '0.25']);
    assert.strictEqual(lower.code, 2, lower.stderr);
    assert.match(lower.stderr, /--op-conf 0\.25 is below --conf 0\.5: detections under 0\.5 are dropped before P and R are taken; give --op-conf of at least 0\.5\nusage: yolo-edge eval/);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'yolo-edge-opconf-'));
    try {
      fs.mkdirSync(path.join(dir, 'images'));
      fs.mkdirSync(path.join(dir, 'labels'));
      fs.copyFileSync(cocoImage('000000000009.jpg'), path.join(dir, 'images', 'a.jpg'));
      fs.writeFileSync(path.join(dir, 'labels', 'a.txt'), '45 0.5 0.5 0.2 0.2\n');
      const r = await cli(['eval', '--data', dir, '--conf', '0.5', '--json']);
      assert.strictEqual(r.code, 0, r.stderr);
      assert.strictEqual(JSON.parse(r.stdout).operatingConfidence, 0.5);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('eval checks its option values before it reads --data or loads the model', async () => {
    for (const [args, why] of [[['--conf', '5'], /--conf must be/], [['--op-conf', '2'], /--op-conf must be/], [['--max-det', '0'], /--max-det must be/], [['--threads', '999'], /--threads must be/]]) {
      const r = await cli(['eval', '--data', '/nope', '--model', '/nope.onnx', ...args]);
      assert.strictEqual(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, why);
      assert.doesNotMatch(r.stderr, /folder \/nope|\/nope is a file|model file not found/);
    }
  });

  it('a count (images, runs, threads, a seed) refuses a fraction as an option error before any work', async () => {
    const img = cocoImage('000000000034.jpg');
    const cases = [
      [['detect', '--max-det', '1.5', img], /--max-det must be a whole number of at least 1, got '1\.5'/],
      [['detect', '--threads', '1.5', '--model', '/nope.onnx', img], /--threads must be a whole number between 0 and \d+, got '1\.5'/],
      [['eval', '--data', '/nope', '--max-det', '2.5'], /--max-det must be a whole number/],
      [['shadow', '--production', '/nope.onnx', '--candidate', '/nope.onnx', '--data', '/nope', '--limit', '1.5'], /--limit must be a whole number of at least 1/],
      [['bench', '--model', 'yolov8n.onnx', '--images', '/nope', '--runs', '2.5'], /--runs must be a whole number of at least 1/],
      [['bench', '--model', 'yolov8n.onnx', '--images', '/nope', '--warmup', '0.5'], /--warmup must be a whole number of at least 0/],
      [['quantize', '--model', 'yolov8n.onnx', '--calib', '/nope', '--out', '/tmp/q.onnx', '--seed', '1.5'], /--seed must be a whole number of at least 0/],
      [['quantize', '--model', 'yolov8n.onnx', '--calib', '/nope', '--out', '/tmp/q.onnx', '--accuracy-budget', '1', '--holdout', '1.5'], /--holdout must be a whole number/],
      [['temperature', '--count', '1.5'], /--count must be a whole number of at least 1/],
    ];
    for (const [args, why] of cases) {
      const r = await cli(args);
      assert.strictEqual(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, why);
      assert.strictEqual(r.stdout, '', args.join(' '));
    }
  });

  it("an empty number value (--conf '', --max-images=) is refused, not read as 0", async () => {
    const img = cocoImage('000000000034.jpg');
    const cases = [
      [['detect', '--conf', '', img], /--conf must be a number between 0 and 1, got ''/],
      [['detect', '--conf', ' ', img], /--conf must be a number between 0 and 1, got ' '/],
      [['detect', '--threads=', img], /--threads must be a whole number between 0 and \d+, got ''/],
      [['eval', '--data', '/nope', '--iou='], /--iou must be a number between 0 and 1, got ''/],
      [['bench', '--model', 'yolov8n.onnx', '--images', '/nope', '--max-images', ''], /--max-images must be a whole number of at least 0, got ''/],
      [['quantize', '--model', 'yolov8n.onnx', '--calib', '/nope', '--out', '/tmp/q.onnx', '--accuracy-budget', ''], /--accuracy-budget must be a number between 0 and 100, got ''/],
    ];
    for (const [args, why] of cases) {
      const r = await cli(args);
      assert.strictEqual(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, why);
      assert.strictEqual(r.stdout, '', args.join(' '));
    }
  });

  it('an empty path or name value (--model "$M" with M unset) is refused, not taken as the default', async () => {
    const img = cocoImage('000000000034.jpg');
    const cases = [
      [['detect', '--model', '', img], '--model'],
      [['detect', '--model=', img], '--model'],
      [['eval', '--data', '/nope', '--model', ' '], '--model'],
      [['bench', '--model', 'yolov8n.onnx', '--model', '', '--images', '/nope'], '--model'],
      [['detect', '--classes', '', img], '--classes'],
      [['temperature', '--sys-root', ''], '--sys-root'],
      [['quantize', '--model', 'yolov8n.onnx', '--calib', '/nope', '--out', ''], '--out'],
    ];
    for (const [args, key] of cases) {
      const r = await cli(args);
      assert.strictEqual(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.ok(r.stderr.includes(`${key} is given an empty value`), `${args.join(' ')}: ${r.stderr}`);
      assert.strictEqual(r.stdout, '', args.join(' '));
    }
  });

  it('a list option of commas only (--classes "$A,$B" with both unset) is refused, not taken as left out (it kept every class)', async () => {
    const img = cocoImage('000000000034.jpg');
    const cases = [
      [['detect', '--classes', ',', img], "--classes is given ','"],
      [['detect', '--classes', 'zebra', '--classes', ' , ', img], "--classes is given ','"],
      [['detect', '--provider', ',,', img], "--provider is given ',,'"],
      [['quantize', '--model', 'yolov8n.onnx', '--calib', '/nope', '--out', '/tmp/q.onnx', '--exclude', ','], "--exclude is given ','"],
    ];
    for (const [args, given] of cases) {
      const r = await cli(args);
      assert.strictEqual(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.ok(r.stderr.includes(`${given}, which names nothing`), `${args.join(' ')}: ${r.stderr}`);
      assert.strictEqual(r.stdout, '', args.join(' '));
    }
    // an empty item beside names (a trailing comma) is no mistake
    const r = await cli(['detect', '--json', '--classes', 'zebra,', img]);
    assert.strictEqual(r.code, 0, r.stderr);
    assert.deepStrictEqual([...new Set(JSON.parse(r.stdout).detections.map((d) => d.class))], ['zebra']);
  });

  it('temperature: a bad --interval or --source is an option error (exit 2 with the usage line)', async () => {
    for (const [args, why] of [[['--interval', 'x'], /interval must be a number from 0\.1 to 86400, got "x"/], [['--source', 'foo'], /source must be one of auto, sysfs, vcgencmd, got "foo"/]]) {
      const r = await cli(['temperature', ...args]);
      assert.strictEqual(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, why);
      assert.match(r.stderr, /usage: yolo-edge temperature/);
      assert.strictEqual(r.stdout, '');
    }
  });

  it('temperature: --sys-root and --proc-root may be relative to the working folder, as paths on a command line are', async () => {
    const fs = require('fs');
    const os = require('os');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'yolo-edge-temp-'));
    try {
      const zone = path.join(dir, 'sys', 'class', 'thermal', 'thermal_zone0');
      fs.mkdirSync(zone, { recursive: true });
      fs.writeFileSync(path.join(zone, 'type'), 'cpu-thermal\n');
      fs.writeFileSync(path.join(zone, 'temp'), '61250\n');
      const r = await cli(['temperature', '--source', 'sysfs', '--sys-root', 'sys', '--proc-root', '.', '--vcgencmd', '', '--json'], { cwd: dir });
      assert.strictEqual(r.code, 0, r.stderr);
      assert.strictEqual(JSON.parse(r.stdout.trim().split('\n')[0]).temperature, 61.25);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('temperature: a vcgencmd that is not found is reported in the terms of the command line, not as a node to redeploy', async () => {
    const r = await cli(['temperature', '--vcgencmd', path.join(__dirname, 'no-such-vcgencmd')]);
    assert.strictEqual(r.code, 0, r.stderr);
    assert.match(r.stderr, /get_throttled: not found \(not run again while this command runs\)$/m);
    assert.doesNotMatch(r.stderr, /node/);
  });

  it('an image file given where a folder of images is expected is named as such, not as not found', async () => {
    const img = cocoImage('000000000034.jpg');
    const cases = [
      ['eval', '--data', img],
      ['shadow', '--production', 'yolov8n.onnx', '--candidate', 'yolov8n.onnx', '--data', img],
      ['bench', '--model', 'yolov8n.onnx', '--images', img, '--runs', '1'],
      ['quantize', '--model', 'yolov8n.onnx', '--calib', img, '--out', path.join(require('os').tmpdir(), 'yolo-edge-never.onnx')],
    ];
    for (const args of cases) {
      const r = await cli(args);
      assert.strictEqual(r.code, 1, `${args.join(' ')}: ${r.stderr}`);
      assert.ok(r.stderr.includes(`${img} is a file, not a folder\n`), r.stderr);
    }
    const below = await cli(['eval', '--data', path.join(img, 'images')]);
    assert.ok(below.stderr.includes(`${path.join(img, 'images')} cannot be a folder: a part of its path is a file`), below.stderr);
  });

  it('eval, quantize, bench and shadow name the files of the images folder they skip in one warning line, and still run', async () => {
    const fs = require('fs');
    const os = require('os');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'yolo-edge-skipped-'));
    try {
      fs.mkdirSync(path.join(dir, 'images', 'more'), { recursive: true });
      fs.mkdirSync(path.join(dir, 'labels'));
      fs.copyFileSync(cocoImage('000000000009.jpg'), path.join(dir, 'images', 'a.jpg'));
      fs.writeFileSync(path.join(dir, 'images', 'b.tif'), 'II*\0');
      fs.writeFileSync(path.join(dir, 'labels', 'a.txt'), '45 0.5 0.5 0.2 0.2\n');
      const cases = [
        ['eval', '--data', dir, '--threads', '1'],
        ['shadow', '--production', 'yolov8n.onnx', '--candidate', 'yolov8n.onnx', '--data', dir, '--threads', '1'],
        ['bench', '--model', 'yolov8n.onnx', '--images', dir, '--threads', '1', '--runs', '1', '--warmup', '0', '--no-accuracy'],
        ['quantize', '--model', 'yolov8n.onnx', '--calib', dir, '--samples', '1', '--threads', '1', '--out', path.join(dir, 'q.onnx')],
      ];
      const want = `warning: 2 of the 3 entries of ${path.join(dir, 'images')} skipped (read are .jpg, .jpeg, .png and .webp files, not subfolders): b.tif, more/\n`;
      for (const args of cases) {
        const r = await cli(args);
        assert.strictEqual(r.code, 0, `${args[0]}: ${r.stderr}`);
        assert.strictEqual(r.stderr.split(want).length - 1, 1, `${args[0]}: ${r.stderr}`);
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a folder given as the model is named as a folder (it said EISDIR: illegal operation on a directory), exit 1', async () => {
    const fs = require('fs');
    const os = require('os');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'yolo-edge model dir '));
    try {
      const img = cocoImage('000000000034.jpg');
      const cases = [
        ['detect', '--model', dir, img],
        ['eval', '--model', dir, '--data', path.dirname(img)],
        ['shadow', '--production', 'yolov8n.onnx', '--candidate', dir, '--data', path.dirname(img), '--limit', '1'],
        ['bench', '--model', dir, '--images', path.dirname(img), '--runs', '1'],
        ['quantize', '--model', dir, '--fp32', '--out', path.join(dir, 'q.onnx')],
        ['resize-input', '--model', dir, '--imgsz', '320', '--out', path.join(dir, 'r.onnx')],
      ];
      for (const args of cases) {
        const r = await cli(args);
        const key = args[args.indexOf(dir) - 1];
        assert.strictEqual(r.code, 1, `${args.join(' ')}: ${r.stderr}`);
        assert.ok(r.stderr.includes(`${key} ${dir} is a folder, not a model file`), r.stderr);
        assert.doesNotMatch(r.stderr, /EISDIR/);
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a FIFO, a device or a symlink loop given as the model is refused before any work, exit 1 (bench waited on a FIFO for ever)', async () => {
    const fs = require('fs');
    const os = require('os');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'yolo-edge-model-special-'));
    try {
      const fifo = path.join(dir, 'fifo.onnx');
      require('child_process').execFileSync('mkfifo', [fifo]);
      const zero = path.join(dir, 'zero.onnx');
      fs.symlinkSync('/dev/zero', zero);
      const loop = path.join(dir, 'loop.onnx');
      fs.symlinkSync('loop2.onnx', loop);
      fs.symlinkSync('loop.onnx', path.join(dir, 'loop2.onnx'));
      const img = cocoImage('000000000034.jpg');
      for (const [m, says] of [[fifo, 'is not a model file (not a regular file: a FIFO, device or socket)'], [zero, 'is not a model file (not a regular file'], [loop, 'ELOOP']]) {
        const cases = [
          ['bench', '--model', m, '--images', path.dirname(img), '--runs', '1'],
          ['detect', '--model', m, img],
          ['shadow', '--production', 'yolov8n.onnx', '--candidate', m, '--data', path.dirname(img), '--limit', '1'],
          ['quantize', '--model', m, '--fp32', '--out', path.join(dir, 'q.onnx')],
          ['resize-input', '--model', m, '--imgsz', '320', '--out', path.join(dir, 'r.onnx')],
        ];
        for (const args of cases) {
          // a hang is killed, and fails the test
          const r = await cli(args, { timeout: 60000, killSignal: 'SIGKILL' });
          assert.strictEqual(r.code, 1, `${args.join(' ')}: ${r.code} ${r.stderr}`);
          assert.ok(r.stderr.includes(`${args[args.indexOf(m) - 1]}`) && r.stderr.includes(m) && r.stderr.includes(says), r.stderr);
          assert.doesNotMatch(r.stderr, /not found/);
        }
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('resize-input: a model whose own input is declared 0x0 exits 1 without the usage line; an --imgsz it cannot take exits 2 with it', async () => {
    const fs = require('fs');
    const os = require('os');
    const { onnx } = require('onnx-proto');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'yolo-edge-zero-input-'));
    try {
      const model = onnx.ModelProto.decode(fs.readFileSync(requireModel()));
      model.graph.input[0].type.tensorType.shape.dim = [1, 3, 0, 0].map((d) => ({ dimValue: d }));
      const zero = path.join(dir, 'zero.onnx');
      fs.writeFileSync(zero, onnx.ModelProto.encode(model).finish());
      const r = await cli(['resize-input', '--model', zero, '--imgsz', '320', '--out', path.join(dir, 'r.onnx')]);
      assert.strictEqual(r.code, 1, r.stderr);
      assert.ok(r.stderr.includes(`${zero}: input 'images' is declared 0x0: each side must be from 1 to 4096`) && !r.stderr.includes('usage:'), r.stderr);
      const odd = await cli(['resize-input', '--model', 'yolov8n.onnx', '--imgsz', '300', '--out', path.join(dir, 'r.onnx')]);
      assert.strictEqual(odd.code, 2, odd.stderr);
      assert.match(odd.stderr, /--imgsz 300x300: both sides must be multiples of the model's largest stride 32[^]*usage: /);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('bench prints the rows of the models that worked, names the one that failed, and exits 1', async function () {
    const fs = require('fs');
    const os = require('os');
    const images = requireCoco128(this);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'yolo-edge-bench-bad-'));
    try {
      const corrupt = path.join(dir, 'corrupt.onnx');
      fs.writeFileSync(corrupt, 'not a model');
      const args = ['bench', '--model', 'yolov8n.onnx', '--model', corrupt, '--images', images, '--threads', '1', '--runs', '1', '--warmup', '0', '--max-images', '1', '--no-accuracy'];
      const md = await cli(args);
      assert.strictEqual(md.code, 1, md.stderr);
      assert.match(md.stdout, /\| yolov8n\.onnx \| fp32 \| 1 \|/);
      assert.match(md.stdout, /- failed: corrupt\.onnx at 1 thread\(s\): NOT_ONNX: .*corrupt\.onnx is not an ONNX model/);
      assert.match(md.stderr, /yolo-edge bench: 1 of 2 model runs failed: corrupt\.onnx at 1 thread\(s\) \(NOT_ONNX\)/);
      const json = await cli([...args, '--json']);
      assert.strictEqual(json.code, 1, json.stderr);
      const r = JSON.parse(json.stdout);
      assert.deepStrictEqual(r.rows.map((x) => x.model), ['yolov8n.onnx']);
      assert.deepStrictEqual(r.failed.map((f) => [f.model, f.threads, f.code]), [['corrupt.onnx', 1, 'NOT_ONNX']]);
      // a --model file that does not exist is refused before anything is measured
      const missing = await cli(['bench', '--model', 'yolov8n.onnx', '--model', path.join(dir, 'nope.onnx'), '--images', images, '--runs', '1']);
      assert.strictEqual(missing.code, 1, missing.stderr);
      assert.strictEqual(missing.stdout, '');
      assert.match(missing.stderr, /model file not found: .*nope\.onnx/);
      assert.doesNotMatch(missing.stderr, /run 1\//, 'nothing measured');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a model file the user may not read is refused before any work, as a missing one is (shadow decoded the dataset first, bench read its images)', function () {
    const fs = require('fs');
    const os = require('os');
    const { spawnSync } = require('child_process');
    // as root every file is readable: the commands run as nobody then
    const asUser = process.getuid?.() === 0 ? ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups'] : [];
    if (asUser.length && spawnSync('setpriv', ['--version']).status !== 0) this.skip();
    const [cmd, ...pre] = [...asUser, process.execPath];
    const run = (...args) => spawnSync(cmd, [...pre, CLI, ...args], { encoding: 'utf8' });
    if (asUser.length && run('--help').status !== 0) this.skip(); // a checkout nobody may read
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'yolo-edge-unreadable-'));
    try {
      fs.chmodSync(dir, 0o755);
      const images = path.join(dir, 'images');
      fs.mkdirSync(images);
      fs.copyFileSync(cocoImage('000000000034.jpg'), path.join(images, 'a.jpg'));
      fs.writeFileSync(path.join(images, 'bad.jpg'), 'not an image'); // its warning shows that the images were read
      const model = path.join(dir, 'model.onnx');
      fs.copyFileSync(requireModel(), model);
      fs.chmodSync(model, 0o200);
      const readable = path.join(dir, 'readable.onnx');
      fs.copyFileSync(requireModel(), readable);
      fs.chmodSync(readable, 0o644);
      for (const [args, key] of [[['shadow', '--production', readable, '--candidate', model, '--data', images], 'candidate'], [['bench', '--model', readable, '--model', model, '--images', images, '--runs', '1'], 'model']]) {
        const r = run(...args);
        assert.strictEqual(r.status, 1, r.stderr);
        assert.ok(r.stderr.startsWith(`yolo-edge ${args[0]}: --${key}: cannot read model file ${model}: EACCES`), r.stderr);
        assert.strictEqual(r.stdout, '', 'nothing measured');
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('bench leaves out an image it cannot read or decode before anything is measured, naming it (it failed every model, then stopped)', async () => {
    const fs = require('fs');
    const os = require('os');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'yolo-edge-bench-img-'));
    try {
      fs.copyFileSync(cocoImage('000000000009.jpg'), path.join(dir, 'a.jpg'));
      fs.writeFileSync(path.join(dir, 'b.jpg'), fs.readFileSync(cocoImage('000000000034.jpg')).subarray(0, 5000));
      fs.copyFileSync(cocoImage('000000000034.jpg'), path.join(dir, 'c.jpg'));
      // the runs' two frames are a.jpg and c.jpg, read in the place of b.jpg
      const r = await cli(['bench', '--json', '--model', 'yolov8n.onnx', '--images', dir, '--threads', '1', '--runs', '2', '--warmup', '0', '--no-accuracy']);
      assert.strictEqual(r.code, 0, r.stderr);
      assert.strictEqual(r.stderr, `warning: 1 of 3 image(s) left out, as they cannot be read or decoded (as Ultralytics ignores a corrupt image): ${path.join(dir, 'b.jpg')}: image could not be decoded: VipsJpeg: premature end of JPEG image\n`);
      const out = JSON.parse(r.stdout);
      assert.deepStrictEqual([out.images, out.rows.length, out.failed.length], [2, 1, 0]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('bench refuses a labels/ folder without a label file for its images before anything is measured (it failed every model after its runs)', async () => {
    const fs = require('fs');
    const os = require('os');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'yolo-edge-bench-nolabels-'));
    try {
      fs.mkdirSync(path.join(dir, 'images'));
      fs.mkdirSync(path.join(dir, 'labels'));
      fs.copyFileSync(cocoImage('000000000009.jpg'), path.join(dir, 'images', 'a.jpg'));
      const r = await cli(['bench', '--model', 'yolov8n.onnx', '--images', dir, '--threads', '1', '--runs', '1', '--warmup', '0']);
      assert.strictEqual(r.code, 1, r.stderr);
      assert.strictEqual(r.stdout, '');
      assert.match(r.stderr, /yolo-edge bench: no label files: looked for <image name>\.txt in .*labels; add them, or bench without mAP \(--no-accuracy\)/);
      assert.doesNotMatch(r.stderr, /run 1\/|model runs failed/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('bench warns, naming the model, about label lines its mAP skipped (a class id the model lacks), as eval does', async () => {
    const fs = require('fs');
    const os = require('os');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'yolo-edge-bench-badlabels-'));
    try {
      fs.mkdirSync(path.join(dir, 'images'));
      fs.mkdirSync(path.join(dir, 'labels'));
      fs.copyFileSync(cocoImage('000000000009.jpg'), path.join(dir, 'images', 'a.jpg'));
      fs.copyFileSync(cocoImage('000000000034.jpg'), path.join(dir, 'images', 'b.jpg'));
      fs.writeFileSync(path.join(dir, 'labels', 'a.txt'), '45 0.5 0.5 0.2 0.2\n999 0.5 0.5 0.2 0.2\n');
      fs.writeFileSync(path.join(dir, 'labels', 'b.txt'), '22 0.5 0.5 0.5 0.5\n');
      const r = await cli(['bench', '--model', 'yolov8n.onnx', '--images', dir, '--threads', '1', '--runs', '1', '--warmup', '0', '--json']);
      assert.strictEqual(r.code, 0, r.stderr);
      assert.match(r.stderr, /warning: yolov8n\.onnx: 1 label line\(s\) or file\(s\) skipped: .*a\.txt:2 class 999 is not a class id of the model \(0\.\.79\); the 1 image\(s\) of those files left out/);
      assert.ok(JSON.parse(r.stdout).rows[0].map50 >= 0);
      // no image left for the mAP: the model's timings stand, without mAP
      fs.rmSync(path.join(dir, 'images', 'b.jpg'));
      const none = await cli(['bench', '--model', 'yolov8n.onnx', '--images', dir, '--threads', '1', '--runs', '1', '--warmup', '0', '--json']);
      assert.strictEqual(none.code, 0, none.stderr);
      assert.match(none.stderr, /warning: yolov8n\.onnx: no image left to measure: .*; its mAP is left out\n/);
      const row = JSON.parse(none.stdout).rows[0];
      assert.ok(row.session.median > 0 && row.map50 === undefined, none.stdout);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('the odd half of a one-image folder is refused as no images (bench failed each model: \'Cannot read properties of undefined\'; eval said no label files)', async () => {
    const fs = require('fs');
    const os = require('os');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'yolo-edge-split-'));
    try {
      fs.mkdirSync(path.join(dir, 'images'));
      fs.mkdirSync(path.join(dir, 'labels'));
      fs.copyFileSync(cocoImage('000000000009.jpg'), path.join(dir, 'images', 'a.jpg'));
      fs.writeFileSync(path.join(dir, 'labels', 'a.txt'), '45 0.5 0.5 0.2 0.2\n');
      const cases = [
        ['bench', '--model', 'yolov8n.onnx', '--images', dir, '--threads', '1', '--runs', '1', '--warmup', '0', '--no-accuracy'],
        ['eval', '--data', dir],
        ['quantize', '--model', 'yolov8n.onnx', '--calib', dir, '--out', path.join(dir, 'q.onnx')],
      ];
      for (const args of cases) {
        const r = await cli([...args, '--split', 'odd']);
        assert.strictEqual(r.code, 1, r.stderr);
        assert.strictEqual(r.stdout, '');
        assert.ok(r.stderr.includes(`yolo-edge ${args[0]}: no images in ${dir} (split odd: the folder has one image)`), r.stderr);
        assert.doesNotMatch(r.stderr, /run 1\/|model runs failed|calibrating/);
      }
      assert.ok(!fs.existsSync(path.join(dir, 'q.onnx')));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('bench --node-red leaves out a FIFO named .jpg among its images, naming it (it waited on it for ever)', async () => {
    const fs = require('fs');
    const os = require('os');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'yolo-edge-bench-fifo-'));
    try {
      fs.copyFileSync(cocoImage('000000000009.jpg'), path.join(dir, 'a.jpg'));
      require('child_process').execFileSync('mkfifo', [path.join(dir, 'b.jpg')]);
      const r = await cli(['bench', '--node-red', '--model', 'yolov8n.onnx', '--images', dir, '--threads', '1', '--runs', '1', '--seconds', '1', '--json'], { timeout: 120000 });
      assert.strictEqual(r.code, 0, r.stderr);
      assert.ok(r.stderr.includes(`warning: 1 of 2 image(s) left out, as they cannot be read or decoded (as Ultralytics ignores a corrupt image): "${path.join(dir, 'b.jpg')}" is not a readable image file (not a regular file)\n`), r.stderr);
      assert.deepStrictEqual(JSON.parse(r.stdout).rows.map((x) => x.model), ['yolov8n.onnx']);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('bench --node-red runs from a folder with no package.json above it (the test helper it loads threw: "needs node-red installed")', async function () {
    const fs = require('fs');
    const os = require('os');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'yolo-edge-bench-cwd-'));
    try {
      const above = (d) => fs.existsSync(path.join(d, 'package.json')) || (path.dirname(d) !== d && above(path.dirname(d)));
      if (above(dir)) this.skip();
      fs.mkdirSync(path.join(dir, 'frames'));
      fs.copyFileSync(cocoImage('000000000009.jpg'), path.join(dir, 'frames', 'a.jpg'));
      const r = await cli(['bench', '--node-red', '--model', requireModel(), '--images', 'frames', '--threads', '1', '--runs', '1', '--seconds', '1', '--fps', '2', '--json'], { cwd: dir });
      assert.strictEqual(r.code, 0, r.stderr);
      assert.deepStrictEqual(JSON.parse(r.stdout).rows.map((x) => x.model), ['yolov8n.onnx']);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('bench takes each --model as one path, commas and all', async () => {
    const fs = require('fs');
    const os = require('os');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'yolo-edge-bench-comma-'));
    try {
      const model = path.join(dir, 'line 3, v2.onnx');
      fs.writeFileSync(model, 'not a model');
      const r = await cli(['bench', '--model', model, '--images', path.dirname(cocoImage('000000000034.jpg')), '--threads', '1', '--runs', '1', '--warmup', '0', '--max-images', '1', '--no-accuracy', '--json']);
      assert.strictEqual(r.code, 1, r.stderr);
      assert.deepStrictEqual(JSON.parse(r.stdout).failed.map((f) => [f.model, f.code]), [['line 3, v2.onnx', 'NOT_ONNX']]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('bench tells apart models of the same file name (weights/best.onnx of two runs) by their folders; it named both best.onnx', async () => {
    const fs = require('fs');
    const os = require('os');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'yolo-edge-bench-names-'));
    try {
      const models = ['train', 'train2'].map((run) => path.join(dir, run, 'weights', 'best.onnx'));
      for (const m of models) {
        fs.mkdirSync(path.dirname(m), { recursive: true });
        fs.writeFileSync(m, 'not a model');
      }
      const other = path.join(dir, 'train2', 'weights', 'last.onnx');
      fs.writeFileSync(other, 'not a model');
      const args = ['bench', ...[...models, other].flatMap((m) => ['--model', m]), '--images', path.dirname(cocoImage('000000000034.jpg')), '--threads', '1', '--runs', '1', '--warmup', '0', '--max-images', '1', '--no-accuracy'];
      const r = await cli([...args, '--json']);
      assert.strictEqual(r.code, 1, r.stderr);
      const names = [path.join('train', 'weights', 'best.onnx'), path.join('train2', 'weights', 'best.onnx'), 'last.onnx'];
      assert.deepStrictEqual(JSON.parse(r.stdout).failed.map((f) => f.model), names);
      assert.ok(r.stderr.includes(`model runs failed: ${names[0]} at 1 thread(s) (NOT_ONNX), ${names[1]} at 1 thread(s)`), r.stderr);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("uses the user's ./yolov8n.onnx over the package model of the same name", async () => {
    const fs = require('fs');
    const os = require('os');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'yolo-edge-cwd-'));
    try {
      fs.writeFileSync(path.join(dir, 'yolov8n.onnx'), 'not a model');
      for (const model of ['./yolov8n.onnx', 'yolov8n.onnx']) {
        const r = await cli(['detect', '--model', model, cocoImage('000000000034.jpg')], { cwd: dir });
        assert.strictEqual(r.code, 1, model);
        assert.match(r.stderr, /is not an ONNX model/, model);
        assert.ok(r.stderr.includes(path.join(fs.realpathSync(dir), 'yolov8n.onnx')) || r.stderr.includes(path.join(dir, 'yolov8n.onnx')), r.stderr);
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a model file cut short (an interrupted copy) or empty is named as such, with the fix (it said only \'index out of range: ...\')', async () => {
    const fs = require('fs');
    const os = require('os');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'yolo-edge-cut-'));
    try {
      const bytes = fs.readFileSync(requireModel());
      const cut = path.join(dir, 'cut.onnx');
      fs.writeFileSync(cut, bytes.subarray(0, bytes.length >> 1));
      const empty = path.join(dir, 'empty.onnx');
      fs.writeFileSync(empty, '');
      for (const args of [['detect', '--model', cut, cocoImage('000000000034.jpg')], ['resize-input', '--model', cut, '--imgsz', '320', '--out', path.join(dir, 'r.onnx')]]) {
        const r = await cli(args);
        assert.strictEqual(r.code, 1, r.stderr);
        assert.ok(r.stderr.includes(`${cut} is not an ONNX model, or one cut short: its data runs past the end of the file (${bytes.length >> 1} bytes; an interrupted copy or download?); copy it again`), r.stderr);
      }
      const r = await cli(['detect', '--model', empty, cocoImage('000000000034.jpg')]);
      assert.strictEqual(r.code, 1, r.stderr);
      assert.ok(r.stderr.includes(`${empty} is not an ONNX model (the file is empty)`), r.stderr);
      assert.deepStrictEqual(fs.readdirSync(dir).sort(), ['cut.onnx', 'empty.onnx']);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('quantize --fp32 writes the FP32 model to compare an INT8 one with (float head rewritten, no calibration)', async () => {
    const fs = require('fs');
    const os = require('os');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'yolo-edge-fp32-'));
    try {
      const out = path.join(dir, 'fp32.onnx');
      const r = await cli(['quantize', '--model', 'yolov8n.onnx', '--fp32', '--out', out, '--json']);
      assert.strictEqual(r.code, 0, r.stderr);
      const report = JSON.parse(r.stdout);
      assert.deepStrictEqual([report.dflRewritten, fs.existsSync(out)], [1, true]);
      const d = await cli(['detect', '--json', '--model', out, cocoImage('000000000034.jpg')]);
      assert.strictEqual(JSON.parse(d.stdout).detections[0].class, 'zebra');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('quantize refuses an --exclude pattern that names no node of the model before calibrating (it kept nothing float, without a word)', async () => {
    const calib = path.dirname(cocoImage('000000000034.jpg'));
    const r = await cli(['quantize', '--model', 'yolov8n.onnx', '--calib', calib, '--samples', 'all', '--exclude', '/model.22/cv3*,model22', '--out', '/tmp/never-written.onnx']);
    assert.strictEqual(r.code, 2, r.stderr);
    assert.match(r.stderr, /yolo-edge quantize: --exclude 'model22' matches no node of .*yolov8n\.onnx: a pattern without \* or \? is any part of a node name, with them the whole name \(names look like '\/model\.0\/conv\/Conv'\)\nusage: yolo-edge quantize/);
    assert.doesNotMatch(r.stderr, /calibrating/);
  });

  it('quantize refuses an --exclude that keeps every node float, before reading the images (onnxruntime failed: \'fetches\' cannot be an empty array)', async () => {
    const fs = require('fs');
    const out = '/tmp/yolo-edge-never-written.onnx';
    // a folder that does not exist is not looked at: the refusal comes first
    for (const [exclude, calib] of [['*', path.dirname(cocoImage('000000000034.jpg'))], ['/model.*', '/nope']]) {
      const r = await cli(['quantize', '--model', 'yolov8n.onnx', '--calib', calib, '--exclude', exclude, '--out', out]);
      assert.strictEqual(r.code, 2, r.stderr);
      assert.match(r.stderr, new RegExp(`yolo-edge quantize: --exclude '${exclude.replace(/[.*]/g, '\\$&')}' keeps every node of .*yolov8n\\.onnx float: nothing is left to quantize\nusage: yolo-edge quantize`));
      assert.ok(!fs.existsSync(out));
    }
  });

  it('quantize refuses options it would ignore: calibration ones with --fp32, --percentile without its calibrator, --holdout without a budget', async () => {
    const q = ['quantize', '--model', 'yolov8n.onnx', '--out', '/tmp/yolo-edge-never.onnx'];
    const cases = [
      [[...q, '--fp32', '--calib', '/nope', '--samples', '8'], /--calib, --samples do not apply to --fp32/],
      [[...q, '--fp32', '--target', 'arm64'], /--target does not apply to --fp32/],
      [[...q, '--calib', '/nope', '--percentile', '99.9'], /--percentile does not apply to --calibrator minmax/],
      [[...q, '--calib', '/nope', '--calibrator', 'entropy', '--percentile', '99.9'], /--percentile does not apply to --calibrator entropy/],
      [[...q, '--calib', '/nope', '--holdout', '32', '--budget-max-layers', '4'], /--holdout, --budget-max-layers do not apply without --accuracy-budget/],
    ];
    for (const [args, why] of cases) {
      const r = await cli(args);
      assert.strictEqual(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, why);
      assert.match(r.stderr, /usage: yolo-edge quantize .*\n {7}yolo-edge quantize --model IN\.onnx --fp32 --out OUT\.onnx \[--uint8-input\] \[--json\]/);
    }
    // what they apply to still runs as far as the missing calibration folder
    const ok = await cli([...q, '--calib', '/nope', '--calibrator', 'percentile', '--percentile', '99.9', '--accuracy-budget', '1', '--holdout', '32']);
    assert.strictEqual(ok.code, 1, ok.stderr);
    assert.match(ok.stderr, /folder \/nope does not exist/);
  });

  it('eval scores segment polygons as their boxes, leaves out an image with a line it cannot use (warned once), and fails without labels', async function () {
    const fs = require('fs');
    const os = require('os');
    const coco = requireCoco128(this);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'yolo-edge-evalds-'));
    const stems = ['000000000009', '000000000025', '000000000030', '000000000034'];
    const toPolygon = (line) => {
      const [c, cx, cy, w, h] = line.split(' ').map(Number);
      const [x1, y1, x2, y2] = [cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2];
      return [c, x1, y1, x2, y1, x2, y2, x1, y2].join(' ');
    };
    // bad: the first image's labels have two lines eval cannot use; rest: the dataset without that image
    const bad = (t, s) => (s === stems[0] ? `${t.trim()}\n999 0.5 0.5 0.2 0.2\n0 0.5 0.5 0.2\n` : t);
    const variants = { box: (t) => t, polygon: (t) => t.trim().split('\n').map(toPolygon).join('\n'), bad, rest: (t) => t, onlyBad: bad };
    try {
      for (const [name, edit] of Object.entries(variants)) {
        fs.mkdirSync(path.join(dir, name, 'images'), { recursive: true });
        fs.mkdirSync(path.join(dir, name, 'labels'));
        for (const s of name === 'rest' ? stems.slice(1) : name === 'onlyBad' ? stems.slice(0, 1) : stems) {
          fs.copyFileSync(path.join(coco, 'images', `${s}.jpg`), path.join(dir, name, 'images', `${s}.jpg`));
          fs.writeFileSync(path.join(dir, name, 'labels', `${s}.txt`), edit(fs.readFileSync(path.join(coco, 'labels', `${s}.txt`), 'utf8'), s));
        }
      }
      const run = (data) => cli(['eval', '--json', '--threads', '2', '--data', data]);
      const [box, polygon, withBad, rest] = await Promise.all(['box', 'polygon', 'bad', 'rest'].map((n) => run(path.join(dir, n))));
      for (const r of [box, polygon, withBad, rest]) assert.strictEqual(r.code, 0, r.stderr);
      const m = (r) => JSON.parse(r.stdout);
      assert.ok(m(box).map50 > 0.5, box.stdout);
      assert.deepStrictEqual([m(polygon).labels, m(polygon).map50], [m(box).labels, m(box).map50]);
      // kept with its usable lines, the image scored its detections of the skipped objects as false
      const figures = (x) => [x.images, x.labels, x.map50, x.map50_95, x.precision, x.recall];
      assert.deepStrictEqual(figures(m(withBad)), figures(m(rest)));
      assert.strictEqual(m(withBad).images, 3);
      assert.doesNotMatch(box.stderr, /warning/);
      const warnings = withBad.stderr.split('\n').filter((l) => l.startsWith('warning:'));
      assert.strictEqual(warnings.length, 1, withBad.stderr);
      const onlyBad = await run(path.join(dir, 'onlyBad'));
      assert.strictEqual(onlyBad.code, 1, onlyBad.stderr);
      assert.match(onlyBad.stderr, /no image left to measure: every one has a label line or file that cannot be used \(2 label line\(s\)/);
      assert.match(warnings[0], /2 label line\(s\) or file\(s\) skipped: .*000000000009\.txt:\d+ class 999 .*000000000009\.txt:\d+ has 4 numbers.*; the 1 image\(s\) of those files left out of the mAP$/);
      // the images folder itself, as Ultralytics takes it: its labels are in the labels/ beside it
      const images = await run(path.join(dir, 'box', 'images'));
      assert.strictEqual(images.code, 0, images.stderr);
      assert.deepStrictEqual([m(images).labels, m(images).map50], [m(box).labels, m(box).map50]);
      fs.rmSync(path.join(dir, 'box', 'labels'), { recursive: true });
      const none = await run(path.join(dir, 'box', 'images'));
      assert.strictEqual(none.code, 1);
      assert.match(none.stderr, /no label files: looked for <image name>\.txt in .*box\/images\/labels/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('eval, quantize, bench and shadow leave out the images they cannot read or decode, named in one warning, and measure what the dataset without them gives (a truncated JPEG stopped them, exit 1)', async function () {
    const fs = require('fs');
    const os = require('os');
    const coco = requireCoco128(this);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'yolo-edge-bad-images-'));
    const stems = ['000000000009', '000000000025', '000000000030', '000000000034'];
    try {
      // good: four photos; bad: the same and a truncated JPEG (with its label), an empty PNG, text named .webp and
      // a folder named .jpg; onlyBad: those alone
      for (const name of ['good', 'bad', 'onlyBad']) {
        fs.mkdirSync(path.join(dir, name, 'images'), { recursive: true });
        fs.mkdirSync(path.join(dir, name, 'labels'));
        for (const s of name === 'onlyBad' ? [] : stems) {
          fs.copyFileSync(path.join(coco, 'images', `${s}.jpg`), path.join(dir, name, 'images', `${s}.jpg`));
          fs.copyFileSync(path.join(coco, 'labels', `${s}.txt`), path.join(dir, name, 'labels', `${s}.txt`));
        }
        if (name === 'good') continue;
        const images = path.join(dir, name, 'images');
        fs.writeFileSync(path.join(images, '000000000010.jpg'), fs.readFileSync(path.join(coco, 'images', '000000000036.jpg')).subarray(0, 5000));
        fs.copyFileSync(path.join(coco, 'labels', '000000000036.txt'), path.join(dir, name, 'labels', '000000000010.txt'));
        fs.writeFileSync(path.join(images, '000000000026.png'), Buffer.alloc(0));
        fs.writeFileSync(path.join(images, '000000000031.webp'), 'not an image');
        fs.mkdirSync(path.join(images, '000000000035.jpg'));
      }
      const bad = path.join(dir, 'bad', 'images');
      const badWarning = (stderr) => {
        const warnings = stderr.split('\n').filter((l) => l.startsWith('warning:'));
        assert.strictEqual(warnings.length, 1, stderr);
        assert.match(warnings[0], /^warning: 4 of \d+ image\(s\) left out, as they cannot be read or decoded \(as Ultralytics ignores a corrupt image\): /);
        assert.ok(warnings[0].includes(`${path.join(bad, '000000000010.jpg')}: image could not be decoded: VipsJpeg: premature end of JPEG image`), warnings[0]);
        assert.ok(warnings[0].includes(`${path.join(bad, '000000000026.png')}: image is empty (0 bytes)`), warnings[0]);
        assert.match(warnings[0], /; and 1 more$/);
      };
      const both = async (args) => {
        const [good, withBad] = await Promise.all(['good', 'bad'].map((n) => cli(args(path.join(dir, n), n))));
        assert.strictEqual(good.code, 0, good.stderr);
        assert.strictEqual(withBad.code, 0, withBad.stderr);
        assert.doesNotMatch(good.stderr, /warning/);
        badWarning(withBad.stderr);
        return [JSON.parse(good.stdout), JSON.parse(withBad.stdout)];
      };
      const figures = (x) => [x.images, x.labels, x.map50, x.map50_95, x.precision, x.recall, x.perClass];
      const [evalGood, evalBad] = await both((data) => ['eval', '--json', '--threads', '1', '--data', data]);
      assert.deepStrictEqual(figures(evalBad), figures(evalGood));
      assert.strictEqual(evalBad.images, 4);
      const agreement = (x) => { const { production, candidate, window, ...rest } = x; return rest; };
      const [shadowGood, shadowBad] = await both((data) => ['shadow', '--json', '--threads', '1', '--production', 'yolov8n.onnx', '--candidate', 'yolov8n.onnx', '--data', data]);
      assert.deepStrictEqual(agreement(shadowBad), agreement(shadowGood));
      assert.strictEqual(shadowBad.images, 4);
      const [benchGood, benchBad] = await both((data) => ['bench', '--json', '--model', 'yolov8n.onnx', '--images', data, '--threads', '1', '--runs', '1', '--warmup', '0']);
      assert.deepStrictEqual([benchBad.images, benchBad.rows[0].map50, benchBad.rows[0].map50_95], [benchGood.images, benchGood.rows[0].map50, benchGood.rows[0].map50_95]);
      assert.strictEqual(benchBad.images, 4);
      // the calibration and the budget's held-aside images are those of the folder without the bad files: the same model
      const out = (name) => path.join(dir, `${name}.onnx`);
      const [qGood, qBad] = await both((data, name) => ['quantize', '--json', '--threads', '1', '--model', 'yolov8n.onnx', '--calib', data, '--samples', 'all', '--accuracy-budget', '1', '--holdout', '1', '--budget-max-layers', '0', '--out', out(name)]);
      assert.deepStrictEqual([qBad.calibrationImages, qBad.imagesLeftOut, qBad.budget.holdoutImages, qBad.budget.fp32Map50, qBad.budget.lossAllQuantized], [3, 4, 1, qGood.budget.fp32Map50, qGood.budget.lossAllQuantized]);
      assert.strictEqual(qGood.calibrationImages, 3);
      assert.ok(fs.readFileSync(out('bad')).equals(fs.readFileSync(out('good'))), 'the same quantized model');
      // with every image left out there is nothing to measure: NO_IMAGES, saying why
      const onlyBad = path.join(dir, 'onlyBad');
      for (const args of [['eval', '--data', onlyBad], ['shadow', '--production', 'yolov8n.onnx', '--candidate', 'yolov8n.onnx', '--data', onlyBad], ['bench', '--model', 'yolov8n.onnx', '--images', onlyBad, '--runs', '1'], ['quantize', '--model', 'yolov8n.onnx', '--calib', onlyBad, '--out', out('none')]]) {
        const r = await cli([...args, '--threads', '1']);
        assert.strictEqual(r.code, 1, `${args[0]}: ${r.stderr}`);
        assert.strictEqual(r.stdout, '');
        assert.ok(r.stderr.startsWith(`yolo-edge ${args[0]}: no usable image in ${onlyBad}: 4 of 4 image(s) left out, as they cannot be read or decoded`), r.stderr);
      }
      assert.ok(!fs.existsSync(out('none')));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('eval, shadow, bench and quantize take an Ultralytics data.yaml where they take a folder: its val, or the split --split names (they refused the yaml)', async () => {
    const fs = require('fs');
    const os = require('os');
    const { FIXTURES } = require('./support/paths');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'yolo-edge-data-yaml-'));
    try {
      // ds/images/train: 3 photos, ds/images/val: 2, each with a label; the yaml beside ds/, path relative to it
      fs.readdirSync(FIXTURES).filter((f) => f.endsWith('.jpg')).sort().forEach((f, i) => {
        const split = i < 3 ? 'train' : 'val';
        for (const d of ['images', 'labels']) fs.mkdirSync(path.join(dir, 'ds', d, split), { recursive: true });
        fs.copyFileSync(path.join(FIXTURES, f), path.join(dir, 'ds', 'images', split, f));
        fs.writeFileSync(path.join(dir, 'ds', 'labels', split, f.replace('.jpg', '.txt')), `${i} 0.5 0.5 0.4 0.4\n0 0.3 0.6 0.2 0.5\n`);
      });
      const yaml = path.join(dir, 'data.yaml');
      fs.writeFileSync(yaml, 'path: ds\ntrain: images/train\nval: images/val\nnames:\n  0: person\n  1: bicycle\n');
      const folder = (split) => path.join(dir, 'ds', 'images', split);
      const json = async (args) => {
        const r = await cli([...args, '--json', '--threads', '1']);
        assert.strictEqual(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
        assert.doesNotMatch(r.stderr, /warning/);
        return JSON.parse(r.stdout);
      };
      const figures = (x) => [x.images, x.labels, x.map50, x.map50_95, x.precision, x.recall, x.perClass];
      for (const [split, args] of [['val', []], ['train', ['--split', 'train']]]) {
        const fromYaml = await json(['eval', '--data', yaml, ...args]);
        assert.deepStrictEqual(figures(fromYaml), figures(await json(['eval', '--data', folder(split)])), split);
        assert.strictEqual(fromYaml.images, split === 'val' ? 2 : 3);
        const shadow = ['shadow', '--production', 'yolov8n.onnx', '--candidate', 'yolov8n.onnx'];
        assert.strictEqual((await json([...shadow, '--data', yaml, ...args])).images, split === 'val' ? 2 : 3);
        // bench's mAP is that of the split it read (evaluate listed val again, and found none of the train images)
        const bench = ['bench', '--model', 'yolov8n.onnx', '--runs', '1', '--warmup', '0'];
        const benched = await json([...bench, '--images', yaml, ...args]);
        const byFolder = await json([...bench, '--images', folder(split)]);
        assert.deepStrictEqual([benched.images, benched.rows[0].map50, benched.rows[0].map50_95], [byFolder.images, byFolder.rows[0].map50, byFolder.rows[0].map50_95]);
        assert.strictEqual(benched.images, split === 'val' ? 2 : 3);
        // calibrated on val by default, as Ultralytics' INT8 export
        const q = await json(['quantize', '--model', 'yolov8n.onnx', '--calib', yaml, '--samples', 'all', '--out', path.join(dir, `${split}.onnx`), ...args]);
        assert.strictEqual(q.calibrationImages, split === 'val' ? 2 : 3);
      }
      const even = await json(['eval', '--data', yaml, '--split', 'even']);
      assert.strictEqual(even.images, 1, 'the even half of val');
      const noTest = await cli(['eval', '--data', yaml, '--split', 'test']);
      assert.strictEqual(noTest.code, 1);
      assert.strictEqual(noTest.stderr, `yolo-edge eval: ${yaml} has no test (it names train and val): give --split train or val\n`);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('eval on a data.yaml over coco128 measures what eval on the folder does, half for half', async function () {
    const fs = require('fs');
    const os = require('os');
    const coco = requireCoco128(this);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'yolo-edge-coco-yaml-'));
    try {
      const yaml = path.join(dir, 'coco128.yaml');
      fs.writeFileSync(yaml, `path: ${coco}\ntrain: images\nval: images\nnames: [person, bicycle, car]\n`);
      const run = async (data) => {
        const r = await cli(['eval', '--json', '--threads', '2', '--split', 'odd', '--data', data]);
        assert.strictEqual(r.code, 0, r.stderr);
        const { model, data: _, ...m } = JSON.parse(r.stdout);
        return m;
      };
      const fromYaml = await run(yaml);
      assert.strictEqual(fromYaml.images, 64);
      assert.deepStrictEqual(fromYaml, await run(coco));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('eval on coco128 measures what a correct letterbox pipeline does: mAP50 0.595, mAP50-95 0.445 (+-0.01)', async function () {
    const r = await cli(['eval', '--json', '--threads', '2', '--data', requireCoco128(this)]);
    assert.strictEqual(r.code, 0, r.stderr);
    const m = JSON.parse(r.stdout);
    console.log(`      coco128: mAP50 ${m.map50.toFixed(4)}, mAP50-95 ${m.map50_95.toFixed(4)}, P ${m.precision.toFixed(3)}, R ${m.recall.toFixed(3)}`);
    assert.strictEqual(m.images, 128);
    assert.strictEqual(m.labels, 929);
    assert.strictEqual(m.perClass.length, 71);
    assert.ok(Math.abs(m.map50 - 0.595) <= 0.01, `mAP50 ${m.map50}`);
    assert.ok(Math.abs(m.map50_95 - 0.445) <= 0.01, `mAP50-95 ${m.map50_95}`);
  });
});
