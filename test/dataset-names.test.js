'use strict';
// A dataset's own class names (data.yaml, classes.txt, obj.names) checked against the model's before eval scores it.
const assert = require('assert');
const fs = require('fs');
const path = require('path');
const { execFile } = require('child_process');
const { lib, DIST, FIXTURES, requireModel } = require('./support/paths');
const { tmpDir } = require('./support/fixtures');

const { findDatasetNames, datasetNamesWarning } = lib('tools/eval/dataset-names');
const COCO_START = ['person', 'bicycle', 'car', 'motorcycle'];

describe('dataset class names', () => {
  const tmp = tmpDir('yolo-edge-names-');
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));
  let n = 0;
  /** A dataset root with images/val and the given files (path relative to the root -> text). */
  const dataset = (files) => {
    const root = path.join(tmp, `ds${n++}`);
    fs.mkdirSync(path.join(root, 'images', 'val'), { recursive: true });
    for (const [name, text] of Object.entries(files)) {
      fs.mkdirSync(path.dirname(path.join(root, name)), { recursive: true });
      fs.writeFileSync(path.join(root, name), text);
    }
    return root;
  };

  it("reads data.yaml's names as a map or a list, classes.txt and labels/classes.txt, from the root above images/", async () => {
    const map = dataset({ 'data.yaml': 'path: .\nval: images/val\nnames:\n  0: person\n  1: bicycle\n  3: motorcycle\n' });
    assert.deepStrictEqual(await findDatasetNames(path.join(map, 'images', 'val')), { file: path.join(map, 'data.yaml'), names: ['person', 'bicycle', undefined, 'motorcycle'] });
    const list = dataset({ 'data.yaml': "names: ['person', bicycle, 2]\n" });
    assert.deepStrictEqual((await findDatasetNames(list)).names, ['person', 'bicycle', '2']);
    const txt = dataset({ 'classes.txt': 'person\r\nbicycle\r\n\r\n' });
    assert.deepStrictEqual((await findDatasetNames(path.join(txt, 'images'))).names, ['person', 'bicycle']);
    const labelImg = dataset({ 'labels/classes.txt': 'person\n' });
    assert.deepStrictEqual((await findDatasetNames(labelImg)).names, ['person']);
    assert.strictEqual(await findDatasetNames(dataset({})), undefined);
  });

  it('a dataset given by its data.yaml is checked against that file, whatever its name and wherever it is', async () => {
    const root = dataset({ 'data.yaml': 'names: [person, bicycle]\n', 'conf/coco-swapped.yml': 'path: ..\nval: images/val\nnames:\n  0: car\n  2: person\n' });
    const yaml = path.join(root, 'conf', 'coco-swapped.yml');
    assert.deepStrictEqual(await findDatasetNames(yaml), { file: yaml, names: ['car', undefined, 'person'] });
    assert.match(await datasetNamesWarning(yaml, COCO_START), /coco-swapped\.yml names the classes otherwise than the model \(3 classes there, 4 in the model\): class 0 is "car" there and "person" in the model; class 2 is "person" there and "car" in the model/);
    // its names, not those of a data.yaml beside the images
    assert.strictEqual(await datasetNamesWarning(path.join(root, 'data.yaml'), COCO_START), undefined);
  });

  it('warns when a class id is named otherwise, naming the file and the first ids that differ', async () => {
    const swapped = dataset({ 'data.yaml': 'names:\n  0: car\n  1: bicycle\n  2: person\n' });
    const w = await datasetNamesWarning(path.join(swapped, 'images', 'val'), COCO_START);
    assert.ok(w.includes(path.join(swapped, 'data.yaml')), w);
    assert.match(w, /class 0 is "car" there and "person" in the model; class 2 is "person" there and "car" in the model/);
    assert.match(w, /matched to detections by class id/);
  });

  it('is quiet when the names agree (case and spaces aside) or one list is only longer', async () => {
    assert.strictEqual(await datasetNamesWarning(dataset({ 'classes.txt': ' Person\nbicycle\n' }), COCO_START), undefined);
    assert.strictEqual(await datasetNamesWarning(dataset({ 'classes.txt': 'person\nbicycle\ncar\nmotorcycle\nairplane\n' }), COCO_START), undefined);
    assert.strictEqual(await datasetNamesWarning(dataset({}), COCO_START), undefined);
  });

  it('says a names file it cannot read was not checked, instead of failing the run', async () => {
    const broken = await datasetNamesWarning(dataset({ 'data.yaml': 'names: [a, b\n' }), COCO_START);
    assert.match(broken, /class names of .*data\.yaml were not read \(.*\): .* unchecked/);
    assert.ok(!broken.includes('\n'), 'one line');
    assert.match(await datasetNamesWarning(dataset({ 'data.yaml': 'names:\n  cat: 1\n' }), COCO_START), /key "cat", not a class id/);
    assert.match(await datasetNamesWarning(dataset({ 'data.yaml': 'train: a\n' }), COCO_START), /no names/);
    assert.match(await datasetNamesWarning(dataset({ 'classes.txt': 'x'.repeat(2 << 20) }), COCO_START), /over 1 MB/);
    // a folder where the file would be is not a names file
    assert.strictEqual(await datasetNamesWarning(dataset({ 'data.yaml/x': '' }), COCO_START), undefined);
  });

  it('eval prints the warning and still measures', async function () {
    this.timeout(300000);
    requireModel();
    const root = dataset({ 'data.yaml': 'names:\n  0: car\n  1: bicycle\n  2: person\n' });
    for (const f of fs.readdirSync(FIXTURES).filter((f) => f.endsWith('.jpg')).slice(0, 2)) {
      fs.copyFileSync(path.join(FIXTURES, f), path.join(root, 'images', 'val', f));
      fs.mkdirSync(path.join(root, 'labels', 'val'), { recursive: true });
      fs.writeFileSync(path.join(root, 'labels', 'val', f.replace('.jpg', '.txt')), '0 0.5 0.5 0.4 0.4\n');
    }
    const r = await new Promise((resolve) => {
      execFile(process.execPath, [path.join(DIST, 'cli', 'main.js'), 'eval', '--threads', '1', '--data', path.join(root, 'images', 'val')], (error, stdout, stderr) => resolve({ code: error ? error.code : 0, stdout, stderr }));
    });
    assert.strictEqual(r.code, 0, r.stderr);
    assert.match(r.stderr, /data\.yaml names the classes otherwise than the model .*class 0 is "car" there and "person" in the model/);
    assert.match(r.stdout, /mAP50 \d/);
  });
});
