'use strict';
// How eval reads YOLO label files: boxes, segment polygons, and what it skips (and says it skipped).
const assert = require('assert');
const fs = require('fs');
const path = require('path');
const { lib } = require('./support/paths');
const { tmpDir } = require('./support/fixtures');

const { parseLabelLine, readLabels, readImageLabels, MAX_LABEL_FILE_BYTES, LabelProblems, requireLabelFiles, listDataset, listImages, hasLabels } = lib('tools/eval/dataset');

describe('eval label files', () => {
  const tmp = tmpDir('yolo-edge-labels-');
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('reads a box line and turns a segment polygon into its bounding box', () => {
    const near = (a, b) => Object.keys(b).forEach((k) => assert.ok(Math.abs(a[k] - b[k]) < 1e-9, `${k}: ${a[k]} vs ${b[k]}`));
    near(parseLabelLine('3 0.5 0.5 0.2 0.4'), { classId: 3, x1: 0.4, y1: 0.3, x2: 0.6, y2: 0.7 });
    near(parseLabelLine('7 0.2 0.3 0.6 0.1 0.5 0.9 0.1 0.4'), { classId: 7, x1: 0.1, y1: 0.1, x2: 0.6, y2: 0.9 });
    assert.strictEqual(parseLabelLine('   '), undefined);
  });

  it('refuses class ids the model lacks and malformed lines, saying why', () => {
    const problem = (line) => parseLabelLine(line, 80).problem;
    assert.match(problem('999 0.5 0.5 0.2 0.2'), /class 999 is not a class id of the model \(0\.\.79\)/);
    assert.match(problem('-3 0.5 0.5 0.1 0.1'), /class -3/);
    assert.match(problem('1.5 0.5 0.5 0.1 0.1'), /class 1.5/);
    assert.match(problem('0 0.5 0.5 0.2'), /has 4 numbers/);
    assert.match(problem('0 0.1 0.1 0.2 0.2 0.3'), /has 6 numbers/);
    assert.match(problem('0 0.5 zero 0.2 0.2'), /not all numbers/);
    assert.match(problem('0 320 240 50 60'), /outside 0\.\.1/);
  });

  it('refuses a box without area (zero or negative width or height, a polygon on a line): no detection can match it, so it was one more missed object', async () => {
    const problem = (line) => parseLabelLine(line, 80).problem;
    for (const line of ['0 0.5 0.5 0 0.2', '0 0.5 0.5 0.2 0', '0 0.5 0.5 0.2 -0.005', '0 0.5 0.5 -0.005 0.2', '0 0.1 0.2 0.3 0.2 0.5 0.2', '0 0.4 0.4 0.4 0.4 0.4 0.4']) {
      assert.match(problem(line) ?? '', /zero or negative width or height/, line);
    }
    // a box up to the tolerance outside 0..1 stays, as Ultralytics takes it
    assert.strictEqual(parseLabelLine('0 0.005 0.5 0.01 0.2', 80).classId, 0);
    const file = path.join(tmp, 'flat.txt');
    fs.writeFileSync(file, '0 0.5 0.5 0.2 0.2\n23 0.5 0.5 0 0.2\n');
    const problems = new LabelProblems();
    const r = await readImageLabels(file, 100, 100, { numClasses: 80, problems });
    assert.deepStrictEqual([r.boxes.length, r.unusable], [1, true], 'the image is left out of the mAP');
    assert.match(problems.summary(), /^1 label line\(s\) or file\(s\) skipped: .*flat\.txt:2 has a box of zero or negative width or height$/);
  });

  it('readLabels skips and counts bad lines and unreadable files; a missing file is a background image', async () => {
    const file = path.join(tmp, 'a.txt');
    fs.writeFileSync(file, '0 0.5 0.5 0.2 0.2\n999 0.5 0.5 0.2 0.2\n0 0.5 0.5 0.2\n1 0.1 0.1 0.3 0.1 0.3 0.3\n-3 0.5 0.5 0.1 0.1\n');
    const problems = new LabelProblems();
    const boxes = await readLabels(file, 100, 200, { numClasses: 80, problems });
    assert.deepStrictEqual(boxes.map((b) => b.classId), [0, 1]);
    assert.ok(Math.abs(boxes[1].box.x2 - 30) < 1e-9 && Math.abs(boxes[1].box.y2 - 60) < 1e-9);
    fs.mkdirSync(path.join(tmp, 'dir.txt'));
    assert.deepStrictEqual(await readLabels(path.join(tmp, 'dir.txt'), 100, 100, { problems }), []);
    assert.deepStrictEqual(await readLabels(path.join(tmp, 'missing.txt'), 100, 100, { problems }), []);
    assert.strictEqual(problems.count, 4);
    const summary = problems.summary();
    assert.ok(!summary.includes('\n'));
    assert.match(summary, /^4 label line\(s\) or file\(s\) skipped: .*a\.txt:2 class 999.*a\.txt:3 has 4 numbers.*a\.txt:5 class -3.*; \.\.\.$/);
    assert.strictEqual(new LabelProblems().summary(), undefined);
  });

  it('readLabels refuses a FIFO or folder named .txt as unreadable, saying which (it waited on a FIFO for ever)', async () => {
    const fifo = path.join(tmp, 'fifo.txt');
    require('child_process').execFileSync('mkfifo', [fifo]);
    fs.mkdirSync(path.join(tmp, 'folder.txt'));
    const problems = new LabelProblems();
    assert.deepStrictEqual(await readLabels(fifo, 100, 100, { problems }), []);
    assert.deepStrictEqual(await readLabels(path.join(tmp, 'folder.txt'), 100, 100, { problems }), []);
    assert.deepStrictEqual(problems.first.map((p) => [path.basename(p.file), p.reason]), [['fifo.txt', 'cannot be read (not a regular file)'], ['folder.txt', 'cannot be read (a folder)']]);
  });

  it('readImageLabels tells an image with a line or file it cannot use (eval leaves it out); a missing file or a repeat is not one', async () => {
    const write = (name, text) => {
      fs.writeFileSync(path.join(tmp, name), text);
      return path.join(tmp, name);
    };
    const read = async (file) => {
      const r = await readImageLabels(file, 100, 100, { numClasses: 80, problems: new LabelProblems() });
      return [r.boxes.map((b) => b.classId), r.unusable];
    };
    assert.deepStrictEqual(await read(write('ok.txt', '\ufeff0 0.5 0.5 0.2 0.2  \r\n\r\n1 0.5 0.5 0.2 0.2\n1 0.5 0.5 0.2 0.2\n')), [[0, 1], false]);
    assert.deepStrictEqual(await read(write('one-bad.txt', '0 0.5 0.5 0.2 0.2\n# a comment\n')), [[0], true]);
    assert.deepStrictEqual(await read(path.join(tmp, 'none.txt')), [[], false]);
    fs.mkdirSync(path.join(tmp, 'dir-label.txt'));
    assert.deepStrictEqual(await read(path.join(tmp, 'dir-label.txt')), [[], true]);
  });

  it('a file with lone CR line ends is read as lines (its boxes made one polygon), and a number must be decimal (0x1 was class 1)', async () => {
    const file = path.join(tmp, 'cr.txt');
    fs.writeFileSync(file, '0 0.5 0.5 0.2 0.2\r0 0.3 0.3 0.1 0.1\r0 0.2 0.2 0.1 0.1\r');
    const problems = new LabelProblems();
    const boxes = await readLabels(file, 100, 100, { problems });
    assert.deepStrictEqual(boxes.map((b) => Math.round(b.box.x2)), [60, 35, 25]);
    assert.strictEqual(problems.count, 0);
    for (const line of ['0x1 0.5 0.5 0.2 0.2', '0 0b1 0.5 0.2 0.2', '0 0.5 0.5 0.2 Infinity', '0 NaN 0.5 0.2 0.2']) assert.match(parseLabelLine(line, 80).problem, /not all numbers/, line);
    assert.strictEqual(parseLabelLine('0.0 5e-1 .5 +0.2 0.2E0', 80).classId, 0);
  });

  it('refuses a label file over the size limit before reading it (a 400 MB one took 1 GB of memory to skip)', async () => {
    const file = path.join(tmp, 'huge.txt');
    fs.writeFileSync(file, '0 0.5 0.5 0.2 0.2\n');
    fs.truncateSync(file, MAX_LABEL_FILE_BYTES + 1); // sparse: no disk taken
    const problems = new LabelProblems();
    assert.deepStrictEqual(await readImageLabels(file, 100, 100, { problems }), { boxes: [], unusable: true });
    assert.deepStrictEqual(problems.first.map((p) => p.reason), [`cannot be read (${MAX_LABEL_FILE_BYTES + 1} bytes, over the ${MAX_LABEL_FILE_BYTES} of a label file)`]);
    fs.truncateSync(file, MAX_LABEL_FILE_BYTES);
    assert.strictEqual((await readImageLabels(file, 100, 100, { problems })).boxes.length, 1, 'at the limit: read');
  });

  it('readLabels keeps one of identical lines and counts the repeats', async () => {
    const file = path.join(tmp, 'dup.txt');
    fs.writeFileSync(file, '0 0.5 0.5 0.2 0.2\n0 0.5 0.5 0.2 0.2\n1 0.5 0.5 0.2 0.2\n0 0.5 0.5 0.2 0.2\n');
    const problems = new LabelProblems();
    const boxes = await readLabels(file, 100, 100, { numClasses: 80, problems });
    assert.deepStrictEqual(boxes.map((b) => b.classId), [0, 1]);
    assert.strictEqual(problems.count, 2);
    assert.match(problems.summary(), /dup\.txt:2 repeats an earlier line/);
  });

  it('a dataset without any label file is an error naming where labels were looked for', async () => {
    const images = path.join(tmp, 'ds', 'images');
    fs.mkdirSync(images, { recursive: true });
    fs.writeFileSync(path.join(images, 'x.jpg'), '');
    const items = await listDataset(images);
    await assert.rejects(requireLabelFiles(items, images), (e) => e.code === 'NO_LABELS' && e.message.includes(path.join(images, 'labels')) && /not .*ds\/images/.test(e.message));
    fs.mkdirSync(path.join(tmp, 'ds', 'labels'));
    fs.writeFileSync(path.join(tmp, 'ds', 'labels', 'x.txt'), '');
    await requireLabelFiles(await listDataset(path.join(tmp, 'ds')), path.join(tmp, 'ds'));
  });

  it("reads Ultralytics' split layout: --data DIR/images/train2017 has its labels in DIR/labels/train2017", async () => {
    const root = path.join(tmp, 'split');
    for (const d of ['images/train2017', 'labels/train2017', 'other/val']) fs.mkdirSync(path.join(root, d), { recursive: true });
    fs.writeFileSync(path.join(root, 'images', 'train2017', 'a.JPG'), '');
    fs.writeFileSync(path.join(root, 'other', 'val', 'b.jpg'), '');
    const items = await listDataset(path.join(root, 'images', 'train2017'));
    assert.deepStrictEqual(items.map((it) => it.label), [path.join(root, 'labels', 'train2017', 'a.txt')]);
    assert.strictEqual(await hasLabels(path.join(root, 'images', 'train2017')), true);
    // no images/ in the path and no labels/ folder: beside the images, as Ultralytics looks; none there, no labels
    assert.deepStrictEqual((await listDataset(path.join(root, 'other', 'val'))).map((it) => it.label), [path.join(root, 'other', 'val', 'b.txt')]);
    assert.strictEqual(await hasLabels(path.join(root, 'other', 'val')), false);
    await assert.rejects(requireLabelFiles(await listDataset(path.join(root, 'other', 'val')), path.join(root, 'other', 'val')),
      (e) => e.code === 'NO_LABELS' && e.message === `no label files: looked for <image name>.txt in ${path.join(root, 'other', 'val', 'labels')} and beside the images`);
  });

  it("reads CVAT's YOLO 1.1 export, labels beside the images in obj_train_data/ (eval said 'no label files'); a labels/ folder there comes first", async () => {
    const dir = path.join(tmp, 'cvat', 'obj_train_data');
    fs.mkdirSync(dir, { recursive: true });
    for (const n of ['frame_000000.jpg', 'frame_000000.txt', 'frame_000001.PNG']) fs.writeFileSync(path.join(dir, n), '');
    const items = await listDataset(dir);
    assert.deepStrictEqual(items.map((it) => path.basename(it.label)), ['frame_000000.txt', 'frame_000001.txt']);
    assert.ok(items.every((it) => path.dirname(it.label) === dir));
    await requireLabelFiles(items, dir);
    assert.strictEqual(await hasLabels(dir), true);
    fs.mkdirSync(path.join(dir, 'labels'));
    assert.ok((await listDataset(dir)).every((it) => path.dirname(it.label) === path.join(dir, 'labels')));
  });
  it('names what an images folder holds besides the images it reads in one warning (other formats and subfolders were left out in silence)', async () => {
    const dir = path.join(tmp, 'mixed');
    fs.mkdirSync(path.join(dir, 'sub'), { recursive: true });
    for (const n of ['a.jpg', 'B.JPG', 'c.PNG', 'd.webp', 'e.jpeg', 'f.tif', 'g.tiff', 'h.bmp', 'notes.md', 'a.txt']) fs.writeFileSync(path.join(dir, n), '');
    const warnings = [];
    const images = await listImages(dir, (m) => warnings.push(m));
    assert.deepStrictEqual(images.map((f) => path.basename(f)), ['B.JPG', 'a.jpg', 'c.PNG', 'd.webp', 'e.jpeg']);
    // a.txt is the label beside a.jpg: not named
    assert.deepStrictEqual(warnings, [`5 of the 11 entries of ${dir} skipped (read are .jpg, .jpeg, .png and .webp files, not subfolders): f.tif, g.tiff, h.bmp, notes.md, sub/`]);
    const quiet = [];
    await listDataset(path.join(tmp, 'split', 'images', 'train2017'), (m) => quiet.push(m));
    assert.deepStrictEqual(quiet, [], 'a folder of images only: no warning');
    // a folder of images with its labels/ inside: that folder is read, not skipped
    fs.mkdirSync(path.join(dir, 'labels'));
    const withLabels = [];
    assert.strictEqual((await listDataset(dir, (m) => withLabels.push(m)))[0].label, path.join(dir, 'labels', 'B.txt'));
    assert.deepStrictEqual(withLabels, [`5 of the 12 entries of ${dir} skipped (read are .jpg, .jpeg, .png and .webp files, not subfolders): f.tif, g.tiff, h.bmp, notes.md, sub/`]);
  });

  it("passes over hidden files without a word: macOS's ._a.jpg failed eval as undecodable; a camera's .part file is being written", async () => {
    const dir = path.join(tmp, 'hidden');
    fs.mkdirSync(dir);
    for (const n of ['a.jpg', '._a.jpg', '.DS_Store', '.calib-000001.jpg.part']) fs.writeFileSync(path.join(dir, n), '');
    fs.mkdirSync(path.join(dir, '.thumbnails'));
    const warnings = [];
    assert.deepStrictEqual(await listImages(dir, (m) => warnings.push(m)), [path.join(dir, 'a.jpg')]);
    assert.deepStrictEqual(warnings, []);
  });

  it('a folder of thousands of skipped files warns in one line naming the first few', async () => {
    const dir = path.join(tmp, 'many');
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, 'x.jpg'), '');
    for (let i = 0; i < 3000; i++) fs.writeFileSync(path.join(dir, `${String(i).padStart(4, '0')}.tif`), '');
    const warnings = [];
    await listImages(dir, (m) => warnings.push(m));
    assert.strictEqual(warnings.length, 1);
    assert.match(warnings[0], /^3000 of the 3001 entries of .* skipped .*: 0000\.tif, 0001\.tif, 0002\.tif, 0003\.tif, 0004\.tif, and 2995 more$/);
  });

  it('a folder without images says what it holds: subfolders to give instead (images/ of train/ and val/), or the data.yaml', async () => {
    const root = path.join(tmp, 'ultra');
    for (const d of ['images/train', 'images/val', 'labels/val']) fs.mkdirSync(path.join(root, d), { recursive: true });
    fs.writeFileSync(path.join(root, 'images', 'val', 'a.jpg'), '');
    await assert.rejects(listDataset(root), (e) => e.code === 'NO_IMAGES' && e.message === `no JPEG, PNG or WebP images in ${path.join(root, 'images')} (it holds train/, val/; subfolders are not read: give one, e.g. ${path.join(root, 'images', 'val')}, or the dataset's data.yaml)`);
    const tifs = path.join(tmp, 'tifs');
    fs.mkdirSync(tifs);
    fs.writeFileSync(path.join(tifs, 'a.tif'), '');
    await assert.rejects(listImages(tifs), (e) => e.message === `no JPEG, PNG or WebP images in ${tifs} (it holds a.tif)`);
  });
});

describe('usable images of a dataset', () => {
  const { usableImages } = lib('tools/eval/usable-images');
  const { cocoImage } = require('./support/paths');
  const tmp = tmpDir('yolo-edge-usable-');
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('leaves out the images it cannot read or decode, in one warning naming the first three and how many more; a limit counts usable ones', async () => {
    const jpeg = fs.readFileSync(cocoImage('000000000009.jpg'));
    const files = {
      'a.jpg': jpeg,
      'b.jpg': jpeg.subarray(0, 4000), // truncated: its header reads, its last rows do not
      'c.png': Buffer.alloc(0),
      'd.jpg': jpeg,
      'e.webp': Buffer.from('GIF89a'),
      'f.jpg': Buffer.from('text'),
      'g.jpg': jpeg,
    };
    for (const [name, bytes] of Object.entries(files)) fs.writeFileSync(path.join(tmp, name), bytes);
    const items = Object.keys(files).map((n) => ({ image: path.join(tmp, n) }));
    const warnings = [];
    const held = [];
    const usable = await usableImages(items, tmp, { warn: (m) => warnings.push(m), onImage: (bytes, i) => held.push([i, bytes.length]) });
    assert.deepStrictEqual(usable.map((it) => path.basename(it.image)), ['a.jpg', 'd.jpg', 'g.jpg']);
    assert.deepStrictEqual(held, [[0, jpeg.length], [1, jpeg.length], [2, jpeg.length]]);
    assert.strictEqual(warnings.length, 1, warnings.join('\n'));
    const p = (n) => path.join(tmp, n);
    assert.strictEqual(warnings[0], `4 of 7 image(s) left out, as they cannot be read or decoded (as Ultralytics ignores a corrupt image): ${p('b.jpg')}: image could not be decoded: VipsJpeg: premature end of JPEG image; ${p('c.png')}: image is empty (0 bytes); ${p('e.webp')}: unsupported image format 'gif' (JPEG, PNG or WebP expected); and 1 more`);
    // the first two usable ones: what is checked stops there, and only what was checked is counted
    const two = [];
    const progress = [];
    assert.deepStrictEqual((await usableImages(items, tmp, { warn: (m) => two.push(m), limit: 2, progress: (...a) => progress.push(a) })).map((it) => path.basename(it.image)), ['a.jpg', 'd.jpg']);
    assert.match(two[0], /^2 of 4 image\(s\) left out/);
    assert.deepStrictEqual(progress, [[1, 2], [2, 3], [3, 4], [4, 4]], 'the images checked, of those still to check at most');
    // none usable: NO_IMAGES, saying why
    await assert.rejects(usableImages(items.slice(1, 3), tmp), (e) => e.code === 'NO_IMAGES' && e.message.startsWith(`no usable image in ${tmp}: 2 of 2 image(s) left out, as they cannot be read or decoded`) && e.message.includes('image is empty'));
    assert.deepStrictEqual(await usableImages([], tmp), []);
  });
});

describe('a dataset given by its Ultralytics data.yaml', () => {
  const { MAX_LISTED_IMAGES } = lib('tools/eval/data-yaml');
  const { listSplit, parseSplit } = lib('tools/eval/dataset');
  const { FIXTURES } = require('./support/paths');
  const tmp = tmpDir('yolo-edge-data-yaml-');
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));
  const photos = fs.readdirSync(FIXTURES).filter((f) => f.endsWith('.jpg')).sort();
  const write = (rel, text) => {
    fs.mkdirSync(path.dirname(path.join(tmp, rel)), { recursive: true });
    fs.writeFileSync(path.join(tmp, rel), text);
    return path.join(tmp, rel);
  };
  // ds/images/train: 3 photos, ds/images/val: 2 with labels, ds/extra: 1 named by a list file; the yaml one folder up
  before(() => {
    photos.forEach((f, i) => fs.mkdirSync(path.join(tmp, 'ds', 'images', i < 3 ? 'train' : 'val'), { recursive: true }));
    photos.forEach((f, i) => fs.copyFileSync(path.join(FIXTURES, f), path.join(tmp, 'ds', 'images', i < 3 ? 'train' : 'val', f)));
    for (const f of photos.slice(3)) write(`ds/labels/val/${f.replace('.jpg', '.txt')}`, '0 0.5 0.5 0.2 0.2\n');
    write(`ds/extra/${photos[0]}`, '');
    write('ds/extra.txt', `./extra/${photos[0]}\n./extra/notes.md\n`);
  });

  it('lists val by default, or the split named, each label where Ultralytics looks (the last images/ made labels/)', async () => {
    const yaml = write('conf/data.yaml', 'path: ../ds\ntrain: images/train\nval: [images/val, extra.txt]\nnames: [person]\n');
    const val = await listDataset(yaml);
    const ds = path.join(tmp, 'ds');
    assert.deepStrictEqual(val, [
      { image: path.join(ds, 'extra', photos[0]), label: path.join(ds, 'extra', photos[0].replace('.jpg', '.txt')) },
      ...photos.slice(3).map((f) => ({ image: path.join(ds, 'images', 'val', f), label: path.join(ds, 'labels', 'val', f.replace('.jpg', '.txt')) })),
    ]);
    assert.deepStrictEqual((await listDataset(yaml, undefined, 'train')).map((it) => it.image), photos.slice(0, 3).map((f) => path.join(ds, 'images', 'train', f)));
    // even and odd are halves of val; a split name is all of that split
    assert.deepStrictEqual(await listSplit(yaml, 'even'), [val[0], val[2]]);
    assert.deepStrictEqual(await listSplit(yaml, 'odd'), [val[1]]);
    assert.strictEqual((await listSplit(yaml, 'train')).length, 3);
    // the list file's line that is not an image is named, as a folder's stray files are
    const warnings = [];
    await listDataset(yaml, (m) => warnings.push(m));
    assert.deepStrictEqual(warnings, [`1 of the 2 lines of ${path.join(ds, 'extra.txt')} skipped (read are .jpg, .jpeg, .png and .webp files): ./extra/notes.md`]);
    assert.strictEqual(await hasLabels(yaml), true);
    assert.strictEqual(await hasLabels(yaml, 'train'), false);
    await requireLabelFiles(val, yaml);
    await assert.rejects(requireLabelFiles(await listDataset(yaml, undefined, 'train'), yaml), (e) => e.code === 'NO_LABELS' && e.message.includes(path.join(ds, 'labels', 'train', photos[0].replace('.jpg', '.txt'))));
  });

  it('lists what the folder gives for the same images: a yaml without path is read from its own folder', async () => {
    const flat = path.join(tmp, 'flat');
    fs.mkdirSync(path.join(flat, 'images'), { recursive: true });
    fs.mkdirSync(path.join(flat, 'labels'));
    for (const f of photos) fs.copyFileSync(path.join(FIXTURES, f), path.join(flat, 'images', f));
    const yaml = path.join(flat, 'coco.yml');
    fs.writeFileSync(yaml, 'train: images\nval: images\n');
    assert.deepStrictEqual(await listDataset(yaml), await listDataset(flat));
  });

  it('takes --split train, val or test as well as all, even and odd; a folder has no such split, a yaml may lack one', async () => {
    assert.deepStrictEqual(['all', 'even', 'odd', 'train', 'val', 'test'].map(parseSplit), ['all', 'even', 'odd', 'train', 'val', 'test']);
    assert.throws(() => parseSplit('validation'), (e) => e.code === 'BAD_SPLIT' && e.message === "--split must be all, even or odd, or train, val or test of a data.yaml, got 'validation'");
    await assert.rejects(listSplit(path.join(tmp, 'ds'), 'val'), (e) => e.code === 'BAD_SPLIT' && e.message.startsWith(`--split val names a split of a data.yaml, and ${path.join(tmp, 'ds')} is a folder`));
    const yaml = write('nosplit.yaml', 'path: ds\ntrain: images/train\nval: images/val\n');
    await assert.rejects(listSplit(yaml, 'test'), (e) => e.code === 'BAD_SPLIT' && e.message === `${yaml} has no test (it names train and val): give --split train or val`);
    // Ultralytics renames a validation key to val
    assert.strictEqual((await listDataset(write('validation.yaml', 'path: ds\nvalidation: images/val\n'))).length, 2);
  });

  it('refuses a hostile or broken yaml, saying what is wrong, without reading what it points at', async () => {
    const refused = async (name, text, want) => {
      const yaml = write(name, text);
      await assert.rejects(listDataset(yaml), (e) => e.code === 'NO_IMAGES' && e.message === want(yaml), name);
    };
    await refused('list.yaml', '- images/val\n', (y) => `${y} is not a data.yaml: it holds a list, not a mapping with path, train, val and names`);
    await refused('empty.yaml', '', (y) => `${y} is not a data.yaml: it is empty, not a mapping with path, train, val and names`);
    await refused('broken.yaml', 'val: [a\n', (y) => `${y} is not valid YAML: unexpected end of the stream within a flow collection (2:1)`);
    await refused('noval.yaml', 'path: ds\ntrain: images/train\n', (y) => `${y} has no val: Ultralytics' data.yaml names the validation images (a folder, a list file, or a list of them) under val`);
    await refused('nopath.yaml', 'path: nowhere\nval: images/val\n', (y) => `${y}: path nowhere: folder ${path.join(tmp, 'nowhere')} does not exist (a relative path is taken from the folder of nopath.yaml; give the full path if it is elsewhere)`);
    await refused('noentry.yaml', 'path: ds\nval: [images/val, images/gone]\n', (y) => `${y}: the val ${path.join(tmp, 'ds', 'images', 'gone')} does not exist`);
    await refused('number.yaml', 'path: ds\nval: [images/val, 7]\n', (y) => `${y}: val entry 2 is the number 7, not a folder or list file path`);
    await refused('big.yaml', `val: images/val\n#${'x'.repeat(1 << 20)}\n`, (y) => `${y} is over 1 MB: no data.yaml is that large`);
    await assert.rejects(listDataset(path.join(tmp, 'missing.yaml')), (e) => e.code === 'NO_IMAGES' && e.message === `${path.join(tmp, 'missing.yaml')} does not exist`);
    // aliases nest to 9^12 paths when walked: refused by what each value is, none walked or printed
    const bomb = ['a: &a [x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 12; i++) bomb.push(`${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(9).fill(`*${String.fromCharCode(96 + i)}`).join(', ')}]`);
    await refused('bomb-path.yaml', `${bomb.join('\n')}\npath: *l\nval: *l\n`, (y) => `${y}: path is a list, not a folder`);
    await refused('bomb-val.yaml', `${bomb.join('\n')}\nval: *l\nnames: *l\n`, (y) => `${y}: val entry 1 is a list, not a folder or list file path`);
  });

  it('refuses a list file of more lines than it reads (10 million) before splitting it into paths', async () => {
    const list = write('huge/val.txt', './a.jpg\n'.repeat(10_000_000).slice(0, 60_000_000));
    const yaml = write('huge/data.yaml', 'val: val.txt\n');
    await assert.rejects(listDataset(yaml), (e) => e.code === 'NO_IMAGES' && e.message === `${list} lists over ${MAX_LISTED_IMAGES} images, more than this tool reads: is it a list of image paths?`);
    fs.rmSync(path.join(tmp, 'huge'), { recursive: true });
  });
});
