'use strict';
// When installed from the registry (dist/ shipped), fetch the default model if it is missing: a head start only,
// since a yolo-model node fetches it on first use when install scripts are blocked (npm 12, palette manager).
// In a git checkout dist/ does not exist yet: `prepare` builds and fetches instead.
const fs = require('fs');
const path = require('path');
const { spawnSync } = require('child_process');

const cli = path.join(__dirname, '..', 'dist', 'cli', 'main.js');
if (!fs.existsSync(cli)) process.exit(0);
const r = spawnSync(process.execPath, [cli, 'fetch-model', '--if-missing'], { stdio: 'inherit' });
if (r.status !== 0) {
  console.warn('yolo-edge: the default model could not be fetched now; the yolo-model node fetches it on first use, or run `cd ~/.node-red && npx yolo-edge fetch-model`.');
}
