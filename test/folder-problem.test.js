'use strict';
// The one wording of a folder that cannot be used (lib/folder-problem.ts), on real folders, files and paths: what
// the folder camera, eval's and quantize's image folders, quantize's output folder and fetch-model --dir all say.
const assert = require('assert');
const fs = require('fs');
const path = require('path');
const { lib } = require('./support/paths');
const fx = require('./support/fixtures');

const { checkFolder, errnoProblem, folderProblemText, readdirProblem } = lib('folder-problem');

/** The error readdir gives for `dir` (it must fail). */
function readdirError(dir) {
  try {
    fs.readdirSync(dir);
  } catch (e) {
    return e;
  }
  throw new Error(`readdir ${dir} did not fail`);
}

const isRoot = () => process.getuid?.() === 0;

describe('folder problems in words', () => {
  let dir;
  beforeEach(() => { dir = fx.tmpDir('yolo-edge-folder-problem-'); });
  afterEach(() => {
    fs.chmodSync(dir, 0o755);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('has one sentence for each case', () => {
    assert.deepStrictEqual(
      ['missing', 'file', 'file-in-path', 'permission', 'not-writable', 'other'].map((kind) => folderProblemText('/d', kind, 'EACCES')),
      [
        'folder /d does not exist',
        '/d is a file, not a folder',
        '/d cannot be a folder: a part of its path is a file',
        'folder /d cannot be opened: permission denied (EACCES)',
        'folder /d is not writable (EACCES)',
        'folder /d cannot be opened (EACCES)',
      ],
    );
  });

  it('a folder that is there and writable has no problem', async () => {
    assert.strictEqual(await checkFolder(dir), undefined);
    assert.strictEqual(await checkFolder(dir, { writable: true }), undefined);
  });

  it('a missing folder does not exist, from stat and from readdir', async () => {
    const missing = path.join(dir, 'no such folder');
    const want = { kind: 'missing', text: `folder ${missing} does not exist` };
    const checked = await checkFolder(missing, { writable: true });
    assert.deepStrictEqual({ kind: checked.kind, text: checked.text }, want);
    assert.strictEqual(checked.cause.code, 'ENOENT');
    const listed = await readdirProblem(missing, readdirError(missing));
    assert.deepStrictEqual({ kind: listed.kind, text: listed.text }, want);
  });

  it('a file in the folder\'s place is a file, not a folder (readdir says only ENOTDIR)', async () => {
    const file = path.join(dir, 'a.jpg');
    fs.writeFileSync(file, 'x');
    const want = { kind: 'file', text: `${file} is a file, not a folder` };
    const checked = await checkFolder(file);
    assert.deepStrictEqual(checked, want);
    const err = readdirError(file);
    assert.strictEqual(err.code, 'ENOTDIR');
    const listed = await readdirProblem(file, err);
    assert.deepStrictEqual({ kind: listed.kind, text: listed.text }, want);
    assert.strictEqual(listed.cause, err);
  });

  it('a file in the folder\'s path (ENOTDIR) says that no folder can be there', async () => {
    const file = path.join(dir, 'a file');
    fs.writeFileSync(file, 'x');
    const below = path.join(file, 'models', 'more');
    const want = { kind: 'file-in-path', text: `${below} cannot be a folder: a part of its path is a file` };
    const checked = await checkFolder(below, { writable: true });
    assert.deepStrictEqual({ kind: checked.kind, text: checked.text }, want);
    assert.strictEqual(checked.cause.code, 'ENOTDIR');
    const listed = await readdirProblem(below, readdirError(below));
    assert.deepStrictEqual({ kind: listed.kind, text: listed.text }, want);
    assert.deepStrictEqual(errnoProblem(below, readdirError(below)).text, want.text);
  });

  it('anything else names the errno code (a symlink loop: ELOOP)', async () => {
    const loop = path.join(dir, 'loop');
    fs.symlinkSync(path.join(dir, 'back'), loop);
    fs.symlinkSync(loop, path.join(dir, 'back'));
    const checked = await checkFolder(loop);
    assert.deepStrictEqual({ kind: checked.kind, text: checked.text }, { kind: 'other', text: `folder ${loop} cannot be opened (ELOOP)` });
    const listed = await readdirProblem(loop, readdirError(loop));
    assert.strictEqual(listed.text, `folder ${loop} cannot be opened (ELOOP)`);
  });

  it('permission denied names the errno (EACCES, EPERM)', () => {
    for (const code of ['EACCES', 'EPERM']) {
      const err = Object.assign(new Error(`${code}: operation not permitted`), { code });
      assert.deepStrictEqual(errnoProblem('/d', err), { kind: 'permission', text: `folder /d cannot be opened: permission denied (${code})`, cause: err });
    }
  });

  it('a folder the user may not read is permission denied, from readdir and from stat below it (not as root)', async function () {
    if (isRoot()) this.skip(); // root reads every folder
    fs.chmodSync(dir, 0o000);
    const listed = await readdirProblem(dir, readdirError(dir));
    assert.deepStrictEqual({ kind: listed.kind, text: listed.text }, { kind: 'permission', text: `folder ${dir} cannot be opened: permission denied (EACCES)` });
    const below = path.join(dir, 'out');
    const checked = await checkFolder(below, { writable: true });
    assert.strictEqual(checked.text, `folder ${below} cannot be opened: permission denied (EACCES)`);
  });

  it('a folder the user may read but not write is not writable, only when writing is asked (not as root)', async function () {
    if (isRoot()) this.skip(); // root writes into every folder
    fs.chmodSync(dir, 0o555);
    assert.strictEqual(await checkFolder(dir), undefined);
    const checked = await checkFolder(dir, { writable: true });
    assert.deepStrictEqual({ kind: checked.kind, text: checked.text }, { kind: 'not-writable', text: `folder ${dir} is not writable (EACCES)` });
  });
});
