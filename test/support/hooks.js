'use strict';
// Root hooks: after the whole run, one line per suite or test skipped because ../shared was missing.
const { COCO128, skippedForDataset } = require('./paths');

exports.mochaHooks = {
  afterAll() {
    if (skippedForDataset.length === 0) return;
    console.log(`\n  skipped for want of ${COCO128} (${skippedForDataset.length}):`);
    for (const t of [...new Set(skippedForDataset)]) console.log(`    - ${t}`);
  },
};
