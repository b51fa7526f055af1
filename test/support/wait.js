'use strict';
// The one way tests wait for something that happens asynchronously: poll for it, never sleep a guessed time.

/**
 * Resolves with the first truthy value `test()` returns (it may return a promise), polled every 10 ms; rejects
 * naming `what` once `ms` have passed without one.
 */
async function until(test, what, ms = 60000) {
  const start = Date.now();
  for (;;) {
    const v = await test();
    if (v) return v;
    if (Date.now() - start > ms) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

module.exports = { until };
