'use strict';
// Every node set of package.json ships en-US and zh-CN catalogs with the same keys, help in both languages,
// and its editor file uses only keys that exist.
const assert = require('assert');
const fs = require('fs');
const path = require('path');
const { ROOT } = require('./support/paths');
const { loadEditorDefs } = require('./support/editor-defs');

const PKG = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
const LANGS = ['en-US', 'zh-CN'];
const sets = Object.keys(PKG['node-red'].nodes);
const nodesDir = path.join(ROOT, 'nodes');

function keys(obj, prefix = '') {
  return Object.entries(obj).flatMap(([k, v]) => (v && typeof v === 'object' ? keys(v, `${prefix}${k}.`) : [`${prefix}${k}`]));
}

const catalog = (lang, set) => JSON.parse(fs.readFileSync(path.join(nodesDir, 'locales', lang, `${set}.json`), 'utf8'));

describe('editor catalogs and help (every node set, en-US and zh-CN)', () => {
  for (const set of sets) {
    it(`${set}: catalogs with the same keys, every key the editor uses exists`, () => {
      const [en, zh] = LANGS.map((l) => keys(catalog(l, set)).sort());
      assert.deepStrictEqual(zh, en, `${set}: zh-CN and en-US catalogs differ`);
      const html = fs.readFileSync(path.join(nodesDir, `${set}.html`), 'utf8');
      const used = [
        ...[...html.matchAll(/data-i18n="([^"]+)"/g)].flatMap((m) => m[1].split(';').map((k) => k.replace(/^\[[^\]]+\]/, ''))),
        ...[...html.matchAll(/\bt\('([\w.-]+)'/g)].map((m) => `${set}.${m[1]}`),
      ];
      assert.ok(used.length > 0, `${set}.html uses no catalog keys`);
      // t('group.' + name) is a dynamic key: the group must exist.
      for (const k of used) assert.ok(k.endsWith('.') ? en.some((e) => e.startsWith(k)) : en.includes(k), `${set}.html uses '${k}', not in the catalog`);
      assert.ok(!/data-help-name=/.test(html), `${set}.html: help belongs in locales/<lang>/${set}.html`);
    });

    // Node-RED's catalogs give a plural as key_plural ("__count__ node", "__count__ nodes"): without one a single
    // class read "1 classes".
    it(`${set}: every text given a count has a plural form in both catalogs`, () => {
      const html = fs.readFileSync(path.join(nodesDir, `${set}.html`), 'utf8');
      const counted = [...html.matchAll(/\bt\('([\w.-]+)',\s*\{[^}]*\bcount:/g)].map((m) => m[1]);
      for (const lang of LANGS) {
        const have = keys(catalog(lang, set));
        for (const k of counted) assert.ok(have.includes(`${set}.${k}_plural`), `${lang} ${set}: '${k}' is given a count but has no '${k}_plural'`);
      }
    });

    // A port without a label shows nothing when hovered, while the package's other nodes name what goes in and out.
    it(`${set}: every input and output port of its nodes has a label from the catalogs`, () => {
      const en = catalog('en-US', set);
      for (const [type, def] of Object.entries(loadEditorDefs(set))) {
        const ports = [...Array(def.inputs || 0).keys()].map((i) => ['inputLabels', i]).concat([...Array(def.outputs || 0).keys()].map((i) => ['outputLabels', i]));
        for (const [kind, i] of ports) {
          const labels = def[kind];
          const key = typeof labels === 'function' ? labels.call(def.defaults, i) : labels?.[i];
          assert.ok(typeof key === 'string' && key.startsWith(`node-red-contrib-yolo-edge/${set}:`), `${type} ${kind}[${i}]: ${key}`);
          const text = key.slice(key.indexOf(':') + 1).split('.').reduce((o, k) => o?.[k], en);
          assert.ok(typeof text === 'string' && text.trim(), `${type} ${kind}[${i}]: '${key}' not in the en-US catalog`);
        }
      }
    });

    it(`${set}: help in en-US and zh-CN with the same sections`, () => {
      const sections = LANGS.map((l) => {
        const file = path.join(nodesDir, 'locales', l, `${set}.html`);
        const help = fs.readFileSync(file, 'utf8');
        assert.match(help, /data-help-name="[\w-]+"/, file);
        assert.match(help, /^\s*<script[^>]*>\s*<p>[^<]+/, `${file}: the first paragraph is the palette tooltip`);
        return (help.match(/<h3>/g) || []).length;
      });
      assert.ok(sections[0] >= 2, 'at least Details and References');
      assert.strictEqual(sections[1], sections[0], 'zh-CN help has the same sections as en-US');
    });
  }
});
