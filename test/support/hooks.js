'use strict';
// Root hooks: after the whole run, one line per suite or test skipped because ../shared was missing.
const { COCO128, skippedForDataset } = require('./paths');

exports.mochaHooks = {
  afterAll() {
    const titles = [...new Set(skippedForDataset)];
    if (titles.length === 0) return;
    console.log(`\n  skipped for want of ${COCO128} (tests in ${titles.length} suites):`);
    for (const t of titles) console.log(`    - ${t}`);
  },
};
