'use strict';
// Copies the editor files (.html) and message catalogs of the nodes next to their compiled .js files.
const fs = require('fs');
const path = require('path');

const root = path.resolve(__dirname, '..');
const src = path.join(root, 'nodes');
const dst = path.join(root, 'dist', 'nodes');

function copyTree(from, to) {
  fs.mkdirSync(to, { recursive: true });
  for (const entry of fs.readdirSync(from, { withFileTypes: true })) {
    const a = path.join(from, entry.name);
    const b = path.join(to, entry.name);
    if (entry.isDirectory()) copyTree(a, b);
    else if (!entry.name.endsWith('.ts')) fs.copyFileSync(a, b);
  }
}

copyTree(src, dst);
// Node-RED looks for a package's icons only in an icons/ folder beside the node files.
if (fs.existsSync(path.join(root, 'icons'))) copyTree(path.join(root, 'icons'), path.join(dst, 'icons'));
const cli = path.join(root, 'dist', 'cli', 'main.js');
if (fs.existsSync(cli)) fs.chmodSync(cli, 0o755);
