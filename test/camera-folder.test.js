'use strict';
// The folder reader over hostile folders: broken files warn once each and a pass without a frame is an error.
const assert = require('assert');
const fs = require('fs');
const path = require('path');
const { lib, cocoImage } = require('./support/paths');
const fx = require('./support/fixtures');
const { FolderReader } = lib('camera/folder-source');

describe('folder camera reader', () => {
  let dir;
  beforeEach(() => { dir = fx.tmpDir('yolo-edge-folder-'); });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('looping over broken JPEGs warns once per file and fails each pass instead of spinning', async () => {
    for (const n of ['a.jpg', 'b.jpg', 'c.jpg']) fs.writeFileSync(path.join(dir, n), 'not a jpeg at all');
    const old = new Date(Date.now() - 60000);
    for (const n of ['a.jpg', 'b.jpg', 'c.jpg']) fs.utimesSync(path.join(dir, n), old, old);
    const warnings = [];
    const r = new FolderReader(dir, { loop: true, watch: false, maxFrameBytes: 1e6 }, (m) => warnings.push(m));
    for (let pass = 0; pass < 5; pass++) {
      await assert.rejects(r.next(), (e) => e.code === 'NO_FRAME' && /no readable JPEG in .*: 3 file\(s\) skipped/.test(e.message));
    }
    assert.deepStrictEqual(warnings, ['skipped a.jpg: not a whole JPEG', 'skipped b.jpg: not a whole JPEG', 'skipped c.jpg: not a whole JPEG']);
  });

  it('a folder whose only file is oversize fails the pass too; a symlinked JPEG is read', async () => {
    fs.writeFileSync(path.join(dir, 'big.jpg'), Buffer.alloc(2000));
    const r = new FolderReader(dir, { loop: true, watch: false, maxFrameBytes: 1000 }, () => {});
    await assert.rejects(r.next(), (e) => e.code === 'NO_FRAME');
    fs.symlinkSync(cocoImage('000000000034.jpg'), path.join(dir, 'zebra.jpg'));
    const old = new Date(Date.now() - 60000); // settled: not a file still being written
    fs.utimesSync(path.join(dir, 'big.jpg'), old, old);
    const got = await new FolderReader(dir, { loop: false, watch: false, maxFrameBytes: 1e6 }, () => {}).next();
    assert.strictEqual(got.origin, 'zebra.jpg');
    assert.ok(got.jpeg.equals(fs.readFileSync(cocoImage('000000000034.jpg'))));
  });
});
