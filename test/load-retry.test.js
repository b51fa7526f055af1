'use strict';
const assert = require('assert');
const fs = require('fs');
const path = require('path');
const fx = require('./support/fixtures');
const { lib } = require('./support/paths');
const { LoadRetry, RETRY_MIN_MS, RETRY_MAX_MS } = lib('runtime/load-retry');

describe('LoadRetry: when a failed model load is tried again', () => {
  let t;
  let retry;
  let file;
  beforeEach(() => {
    t = 0;
    retry = new LoadRetry(() => t);
    file = path.join(fx.tmpDir(), 'model.onnx');
  });

  it('holds the error for a wait that doubles while tries keep failing, up to its cap, and forgets it on success', async () => {
    const err = new Error('refused');
    const waits = [];
    for (let i = 0; i < 6; i++) {
      retry.failed(err, file, await retry.identity(file));
      const start = t;
      while ((await retry.held(file)) === err) t += 100;
      waits.push(t - start);
    }
    assert.deepStrictEqual(waits, [1, 2, 4, 8, 10, 10].map((s) => s * 1000));
    assert.deepStrictEqual([RETRY_MIN_MS, RETRY_MAX_MS], [1000, 10000]);
    retry.succeeded();
    retry.failed(err, file, undefined);
    t += RETRY_MIN_MS - 1;
    assert.strictEqual(await retry.held(file), err, 'after a success the wait starts again from the shortest');
  });

  it('lets a try through at once when the file appeared or changed, or another file is asked for', async () => {
    const err = new Error('missing');
    retry.failed(err, file, await retry.identity(file));
    assert.strictEqual(await retry.held(file), err);
    assert.strictEqual(await retry.held(`${file}.other`), undefined);
    fs.writeFileSync(file, 'a');
    assert.strictEqual(await retry.held(file), undefined, 'the file appeared');
    retry.failed(err, file, await retry.identity(file));
    assert.strictEqual(await retry.held(file), err);
    fs.writeFileSync(file, 'a longer file');
    assert.strictEqual(await retry.held(file), undefined, 'the file was replaced');
  });
});
