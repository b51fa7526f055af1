'use strict';
// One error type and a closed set of codes: the README table and the help texts name only codes that exist, the
// README names all of them, and a Catch node sees the code of a failed message.
const assert = require('assert');
const fs = require('fs');
const path = require('path');
const helper = require('node-red-node-test-helper');
const { DIST, ROOT, requireModel, lib } = require('./support/paths');

const { ERROR_CODES, YoloEdgeError, isErrorCode } = lib('errors');
const { parseTemperatureConfig } = lib('temperature/config');
const { parseControl } = lib('pipeline/control');

helper.init(require.resolve('node-red'));

describe('error codes', function () {
  this.timeout(60000);

  it('the README table lists exactly the codes of lib/errors.ts, with the same meanings', () => {
    const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('## Error codes'), readme.indexOf('## Example flows'));
    const rows = [...section.matchAll(/^\| `([A-Z_0-9]+)` \| (.*) \|$/gm)];
    assert.deepStrictEqual(rows.map((m) => m[1]), Object.keys(ERROR_CODES));
    // the BUSY row said more than lib/errors.ts (the byte limit): one wording, kept in lib/errors.ts
    for (const [, code, meaning] of rows) assert.strictEqual(meaning, ERROR_CODES[code], `README's meaning of ${code}`);
  });

  it('every code is raised somewhere in the sources (no dead codes)', () => {
    const sources = [];
    const walk = (d) => fs.readdirSync(d, { withFileTypes: true }).forEach((e) => (e.isDirectory() ? walk(path.join(d, e.name)) : e.name.endsWith('.ts') && sources.push(fs.readFileSync(path.join(d, e.name), 'utf8'))));
    ['lib', 'nodes', 'cli'].forEach((d) => walk(path.join(ROOT, d)));
    const all = sources.join('\n').replace(/export const ERROR_CODES = \{[\s\S]*?\} as const;/, '');
    for (const code of Object.keys(ERROR_CODES)) assert.ok(all.includes(`'${code}'`), `${code} is never raised`);
  });

  it('every code the help texts list under Errors exists', () => {
    const dir = path.join(ROOT, 'nodes', 'locales');
    for (const lang of fs.readdirSync(dir)) {
      for (const f of fs.readdirSync(path.join(dir, lang)).filter((n) => n.endsWith('.html'))) {
        const html = fs.readFileSync(path.join(dir, lang, f), 'utf8');
        const at = html.search(/<h3>(Errors|错误)<\/h3>/);
        if (at < 0) continue;
        const section = html.slice(at, html.indexOf('<h3>', at + 4));
        for (const [, code] of section.matchAll(/<code>([A-Z][A-Z_0-9]{2,})<\/code>/g)) {
          assert.ok(isErrorCode(code), `${lang}/${f} names ${code}, which is not in lib/errors.ts`);
        }
      }
    }
  });

  it('the help texts list the same codes in every language, and the shadow test every code of the detect node', () => {
    const dir = path.join(ROOT, 'nodes', 'locales');
    const codes = (lang, node) => {
      const html = fs.readFileSync(path.join(dir, lang, `${node}.html`), 'utf8');
      const at = html.search(/<h3>(Errors|错误)<\/h3>/);
      const section = html.slice(at, html.indexOf('<h3>', at + 4));
      return [...section.matchAll(/<code>([A-Z][A-Z_0-9]{2,})<\/code>/g)].map((m) => m[1]);
    };
    for (const node of ['yolov8-detect', 'yolo-shadow-test', 'yolo-camera']) {
      assert.deepStrictEqual(codes('zh-CN', node), codes('en-US', node), `${node}: zh-CN lists other codes than en-US`);
    }
    // the shadow test runs its frames through the same models and image path as the detect node
    for (const lang of ['en-US', 'zh-CN']) {
      const shadow = codes(lang, 'yolo-shadow-test');
      const missing = codes(lang, 'yolov8-detect').filter((c) => !shadow.includes(c));
      assert.deepStrictEqual(missing, [], `${lang}/yolo-shadow-test.html leaves out codes its frames can fail with`);
    }
  });

  it('configuration errors of the temperature node and the rate gate carry codes too', () => {
    assert.throws(() => parseTemperatureConfig({ interval: 'abc' }), (e) => e instanceof YoloEdgeError && e.code === 'BAD_CONFIG');
    for (const bad of [{ maxFps: -1 }, { maxFps: 'fast' }, { pause: 'yes' }]) {
      assert.throws(() => parseControl(bad), (e) => e instanceof YoloEdgeError && e.code === 'BAD_PAYLOAD', JSON.stringify(bad));
    }
    assert.deepStrictEqual(parseControl({ maxFps: null, pause: false }), { maxFps: 0, pause: false });
    // a misspelt key is a bad control payload, not an image; images sent on the topic are still frames
    assert.throws(() => parseControl({ maxfps: 5 }), (e) => e.code === 'BAD_PAYLOAD' && /sets maxFps or pause; got an object with maxfps/.test(e.message));
    const raw = { data: new Uint8Array(12), width: 2, height: 2, channels: 3 };
    assert.deepStrictEqual([parseControl(raw), parseControl(Buffer.from('jpeg')), parseControl('a/path.jpg')], [undefined, undefined, undefined]);
    assert.throws(() => parseControl({ maxFps: [2] }), /maxFps must be a number >= 0, got an array of 1$/);
    // JSON text (an MQTT input that does not parse it) was taken as an image path: "not a readable image file"
    assert.throws(() => parseControl(' {"maxFps": 2}'), (e) => e.code === 'BAD_PAYLOAD' &&
      e.message === 'a yolo-edge/control payload is an object {maxFps, pause}, got JSON text " {\\"maxFps\\": 2}": parse it first (a json node)');
  });

  describe('in a flow', () => {
    beforeEach((done) => { helper.startServer(done); });
    afterEach(async () => {
      await helper.unload();
      await new Promise((r) => { helper.stopServer(r); });
    });

    it('a Catch node gets msg.error.code of a message the detect node failed', async () => {
      requireModel();
      const catchNode = require(require.resolve('@node-red/nodes/core/common/25-catch.js', { paths: [path.dirname(require.resolve('node-red'))] }));
      const nodes = [require(path.join(DIST, 'nodes', 'yolo-model.js')), require(path.join(DIST, 'nodes', 'yolov8-detect.js')), catchNode];
      await helper.load(nodes, [
        { id: 'tab', type: 'tab' },
        { id: 'm1', type: 'yolo-model', model: 'yolov8n.onnx', threads: 1 },
        { id: 'd1', type: 'yolov8-detect', z: 'tab', model: 'm1', wires: [[]] },
        { id: 'c1', type: 'catch', z: 'tab', scope: null, uncaught: false, wires: [['out']] },
        { id: 'out', type: 'helper', z: 'tab' },
      ]);
      const caught = new Promise((resolve) => helper.getNode('out').on('input', resolve));
      helper.getNode('d1').receive({ payload: Buffer.from('not an image') });
      const msg = await caught;
      assert.strictEqual(msg.error.code, 'BAD_IMAGE', JSON.stringify(msg.error));
      assert.ok(isErrorCode(msg.error.code));
    });
  });
});
