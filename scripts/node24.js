#!/usr/bin/env node
'use strict';
// A pinned Node.js 24 (the one Node-RED 5 recommends), whatever node the machine has. As a command:
//   node scripts/node24.js <script.js> [args...]
// runs the script with it; as a module, ensureNode24() returns its path and supportsNodeRed5() says whether the
// current node can run Node-RED 5 itself.
// The build comes from the npm registry (node-linux-<arch>), unpacked once into the gitignored .cache/.
// Its bin/ goes first on PATH, so child `node` and `npm` calls get the same Node.
const fs = require('fs');
const os = require('os');
const path = require('path');
const { spawn, spawnSync } = require('child_process');

const VERSION = '24.22.3';
const root = path.resolve(__dirname, '..');
const pkg = `node-${process.platform}-${process.arch}`;
const home = path.join(root, '.cache', `${pkg}-${VERSION}`);
const bin = path.join(home, 'package', 'bin');
const node = path.join(bin, 'node');

function fail(message) {
  console.error(`node24: ${message}`);
  process.exit(1);
}

function ensureNode24() {
  if (fs.existsSync(node)) return node;
  fs.mkdirSync(home, { recursive: true });
  console.error(`node24: fetching ${pkg}@${VERSION} from the npm registry into ${path.relative(root, home)}/`);
  // The npm of this Node (lib/model/npm-command): callers build dist/ first.
  const { cmd, args: pre } = require('../dist/lib/model/npm-command').npmCommand();
  const packed = spawnSync(cmd, [...pre, 'pack', `${pkg}@${VERSION}`, '--silent', '--pack-destination', home], { cwd: home, encoding: 'utf8' });
  if (packed.status !== 0) fail(`npm pack ${pkg}@${VERSION} failed: ${(packed.stderr || '').trim().slice(-400)}`);
  const tarball = path.join(home, packed.stdout.trim().split(/\r?\n/).pop());
  const untar = spawnSync('tar', ['-xzf', tarball, '-C', home], { encoding: 'utf8' });
  if (untar.status !== 0) fail(`could not unpack ${tarball}: ${untar.stderr.trim()}`);
  fs.rmSync(tarball, { force: true });
  if (!fs.existsSync(node)) fail(`${node} missing after unpacking`);
  return node;
}

/** Node-RED 5 needs Node.js >= 22.9. */
function supportsNodeRed5(version = process.versions.node) {
  const [major, minor] = version.split('.').map(Number);
  return major > 22 || (major === 22 && minor >= 9);
}

/** PATH with the pinned node's bin/ first, so child `node` calls get the same Node. */
function envWithNode24(env = process.env) {
  return { ...env, PATH: `${bin}${path.delimiter}${env.PATH || ''}` };
}

module.exports = { ensureNode24, supportsNodeRed5, envWithNode24 };
if (require.main !== module) return;

if (process.argv.length < 3) fail('usage: node scripts/node24.js <script.js> [args...]');
// spawn, not spawnSync: a `kill` of this process must reach the child, or it runs on without a parent
const child = spawn(ensureNode24(), process.argv.slice(2), { stdio: 'inherit', env: envWithNode24() });
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(sig, () => child.kill(sig));
child.on('error', (err) => fail(err.message));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 128 + os.constants.signals[signal] : 1)));
