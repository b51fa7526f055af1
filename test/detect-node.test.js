'use strict';
const assert = require('assert');
const fs = require('fs');
const path = require('path');
const vm = require('vm');
const sharp = require('sharp');
const helper = require('node-red-node-test-helper');
const { DIST, requireModel, cocoImage, lib } = require('./support/paths');
const fx = require('./support/fixtures');
const { until } = require('./support/wait');
const { stubModelNode, stubDetector } = require('./support/stub-model');

const modelNode = require(path.join(DIST, 'nodes', 'yolo-model.js'));
const detectNode = require(path.join(DIST, 'nodes', 'yolov8-detect.js'));
const { openSessionCount } = lib('runtime/session-cache');

helper.init(require.resolve('node-red'));

function flow(modelPath, detectProps = {}) {
  return [
    { id: 'm1', type: 'yolo-model', model: modelPath, threads: 2, providers: 'cpu', names: '' },
    { id: 'd1', type: 'yolov8-detect', model: 'm1', confidence: 0.25, iou: 0.7, classes: '', maxDetections: 300, agnostic: false, annotate: false, busyPolicy: 'queue', queueSize: 100, wires: [['out']], ...detectProps },
    { id: 'out', type: 'helper' },
  ];
}

/** Sends msg and resolves with {msg} on output or {error} when the node reports done(err). */
function outcome(d1, out, msg) {
  return new Promise((resolve) => {
    const onMsg = (m) => { cleanup(); resolve({ msg: m }); };
    // done(err) logs with the msg; a log line at deploy (a model that is not there) has none
    const onErr = (call) => { if (!call.args[1]) return; cleanup(); resolve({ error: call.args[0] }); };
    const cleanup = () => { out.removeListener('input', onMsg); d1.removeListener('call:error', onErr); };
    out.on('input', onMsg);
    d1.on('call:error', onErr);
    d1.receive(msg);
  });
}

const errorText = (e) => (e instanceof Error ? e.message : String(e));

describe('yolov8-detect node', function () {
  this.timeout(120000);
  let zebra;
  before(() => {
    requireModel();
    zebra = fs.readFileSync(cocoImage('000000000034.jpg'));
  });
  beforeEach((done) => { helper.startServer(done); });
  afterEach(async () => {
    await helper.unload();
    await new Promise((r) => { helper.stopServer(r); });
  });

  it('finds the zebra in a real photo, with annotations, counts and timings', async () => {
    await helper.load([modelNode, detectNode], flow('yolov8n.onnx', { annotate: true }));
    const d1 = helper.getNode('d1');
    const { msg, error } = await outcome(d1, helper.getNode('out'), { payload: zebra });
    assert.ifError(error);
    assert.strictEqual(msg.payload[0].class, 'zebra');
    assert.ok(msg.payload[0].score > 0.8);
    const b = msg.payload[0].box;
    assert.ok(b.x1 >= 0 && b.x2 <= msg.detection.imageWidth && b.x2 - b.x1 > 300, JSON.stringify(b));
    assert.deepStrictEqual(msg.detection.counts, { zebra: 1 });
    assert.strictEqual(msg.annotations[0].type, 'rect');
    assert.ok(msg.detection.timings.inference > 0 && msg.detection.timings.total >= msg.detection.timings.inference);
    assert.strictEqual(msg.detection.model.sha256, '9697a185dd8eb7448aea4c979e10db2b4977f70a46687890ef796936c44a848b');
    assert.ok(Buffer.isBuffer(msg.annotated) && msg.annotated[0] === 0xff && msg.annotated[1] === 0xd8);
  });

  it('names a class filter the model does not have at deploy (red status, log), not only at the first frame', async () => {
    const statuses = [];
    const errors = [];
    const loaded = new Promise((resolve) => {
      helper.load([modelNode, detectNode], flow('yolov8n.onnx', { classes: 'person,unicorn' })).then(() => {
        const d1 = helper.getNode('d1');
        d1.on('call:status', (c) => { statuses.push(c.args[0]); if (c.args[0].fill === 'red' || /ready/.test(c.args[0].text)) resolve(); });
        d1.on('call:error', (c) => errors.push(String(c.args[0])));
      });
    });
    await loaded;
    assert.strictEqual(statuses.at(-1).fill, 'red');
    assert.match(statuses.at(-1).text, /^unknown class "unicorn"/);
    assert.match(errors[0], /settings: unknown class "unicorn"/);
    const { error } = await outcome(helper.getNode('d1'), helper.getNode('out'), { payload: zebra });
    assert.strictEqual(error.code, 'BAD_CLASS', 'frames still fail with it');
  });

  it('warns at deploy that agnostic NMS does not apply to an end-to-end model, and still detects', async () => {
    const os = require('os');
    const { endToEnd } = require('./support/model-variants');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'yolo-edge-e2e-node-'));
    try {
      const e2e = endToEnd(requireModel(), path.join(dir, 'e2e.onnx'));
      const warned = new Promise((resolve) => {
        helper.load([modelNode, detectNode], flow(e2e, { agnostic: true })).then(() => {
          helper.getNode('d1').on('call:warn', (c) => resolve(String(c.args[0])));
        });
      });
      assert.match(await warned, /agnostic NMS does not apply: e2e\.onnx is an end-to-end model/);
      const { msg, error } = await outcome(helper.getNode('d1'), helper.getNode('out'), { payload: zebra });
      assert.ifError(error);
      assert.strictEqual(msg.payload[0].class, 'zebra');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reads "read file paths" as a flag: "true" or 1 from a flow file turns it on (it stayed off without a word), "yes" is BAD_CONFIG', async () => {
    for (const on of ['true', 1]) {
      await helper.load([modelNode, detectNode], flow('yolov8n.onnx', { filePaths: on }));
      const { msg, error } = await outcome(helper.getNode('d1'), helper.getNode('out'), { payload: cocoImage('000000000034.jpg') });
      assert.ifError(error);
      assert.strictEqual(msg.payload[0].class, 'zebra', `filePaths ${JSON.stringify(on)}`);
      await helper.unload();
    }
    await helper.load([modelNode, detectNode], flow('yolov8n.onnx', { filePaths: 'yes' }));
    const d1 = helper.getNode('d1');
    assert.deepStrictEqual(d1.status.lastCall.args[0], { fill: 'red', shape: 'ring', text: 'read file paths must be true or false, got "yes"' });
    const { error } = await outcome(d1, helper.getNode('out'), { payload: zebra });
    assert.strictEqual(error.code, 'BAD_CONFIG');
  });

  it('honours msg overrides: classes, confidence, file path payloads', async () => {
    await helper.load([modelNode, detectNode], flow('yolov8n.onnx', { filePaths: true }));
    const d1 = helper.getNode('d1');
    const out = helper.getNode('out');
    const none = await outcome(d1, out, { payload: zebra, classes: ['person'] });
    assert.deepStrictEqual(none.msg.payload, []);
    const viaPath = await outcome(d1, out, { payload: cocoImage('000000000034.jpg'), confidence: 0.5 });
    assert.strictEqual(viaPath.msg.payload[0].class, 'zebra');
    const bad = await outcome(d1, out, { payload: zebra, confidence: 7 });
    assert.match(errorText(bad.error), /msg.confidence must be a number from 0 to 1/);
    const unknown = await outcome(d1, out, { payload: zebra, classes: 'unicorn' });
    assert.match(errorText(unknown.error), /unknown class "unicorn"/);
    // a long name (a request's field moved to msg.classes) is shown cut: the whole of it went into every error and log line
    const long = await outcome(d1, out, { payload: zebra, classes: ['x'.repeat(1e6)] });
    assert.strictEqual(long.error.code, 'BAD_CLASS');
    assert.match(errorText(long.error), /^unknown class "x{40}"\.\.\. \(1000000 characters\) \(the model knows person/);
    const half = await outcome(d1, out, { payload: zebra, maxDetections: 1.5 }); // as the node's own setting
    assert.match(errorText(half.error), /msg.maxDetections must be a whole number from 1 to 30000, got 1.5/);
    // msg.classes: one class id alone is a list of one; entries that are not names or ids, and lists longer
    // than any model's classes, are named (a list of a million held the event loop 160 ms)
    const zebraId = await outcome(d1, out, { payload: zebra, classes: 22 });
    assert.deepStrictEqual(zebraId.msg.payload.map((d) => d.class), ['zebra']);
    for (const [classes, why] of [
      [[['zebra']], /msg.classes\[0\] must be a class name or id, got an array of 1/],
      [['zebra', { id: 22 }], /msg.classes\[1\] must be a class name or id, got an object/],
      [true, /msg.classes must be an array, a comma-separated string or a class id, got boolean true/],
      [Array(1e6).fill('zebra'), /msg.classes has 1000000 entries, more than any model has classes \(10000\)/],
      // as a comma-separated string too (an MQTT or http payload moved to msg.classes): it was split whole and
      // each entry looked up, 180 ms of event loop for 7 MB
      ['zebra,'.repeat(1e6), /msg.classes has more than 10000 entries, more than any model has classes/],
    ]) {
      const r = await outcome(d1, out, { payload: zebra, classes });
      assert.strictEqual(r.error && r.error.code, 'BAD_OPTION', String(why));
      assert.match(errorText(r.error), why);
    }
    // blank number overrides keep the node's settings, as msg.agnostic and msg.annotate do (a change node copying
    // an unset flow variable sets null); they failed with BAD_OPTION
    const plain = await outcome(d1, out, { payload: zebra });
    for (const blank of [{ confidence: null }, { iou: '' }, { maxDetections: null }, { confidence: ' ' }]) {
      const r = await outcome(d1, out, { payload: zebra, ...blank });
      assert.ifError(r.error);
      assert.deepStrictEqual(r.msg.payload, plain.msg.payload, JSON.stringify(blank));
    }
    // a value of the wrong kind is shown as such: [0.5] is not the number 0.5
    const arr = await outcome(d1, out, { payload: zebra, confidence: [0.5] });
    assert.match(errorText(arr.error), /msg.confidence must be a number from 0 to 1, got an array of 1/);
    // blank msg.classes keeps the node's list too (null turned the node's class filter off); [] keeps every class
    await helper.unload();
    await helper.load([modelNode, detectNode], flow('yolov8n.onnx', { classes: 'person' }));
    const personOnly = helper.getNode('d1');
    const personOut = helper.getNode('out');
    for (const blank of [null, '', ' ']) {
      const r = await outcome(personOnly, personOut, { payload: zebra, classes: blank });
      assert.ifError(r.error);
      assert.deepStrictEqual(r.msg.payload, [], JSON.stringify(blank));
    }
    const every = await outcome(personOnly, personOut, { payload: zebra, classes: [] });
    assert.deepStrictEqual([...new Set(every.msg.payload.map((d) => d.class))], ['zebra']);
  });

  it('counts a msg that fails after detection as failed only, not also as processed', async () => {
    await helper.load([modelNode, detectNode], flow('yolov8n.onnx'));
    const d1 = helper.getNode('d1');
    const out = helper.getNode('out');
    await outcome(d1, out, { payload: zebra });
    const unreadable = { payload: zebra, get extra() { throw new Error('unreadable'); } }; // it cannot be copied to be sent
    const failed = await outcome(d1, out, unreadable);
    assert.strictEqual(errorText(failed.error), 'unreadable');
    // a frozen msg takes no results, but the copy that is sent does
    const frozen = await outcome(d1, out, Object.freeze({ _msgid: 'frozen', payload: zebra }));
    assert.deepStrictEqual([frozen.msg._msgid, frozen.msg.detection.counts], ['frozen', { zebra: 1 }]);
    const last = await outcome(d1, out, { payload: zebra });
    const c = last.msg.detection.counters;
    assert.deepStrictEqual([c.accepted, c.processed, c.failed], [4, 3, 1]);
  });

  it('shows the last figures after a burst: a status the throttle held back comes at the end of its window', async () => {
    await helper.load([modelNode, detectNode], flow('yolov8n.onnx', { busyPolicy: 'drop-newest', queueSize: 0 }));
    const d1 = helper.getNode('d1');
    const out = helper.getNode('out');
    await outcome(d1, out, { payload: zebra });
    await new Promise((r) => setTimeout(r, 400));
    const outputs = [];
    out.on('input', (m) => outputs.push(m));
    for (let i = 0; i < 10; i++) d1.receive({ payload: zebra });
    // the eight are dropped as they arrive; the two in progress take as long as the machine needs
    await until(() => outputs.length === 2, 'the two frames in progress');
    const c = outputs[1].detection.counters;
    assert.deepStrictEqual([c.accepted, c.dropped], [3, 8], 'two frames in progress, the other eight dropped, none waiting');
    // the status of the last frame, held back or not, shows its figures and the drops
    const last = `${outputs[1].detection.timings.total.toFixed(0)} ms · 1 obj · 8 dropped`;
    const texts = () => d1.status.args.map((a) => a[0].text);
    await until(() => texts().at(-1).endsWith(last), `a status ending '${last}'`, 5000).catch((err) => { throw new Error(`${err.message}: ${texts().join(' | ')}`); });
    assert.strictEqual(outputs.length, 2);
  });

  it('shows a frame rate only once a few frames came in its window: no 0.0 fps after the first frame', async () => {
    await helper.load([modelNode, detectNode], flow('yolov8n.onnx'));
    const d1 = helper.getNode('d1');
    const out = helper.getNode('out');
    await outcome(d1, out, { payload: zebra });
    await new Promise((r) => setTimeout(r, 400)); // past the status throttle
    const first = d1.status.args.at(-1)[0].text;
    assert.match(first, /^\d+ ms · 1 obj$/, first);
    for (let i = 0; i < 4; i++) await outcome(d1, out, { payload: zebra });
    await new Promise((r) => setTimeout(r, 400));
    const later = d1.status.args.at(-1)[0].text;
    const fps = Number(/^([\d.]+) fps · \d+ ms · 1 obj$/.exec(later)?.[1]);
    assert.ok(fps > 0, later);
  });

  it('reports bad inputs through done(err) and keeps working', async () => {
    await helper.load([modelNode, detectNode], flow('yolov8n.onnx'));
    const d1 = helper.getNode('d1');
    const out = helper.getNode('out');
    const cases = [
      [Buffer.alloc(0), /image is empty/],
      [fx.corruptJpeg(zebra), /could not be decoded|not a readable image/],
      ['just some text', /msg.payload is a string, not an image: a file path in msg.payload is read only when/],
      // base64 of an image (a form or JSON client's upload): it was told to turn on file paths
      [zebra.toString('base64'), /^msg.payload is base64 text of an image, not image bytes: decode it to a Buffer first/],
      [{ some: 'object' }, /must be an image Buffer/],
      [await fx.solidImage(1, 1), /smaller than 8 pixels/],
      [fx.pngClaiming(20000, 20000), /20000x20000, over the limit/],
    ];
    for (const [payload, expected] of cases) {
      const r = await outcome(d1, out, { payload });
      assert.ok(r.error, `expected an error for ${expected}`);
      assert.match(errorText(r.error), expected);
      const good = await outcome(d1, out, { payload: zebra });
      assert.strictEqual(good.msg.payload[0].class, 'zebra', `after ${expected}`);
    }
  });

  it('takes image bytes and raw pixels made in a function node (its sandbox\'s Uint8Array and objects): they were refused as "got a Uint8Array"', async () => {
    await helper.load([modelNode, detectNode], flow('yolov8n.onnx'));
    const d1 = helper.getNode('d1');
    const out = helper.getNode('out');
    const { data, info } = await sharp(zebra).removeAlpha().raw().toBuffer({ resolveWithObject: true });
    const raw = { data, width: info.width, height: info.height, channels: 3 };
    // a function node runs in a vm context: its Uint8Array, SharedArrayBuffer and Object are not ours
    const sandbox = vm.createContext({ jpeg: zebra, raw });
    const made = (code) => vm.runInContext(code, sandbox);
    const mine = (await outcome(d1, out, { payload: raw })).msg.payload;
    assert.strictEqual(mine[0].class, 'zebra');
    const encoded = await outcome(d1, out, { payload: made('new Uint8Array(jpeg)') });
    assert.ifError(encoded.error);
    assert.strictEqual(encoded.msg.payload[0].class, 'zebra');
    assert.ok(Buffer.from(encoded.msg.image).equals(zebra), 'msg.image is the encoded frame');
    for (const code of ['({ ...raw, data: new Uint8Array(raw.data) })', '({ ...raw, data: new Uint8Array(new SharedArrayBuffer(raw.data.length)).fill(0).map((_, i) => raw.data[i]) })']) {
      const r = await outcome(d1, out, { payload: made(code) });
      assert.ifError(r.error);
      assert.deepStrictEqual(r.msg.payload, mine, code);
    }
    // and a wrong one made there is still told apart from raw pixels by its field
    const wrong = await outcome(d1, out, { payload: made('({ data: [1, 2], width: 8, height: 8, channels: 3 })') });
    assert.strictEqual(wrong.error?.code, 'BAD_PAYLOAD');
    assert.match(errorText(wrong.error), /its data must be a Buffer or Uint8Array, got an array of 2/);
  });

  it('takes large frames (raw 4K RGB, and their bytes encoded) with the detections of the same pixels, leaving msg.payload as it was', async () => {
    // the frame is copied for the image worker in slices and the copy handed over: the flow's Buffer must not go
    await helper.load([modelNode, detectNode], flow('yolov8n.onnx', { annotate: true }));
    const d1 = helper.getNode('d1');
    const out = helper.getNode('out');
    const size = { width: 3840, height: 2160 };
    const data = await sharp(zebra).resize(size.width, size.height, { fit: 'fill' }).raw().toBuffer();
    const png = await sharp(data, { raw: { ...size, channels: 3 } }).png({ compressionLevel: 1 }).toBuffer();
    const raw = { data, ...size, channels: 3 };
    const results = [];
    for (const payload of [raw, png]) {
      const bytes = payload.data ?? payload;
      const before = Buffer.from(bytes);
      const { msg, error } = await outcome(d1, out, { payload });
      assert.ifError(error);
      assert.strictEqual(msg.payload[0].class, 'zebra');
      assert.ok(bytes.byteLength === before.length && bytes.equals(before), 'the frame is neither detached nor changed');
      if (payload === png) assert.strictEqual(msg.image, png, 'msg.image is the flow\'s Buffer');
      results.push(msg.payload);
    }
    assert.deepStrictEqual(results[0], results[1]);
  });

  it('a msg whose topic or payload cannot be read (a getter that throws, built in a function node) ends in done(err)', async () => {
    await helper.load([modelNode, detectNode], flow('yolov8n.onnx'));
    const d1 = helper.getNode('d1');
    const out = helper.getNode('out');
    for (const key of ['topic', 'payload']) {
      const msg = { payload: zebra };
      Object.defineProperty(msg, key, { get() { throw new Error('boom'); }, enumerable: true });
      const r = await outcome(d1, out, msg);
      assert.strictEqual(r.error?.code, 'BAD_PAYLOAD', `${key}: ${errorText(r.error)}`);
      assert.match(errorText(r.error), /^the msg could not be read: boom/);
    }
    assert.strictEqual((await outcome(d1, out, { payload: zebra })).msg.payload[0].class, 'zebra');
  });

  it('reads msg.filename whatever else msg.payload holds (an inject node\'s timestamp), and names what a payload is', async () => {
    await helper.load([modelNode, detectNode], flow('yolov8n.onnx', { filePaths: true }));
    const d1 = helper.getNode('d1');
    const out = helper.getNode('out');
    const file = cocoImage('000000000034.jpg');
    for (const payload of [Date.now(), true, { some: 'object' }, '', 'data:text/plain,not an image', zebra.toString('base64')]) {
      const r = await outcome(d1, out, { payload, filename: file });
      assert.ifError(r.error);
      assert.strictEqual(r.msg.payload[0].class, 'zebra', `payload ${JSON.stringify(payload)}`);
    }
    const cases = [
      [{ payload: 'data:image/jpeg;base64,' + zebra.toString('base64') }, /msg.payload is a data URL, not image bytes/],
      // not read as a path (ENAMETOOLONG), PNG and MIME-wrapped lines too
      [{ payload: zebra.toString('base64') }, /msg.payload is base64 text of an image, not image bytes/],
      [{ payload: fx.pngClaiming(64, 64).toString('base64').replace(/(.{76})/g, '$1\r\n') }, /msg.payload is base64 text of an image, not image bytes/],
      [{ payload: new Float32Array(4) }, /got a Float32Array$/],
      [{ payload: new ArrayBuffer(8) }, /got an ArrayBuffer$/],
      [{ payload: new Uint16Array(4) }, /got a Uint16Array$/],
      [{ payload: [1, 2] }, /got an array of 2$/],
      [{ payload: 5 }, /got number 5$/],
      [{ payload: { data: 1 } }, /got an object that is not raw pixels \{data: Buffer, width, height, channels\}: its data must be a Buffer or Uint8Array, got number 1$/],
      [{ payload: { other: 1 } }, /got an object that is not raw pixels \{data: Buffer, width, height, channels\}$/],
      // a canvas ImageData's pixels; a Buffer that went through JSON; a width from a form field
      [{ payload: { data: new Uint8ClampedArray(48), width: 4, height: 4 } }, /: its data must be a Buffer or Uint8Array, got a Uint8ClampedArray$/],
      [{ payload: JSON.parse(JSON.stringify(Buffer.from('jpeg'))) }, /: its data must be a Buffer or Uint8Array, got an array of 4$/],
      [{ payload: { data: Buffer.alloc(48), width: '4', height: 4, channels: 3 } }, /: its width must be a number, got "4"$/],
      [{ payload: 5, filename: 7 }, /msg.filename must be a file path, got number 7$/],
    ];
    for (const [msg, expected] of cases) {
      const r = await outcome(d1, out, msg);
      assert.ok(r.error, `expected an error for ${expected}`);
      assert.strictEqual(r.error.code, 'BAD_PAYLOAD');
      assert.match(errorText(r.error), expected);
    }
    // a path is named whole (its first 80 characters were shown, often without the file's name); megabytes of text cut
    const deep = `/tmp/${'camera-line-3/'.repeat(8)}frame-000123.jpg`;
    const missing = await outcome(d1, out, { payload: 5, filename: deep });
    assert.strictEqual(errorText(missing.error), `${JSON.stringify(deep)} is not a readable image file (ENOENT)`);
    const text = await outcome(d1, out, { payload: 'x'.repeat(1e6) });
    assert.match(errorText(text.error), /^"x{4096}"\.\.\. \(1000000 characters\) is not a readable image file \(ENAMETOOLONG\)$/);
  });

  it('reads Class names written as a list or dict (JSON or as Ultralytics writes them), not split at their commas; a broken one is BAD_CONFIG', async () => {
    // '["worker","bicycle"]' named class 0 '["worker"' and class 1 '"bicycle"]'
    for (const names of ['["worker", "bicycle"]', "{0: 'worker', 1: 'bicycle'}", '{"0": "worker", "1": "bicycle"}']) {
      const f = flow('yolov8n.onnx');
      f[0].names = names;
      await helper.load([modelNode, detectNode], f);
      assert.deepStrictEqual((await helper.getNode('m1').detector()).info.names.slice(0, 3), ['worker', 'bicycle', 'class2'], names);
      await helper.unload();
    }
    const f = flow('yolov8n.onnx');
    f[0].names = '["worker", "bicycle"';
    await helper.load([modelNode, detectNode], f);
    assert.match(String(helper.getNode('m1').error.firstCall.args[0]), /^configuration: class names must be a comma-separated list, a names file, or a list or dict of names/);
    const { error } = await outcome(helper.getNode('d1'), helper.getNode('out'), { payload: zebra });
    assert.strictEqual(error.code, 'BAD_CONFIG');
  });

  it('takes a single Class names entry as a class name, and a .txt, .names, .json or .yaml entry as a names file', async () => {
    const { parseNamesSetting } = lib('model/model-info');
    assert.deepStrictEqual(parseNamesSetting('defect'), { list: ['defect'] });
    assert.deepStrictEqual(parseNamesSetting(' a, b '), { list: ['a', 'b'] });
    assert.deepStrictEqual(parseNamesSetting('classes.txt'), { file: 'classes.txt' });
    assert.deepStrictEqual(parseNamesSetting('models/obj.names'), { file: 'models/obj.names' });
    assert.deepStrictEqual(parseNamesSetting('/data/coco8.yaml'), { file: '/data/coco8.yaml' });
    assert.strictEqual(parseNamesSetting('  '), undefined);
    const f = flow('yolov8n.onnx');
    f[0].names = 'worker';
    await helper.load([modelNode, detectNode], f);
    const { msg, error } = await outcome(helper.getNode('d1'), helper.getNode('out'), { payload: zebra });
    assert.ifError(error);
    assert.strictEqual(msg.payload[0].class, 'class22', 'names past the one given are numbered');
    assert.strictEqual((await helper.getNode('m1').detector()).info.names[0], 'worker');
  });

  it('refuses a names file over 4 MB or of more names than any model has classes (MODEL_UNREADABLE), not taking its bytes as names', async () => {
    // the model file picked as the names file was read whole and became 43205 class names, with a warning only
    const dir = fx.tmpDir();
    const lines = path.join(dir, 'many.txt');
    fs.writeFileSync(lines, Array.from({ length: 10001 }, (_, i) => `c${i}`).join('\n'));
    // a names file's ending is required now: the model under a .txt name
    const model = path.join(dir, 'model.txt');
    fs.symlinkSync(requireModel(), model);
    try {
      for (const [file, says] of [[model, /^names file .*model\.txt is over 4 MB: more than names for 10000 classes take; is it a names file\?$/], [lines, /^names file .*many\.txt has 10001 names, more than any model has classes \(10000\); is it a names file\?$/]]) {
        const f = flow('yolov8n.onnx');
        f[0].names = file;
        await helper.load([modelNode, detectNode], f);
        const { error } = await outcome(helper.getNode('d1'), helper.getNode('out'), { payload: zebra });
        assert.ok(error, `${file}: a frame is refused`);
        assert.strictEqual(error.code, 'MODEL_UNREADABLE', errorText(error));
        assert.match(errorText(error), says);
        await helper.unload();
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('fails frames with MODEL_UNREADABLE naming a JSON names file that is not a list or id mapping of names', async () => {
    const dir = fx.tmpDir();
    const cases = {
      'broken.json': ['["person", "bicycle"', /\(Expected ',' or '\]' after array element/],
      'keys.json': ['{"person": 0}', /\(names has the key "person", not a class id\)$/],
      'objects.json': ['[{"name": "person"}]', /\(a class name is object\)$/],
    };
    for (const [file, [text, says]] of Object.entries(cases)) {
      fs.writeFileSync(path.join(dir, file), text);
      const f = flow('yolov8n.onnx');
      f[0].names = path.join(dir, file);
      await helper.load([modelNode, detectNode], f);
      const d1 = helper.getNode('d1');
      // the frame's done(err), with its msg: a Catch node's (the load failure is logged at deploy too)
      const failed = new Promise((resolve) => d1.on('call:error', (c) => { if (c.args[1]) resolve(c.args[0]); }));
      d1.receive({ payload: zebra });
      const error = await failed;
      assert.strictEqual(error.code, 'MODEL_UNREADABLE', `${file}: ${errorText(error)}`);
      assert.ok(errorText(error).startsWith(`names file ${path.join(dir, file)} must be one name a line, a JSON list or id mapping of names, or a data.yaml with names: (`), errorText(error));
      assert.match(errorText(error), says);
      await helper.unload();
    }
    fs.writeFileSync(path.join(dir, 'ok.json'), ' ["worker"]\n');
    const f = flow('yolov8n.onnx');
    f[0].names = path.join(dir, 'ok.json');
    await helper.load([modelNode, detectNode], f);
    assert.strictEqual((await helper.getNode('m1').detector()).info.names[0], 'worker');
  });

  it('reads Class names only from a names file (.txt, .names, .json, .yaml) outside /proc, /sys and /dev whose text is names: /proc/self/environ became class names', async () => {
    const dir = fx.tmpDir();
    fs.symlinkSync('/proc/self/environ', path.join(dir, 'env.txt'));
    fs.writeFileSync(path.join(dir, 'binary.txt'), Buffer.from([0x41, 0x00, 0xff, 0x0a, 0x42]));
    fs.writeFileSync(path.join(dir, 'data.yaml'), 'path: ../datasets/site\nnames:\n  0: worker\n  2: forklift\n');
    fs.writeFileSync(path.join(dir, 'ids.json'), '{"0": "worker", "1": "forklift"}');
    const rule = 'names or a names file ending in .txt or .names (one name a line), .json (a list or an id mapping of names) or .yaml (an Ultralytics data.yaml\'s names:)';
    const cases = [
      ['/proc/self/environ', 'BAD_CONFIG', `class names must be ${rule}, got "/proc/self/environ"`],
      ['/etc/hostname', 'BAD_CONFIG', `class names must be ${rule}, got "/etc/hostname"`],
      [path.join(dir, 'env.txt'), 'MODEL_UNREADABLE', `names file ${path.join(dir, 'env.txt')} is in /proc: a names file is a text file of class names, not a file of the system's`],
      [path.join(dir, 'binary.txt'), 'MODEL_UNREADABLE', `names file ${path.join(dir, 'binary.txt')} has a control character or bytes that are not UTF-8 text in name 0; is it a names file?`],
    ];
    for (const [names, code, says] of cases) {
      const f = flow('yolov8n.onnx');
      f[0].names = names;
      await helper.load([modelNode, detectNode], f);
      const { error } = await outcome(helper.getNode('d1'), helper.getNode('out'), { payload: zebra });
      assert.ok(error, `${names}: a frame is refused`);
      assert.strictEqual(error.code, code, `${names}: ${errorText(error)}`);
      assert.strictEqual(errorText(error), says);
      await helper.unload();
    }
    for (const [file, start] of [['data.yaml', ['worker', 'class1', 'forklift', 'class3']], ['ids.json', ['worker', 'forklift', 'class2']]]) {
      const f = flow('yolov8n.onnx');
      f[0].names = path.join(dir, file);
      await helper.load([modelNode, detectNode], f);
      assert.deepStrictEqual((await helper.getNode('m1').detector()).info.names.slice(0, start.length), start, file);
      await helper.unload();
    }
  });

  it('refuses a yolo-model setting that holds an object (JSON in a flow file), naming it: it loaded "[object Object]" as a file or a class name', async () => {
    for (const [prop, value, says] of [['names', { 0: 'person', 1: 'bicycle' }, 'class names must be text, got an object'], ['model', { file: 'yolov8n.onnx' }, 'model must be text, got an object'], ['providers', { cpu: true }, 'providers must be text, got an object']]) {
      const f = flow('yolov8n.onnx');
      f[0][prop] = value;
      await helper.load([modelNode, detectNode], f);
      const { error } = await outcome(helper.getNode('d1'), helper.getNode('out'), { payload: zebra });
      assert.ok(error, `${prop}: a frame is refused`);
      assert.strictEqual(error.code, 'BAD_CONFIG', `${prop}: ${errorText(error)}`);
      assert.strictEqual(errorText(error), says);
      assert.strictEqual(String(helper.getNode('m1').error.firstCall.args[0]), `configuration: ${says}`);
      await helper.unload();
    }
  });

  it('warns once about the providers this onnxruntime lacks, naming the first few, and runs each provider once', async () => {
    // a flow file's list of 20000 unknown names logged 20000 warnings at each load
    const f = flow('yolov8n.onnx');
    f[0].providers = ['cpu', 'cpu', ...Array.from({ length: 20000 }, (_, i) => `x${i}`)].join(',');
    await helper.load([modelNode, detectNode], f);
    const { msg, error } = await outcome(helper.getNode('d1'), helper.getNode('out'), { payload: zebra });
    assert.ifError(error);
    assert.ok(msg.payload.length > 0);
    const warned = helper.getNode('m1').warn.args.map((a) => String(a[0])).filter((w) => /execution provider/.test(w));
    assert.deepStrictEqual(warned, ['execution providers "x0", "x1", "x2", "x3", "x4" and 19995 more are not available in this onnxruntime build; using cpu']);
    const { usableProviders } = lib('runtime/session-factory');
    assert.deepStrictEqual(usableProviders(['cpu', 'cpu', 'cpu'], () => assert.fail('no warning')), ['cpu']);
  });

  it('reads yolo-model settings of other types from a flow file as the editor would have stored them', async () => {
    // a list of providers or names, a number as the model: the constructor threw a TypeError (no model node, so
    // every frame failed 'no yolo-model configured'), or every frame failed with one and no code
    const f = flow('yolov8n.onnx');
    Object.assign(f[0], { providers: ['cpu'], names: ['worker', 'bicycle'] });
    await helper.load([modelNode, detectNode], f);
    const { msg, error } = await outcome(helper.getNode('d1'), helper.getNode('out'), { payload: zebra });
    assert.ifError(error);
    assert.ok(msg.payload.length > 0);
    assert.deepStrictEqual((await helper.getNode('m1').detector()).info.names.slice(0, 3), ['worker', 'bicycle', 'class2']);
    await helper.unload();
    const g = flow('yolov8n.onnx');
    g[0].model = 7;
    await helper.load([modelNode, detectNode], g);
    const d1 = helper.getNode('d1');
    const failed = new Promise((resolve) => d1.on('call:error', (c) => { if (c.args[1]) resolve(c.args[0]); }));
    d1.receive({ payload: zebra });
    const err = await failed;
    assert.strictEqual(err.code, 'MODEL_NOT_FOUND', errorText(err));
    assert.match(errorText(err), /model file not found: .*\/7$/);
  });

  it('shows a megabyte setting of a flow file cut in its log line and in each refused msg\'s error', async () => {
    // the whole value went into both: a log line and a Catch msg of a megabyte for every frame
    const big = 'a/'.repeat(5e5);
    await helper.load([modelNode, detectNode], flow('yolov8n.onnx', { confidence: big }));
    const d1 = helper.getNode('d1');
    const says = `confidence must be a number from 0 to 1, got "${big.slice(0, 200)}"... (1000000 characters)`;
    assert.strictEqual(String(d1.error.firstCall.args[0]), `configuration: ${says}`);
    const { error } = await outcome(d1, helper.getNode('out'), { payload: zebra });
    assert.strictEqual(errorText(error), says);
    await helper.unload();
    await helper.load([modelNode, detectNode], flow('yolov8n.onnx', { model: big }));
    assert.strictEqual(helper.getNode('d1').status.lastCall.args[0].text.length, 100);
    assert.strictEqual(String(helper.getNode('d1').error.firstCall.args[0]), `yolo-model node "${big.slice(0, 200)}"... (1000000 characters) not found: pick the model again in the node's settings and deploy`);
  });

  it('refuses a model or names file path over 4096 characters or with a line break at deploy, BAD_CONFIG naming it cut (the whole path was in every frame\'s error)', async () => {
    const long = (ext) => `/tmp/${'a'.repeat(1024 * 1024)}.${ext}`;
    const cut = (v) => `"${v.slice(0, 200)}"... (${v.length} characters)`;
    for (const [prop, value, says] of [
      ['model', long('onnx'), `model must be a path of at most 4096 characters, got ${cut(long('onnx'))}`],
      ['names', long('txt'), `class names must be a path of at most 4096 characters, got ${cut(long('txt'))}`],
      ['model', '/tmp/x\nERROR forged log line.onnx', 'model must be a path on one line, without control characters, got "/tmp/x\\nERROR forged log line.onnx"'],
      ['names', 'models/a\0b.txt', 'class names must be a path on one line, without control characters, got "models/a\\u0000b.txt"'],
    ]) {
      const f = flow('yolov8n.onnx');
      f[0][prop] = value;
      await helper.load([modelNode, detectNode], f);
      assert.strictEqual(String(helper.getNode('m1').error.firstCall.args[0]), `configuration: ${says}`, prop);
      const { error } = await outcome(helper.getNode('d1'), helper.getNode('out'), { payload: zebra });
      assert.strictEqual(error.code, 'BAD_CONFIG', errorText(error));
      assert.strictEqual(errorText(error), says);
      await helper.unload();
    }
    // a path of 4096 characters is still a path: looked for, and named whole when missing
    const longest = `/tmp/${'b'.repeat(4086)}.onnx`;
    assert.strictEqual(longest.length, 4096);
    await helper.load([modelNode, detectNode], flow(longest));
    const { error } = await outcome(helper.getNode('d1'), helper.getNode('out'), { payload: zebra });
    assert.notStrictEqual(error.code, 'BAD_CONFIG', errorText(error));
  });

  it('a model id naming a node of another type (a hand-edited flow) is a red status and NO_MODEL naming it, not a node Node-RED leaves out', async () => {
    // 'out' is a helper node: its methods are not a model's, and calling them threw out of the constructor
    await helper.load([modelNode, detectNode], flow('yolov8n.onnx', { model: 'out' }));
    const d1 = helper.getNode('d1');
    assert.ok(d1, 'the node was created');
    assert.deepStrictEqual(d1.status.lastCall.args[0], { fill: 'red', shape: 'ring', text: 'the yolo-model node out is a helper node, not a yolo-model' });
    assert.match(String(d1.error.firstCall.args[0]), /^the yolo-model node out is a helper node, not a yolo-model: pick the model again/);
    const { error } = await outcome(d1, helper.getNode('out'), { payload: zebra });
    assert.strictEqual(error.code, 'NO_MODEL');
    await helper.unload();
    await helper.load([modelNode, detectNode], flow('yolov8n.onnx', { model: { id: 'm1' } }));
    assert.strictEqual(helper.getNode('d1').status.lastCall.args[0].text, 'the yolo-model must be a node id, got an object');
    // ids Node-RED's lookup resolves to what every object inherits
    for (const id of ['__proto__', 'constructor']) {
      await helper.unload();
      await helper.load([modelNode, detectNode], flow('yolov8n.onnx', { model: id }));
      assert.strictEqual(helper.getNode('d1').status.lastCall.args[0].text, `yolo-model node ${id} not found`);
    }
  });

  it('names a yolo-model node that is not deployed in its status and error (it said "no model configured", as for none picked)', async () => {
    await helper.load([modelNode, detectNode], flow('yolov8n.onnx', { model: 'gone' }));
    const d1 = helper.getNode('d1');
    assert.strictEqual(d1.status.lastCall.args[0].text, 'yolo-model node gone not found');
    const { error } = await outcome(d1, helper.getNode('out'), { payload: zebra });
    assert.strictEqual(error.code, 'NO_MODEL');
    assert.match(errorText(error), /^yolo-model node gone not found: pick the model again in the node's settings and deploy/);
    await helper.unload();
    await helper.load([modelNode, detectNode], flow('yolov8n.onnx', { model: '' }));
    assert.strictEqual(helper.getNode('d1').status.lastCall.args[0].text, 'no yolo-model configured');
  });

  it('says clearly when the model file is missing', async () => {
    await helper.load([modelNode, detectNode], flow('/nonexistent/model.onnx'));
    const r = await outcome(helper.getNode('d1'), helper.getNode('out'), { payload: zebra });
    assert.match(errorText(r.error), /model file not found: \/nonexistent\/model.onnx/);
  });

  it('keeps a model that did not load in its red status when a control message comes (the temperature guard sends one at start)', async () => {
    await helper.load([modelNode, detectNode], flow('/nonexistent/model.onnx'));
    const d1 = helper.getNode('d1');
    const statuses = [];
    d1.on('call:status', (c) => statuses.push(c.args[0]));
    await until(() => statuses.some((st) => st.fill === 'red'), 'the load failure');
    d1.receive({ topic: 'yolo-edge/control', payload: { maxFps: 0, pause: false } });
    d1.receive({ topic: 'yolo-edge/control', payload: { maxFps: 2 } });
    await new Promise((r) => setTimeout(r, 400));
    const last = statuses[statuses.length - 1];
    assert.deepStrictEqual([last.fill, last.text], ['red', 'model file not found: …/model.onnx']);
  });

  it('shows a path in the red status by its file name, so the badge keeps what failed (its folders filled it, cut at 60)', async () => {
    const deep = `/nonexistent/${'production-line-7/'.repeat(6)}my model.onnx`;
    await helper.load([modelNode, detectNode], flow(deep));
    const d1 = helper.getNode('d1');
    const r = await outcome(d1, helper.getNode('out'), { payload: zebra });
    assert.ok(errorText(r.error).endsWith(`model file not found: ${deep}`), 'the error has the whole path');
    const logged = d1.error.args.map((a) => errorText(a[0])).find((t) => t.startsWith('model'));
    assert.strictEqual(logged, `model: model file not found: ${deep}`, 'the load is logged naming the file once');
    await until(() => d1.status.lastCall?.args[0].fill === 'red', 'a red status');
    assert.strictEqual(d1.status.lastCall.args[0].text, 'model file not found: …/my model.onnx');
  });

  it('does not try a refused model again for every frame, and loads it at once when the file is replaced', async () => {
    const { Detector } = lib('detector');
    const { MODEL } = require('./support/paths');
    const file = fx.writeClassifierModel(path.join(fx.tmpDir(), 'model.onnx'));
    const create = Detector.create;
    let tries = 0;
    Detector.create = function (...args) { tries++; return create.apply(this, args); };
    try {
      await helper.load([modelNode, detectNode], flow(file));
      const d1 = helper.getNode('d1');
      const errors = [];
      d1.on('call:error', (c) => { if (c.args[0] instanceof Error) errors.push(c.args[0]); });
      await until(() => tries === 1, 'the load at deploy');
      for (let i = 0; i < 20; i++) d1.receive({ payload: zebra });
      await until(() => errors.length === 20, '20 failed frames');
      assert.ok(errors.every((e) => /is not a YOLO detection output/.test(e.message)), errors[0].message);
      // each try reads the file and starts a worker: 20 frames would make up to 20 of them
      assert.ok(tries <= 2, `${tries} loads for 20 frames`);
      fs.copyFileSync(MODEL, file);
      const { msg, error } = await outcome(d1, helper.getNode('out'), { payload: zebra });
      assert.ifError(error);
      assert.strictEqual(msg.payload[0].class, 'zebra');
    } finally {
      Detector.create = create;
    }
  });

  it('refuses a model that is not a detector, with a clear message', async () => {
    const dir = fx.tmpDir();
    const file = fx.writeClassifierModel(path.join(dir, 'classifier.onnx'));
    fs.writeFileSync(path.join(dir, 'text.onnx'), 'not a model at all');
    await helper.load([modelNode, detectNode], flow(file));
    const r = await outcome(helper.getNode('d1'), helper.getNode('out'), { payload: zebra });
    assert.match(errorText(r.error), /output shape \[1,10\] is not a YOLO detection output/);
    await helper.unload();
    await helper.load([modelNode, detectNode], flow(path.join(dir, 'text.onnx')));
    const r2 = await outcome(helper.getNode('d1'), helper.getNode('out'), { payload: zebra });
    assert.match(errorText(r2.error), /is not an ONNX model/);
  });

  it('releases the shared session when the flow stops', async () => {
    await helper.load([modelNode, detectNode], flow('yolov8n.onnx'));
    const r = await outcome(helper.getNode('d1'), helper.getNode('out'), { payload: zebra });
    assert.ok(r.msg);
    assert.strictEqual(openSessionCount(), 1);
    await helper.unload();
    assert.strictEqual(openSessionCount(), 0);
  });

  it('lets the model go 10 s after the last detect node using it stops while the yolo-model node stays', async () => {
    // a modified-nodes deploy that deletes the detect nodes leaves the config node running: its worker thread and
    // session held about 80 MB until the next full deploy
    const f = flow('yolov8n.onnx');
    f.push({ ...f[1], id: 'd2' });
    await helper.load([modelNode, detectNode], f);
    const r = await outcome(helper.getNode('d1'), helper.getNode('out'), { payload: zebra });
    assert.ok(r.msg);
    assert.strictEqual(openSessionCount(), 1);
    await helper.getNode('d1').close(true);
    await new Promise((res) => setTimeout(res, 11000));
    assert.strictEqual(openSessionCount(), 1, 'd2 still uses it');
    await helper.getNode('d2').close(true);
    assert.strictEqual(openSessionCount(), 1, 'a successor may come within the grace');
    await until(() => openSessionCount() === 0, 'the session closed', 15000);
    const m1 = helper.getNode('m1');
    assert.ok(helper.log().args.some((a) => a[0].id === 'm1' && /no node uses .*yolov8n\.onnx any more: model unloaded/.test(a[0].msg)));
    // a user that comes later loads it again
    assert.strictEqual((await m1.detector()).info.numClasses, 80);
    assert.strictEqual(openSessionCount(), 1);
  });

  it('model nodes share a session when they name the same file with the same threads and providers, not otherwise (as the help says)', async () => {
    const twoModels = (threadsB) => [
      { id: 'tab', type: 'tab' },
      { id: 'ma', type: 'yolo-model', model: 'yolov8n.onnx', threads: 1 },
      { id: 'mb', type: 'yolo-model', model: 'models/yolov8n.onnx', threads: threadsB },
      { id: 'da', type: 'yolov8-detect', z: 'tab', model: 'ma', wires: [['out']] },
      { id: 'db', type: 'yolov8-detect', z: 'tab', model: 'mb', wires: [['out']] },
      { id: 'out', type: 'helper', z: 'tab' },
    ];
    for (const [threadsB, sessions] of [[1, 1], [2, 2]]) {
      await helper.load([modelNode, detectNode], twoModels(threadsB));
      for (const d of ['da', 'db']) assert.ok((await outcome(helper.getNode(d), helper.getNode('out'), { payload: zebra })).msg, d);
      assert.strictEqual(openSessionCount(), sessions, `threads 1 and ${threadsB}`);
      await helper.unload();
    }
  });

  it('keeps a burst of 500 frames within the busy policy, memory bounded, every frame accounted for', async () => {
    await helper.load([modelNode, detectNode], flow('yolov8n.onnx', { busyPolicy: 'drop-oldest', queueSize: 2 }));
    const d1 = helper.getNode('d1');
    const out = helper.getNode('out');
    await outcome(d1, out, { payload: zebra }); // model loaded and warm
    let outputs = 0;
    let last;
    out.on('input', (m) => { outputs++; last = m; });
    global.gc?.();
    const rssBefore = process.memoryUsage().rss;
    for (let i = 0; i < 500; i++) d1.receive({ payload: zebra, seq: i });
    const rssAfterBurst = process.memoryUsage().rss;
    await new Promise((resolve) => {
      const t = setInterval(() => { if (last && last.seq === 499) { clearInterval(t); resolve(); } }, 20);
    });
    const c = last.detection.counters;
    // Two in progress (one in the session, the next being decoded) + two waiting can survive the burst;
    // the newest frame always comes out.
    assert.ok(outputs <= 4, `outputs ${outputs}`);
    assert.strictEqual(c.dropped, 500 - outputs);
    assert.strictEqual(c.accepted - c.dropped, c.processed);
    assert.ok(rssAfterBurst - rssBefore < 64 * 1024 * 1024, `rss grew ${(rssAfterBurst - rssBefore) / 1e6} MB`);
  });

  it('reads a file path in msg.payload only when the node allows it; msg.filename always', async () => {
    let read = 0;
    const orig = fs.promises.open;
    // the image's opens only: the model file is opened the same way
    fs.promises.open = (...a) => { if (String(a[0]) === cocoImage('000000000034.jpg')) read++; return orig.apply(fs.promises, a); };
    try {
      await helper.load([modelNode, detectNode], flow('yolov8n.onnx'));
      const d1 = helper.getNode('d1');
      const out = helper.getNode('out');
      const refused = await outcome(d1, out, { payload: cocoImage('000000000034.jpg') });
      assert.strictEqual(refused.error.code, 'BAD_PAYLOAD');
      assert.strictEqual(read, 0, 'nothing was opened');
      const named = await outcome(d1, out, { filename: cocoImage('000000000034.jpg') });
      assert.strictEqual(named.msg.payload[0].class, 'zebra');
    } finally {
      fs.promises.open = orig;
    }
  });

  it('reads only regular files named by msg.payload: /dev/zero, a FIFO and an oversize file fail fast, memory bounded', async () => {
    const { execFileSync } = require('child_process');
    const dir = fx.tmpDir();
    const fifo = path.join(dir, 'fifo');
    execFileSync('mkfifo', [fifo]);
    const big = path.join(dir, 'big.jpg');
    fs.writeFileSync(big, '');
    fs.truncateSync(big, 65 * 1024 * 1024); // sparse: no disk used
    fs.symlinkSync('/dev/zero', path.join(dir, 'zero.jpg'));
    await helper.load([modelNode, detectNode], flow('yolov8n.onnx', { filePaths: true }));
    const d1 = helper.getNode('d1');
    const out = helper.getNode('out');
    const rss0 = process.memoryUsage().rss;
    const t0 = Date.now();
    for (const [file, re] of [['/dev/zero', /not a regular file/], [fifo, /not a regular file/], [path.join(dir, 'zero.jpg'), /not a regular file/], [big, /over the limit/]]) {
      const { error } = await outcome(d1, out, { payload: file });
      assert.match(errorText(error), re, file);
    }
    assert.ok(Date.now() - t0 < 5000, `took ${Date.now() - t0} ms`);
    assert.ok(process.memoryUsage().rss - rss0 < 100 * 1024 * 1024, 'RSS grew under 100 MB');
    const { msg } = await outcome(d1, out, { payload: zebra });
    assert.strictEqual(msg.payload[0].class, 'zebra', 'the next image works');
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('refuses bad settings from a flow file with a clear error per msg (confidence, IoU, max detections, busy policy)', async () => {
    const cases = [[{ confidence: 'abc' }, /confidence must be a number from 0 to 1, got "abc"/], [{ iou: 'abc' }, /IoU must be a number/],
      [{ maxDetections: -5 }, /max detections must be a whole number from 1 to 30000, got -5/], [{ maxDetections: 2.5 }, /max detections must be a whole number/], [{ busyPolicy: 'later' }, /busy policy must be one of queue, drop-oldest, drop-newest/],
      [{ queueSize: 1e9 }, /queue size must be a whole number/], [{ annotate: 'maybe' }, /annotate must be true or false, got "maybe"/]];
    for (const [props, re] of cases) {
      await helper.load([modelNode, detectNode], flow('yolov8n.onnx', props));
      const { error } = await outcome(helper.getNode('d1'), helper.getNode('out'), { payload: zebra });
      assert.match(errorText(error), re, JSON.stringify(props));
      await helper.unload();
    }
    // the text 'false' (a flow sent through the admin API) is off: any text turned annotation on
    for (const [annotate, drawn] of [['false', false], ['true', true], [0, false]]) {
      await helper.load([modelNode, detectNode], flow('yolov8n.onnx', { annotate }));
      const { msg } = await outcome(helper.getNode('d1'), helper.getNode('out'), { payload: zebra });
      assert.strictEqual(Buffer.isBuffer(msg.annotated), drawn, JSON.stringify(annotate));
      await helper.unload();
    }
  });

  it('obeys yolo-edge/control messages: pause and maxFps drop frames cleanly and count them', async () => {
    await helper.load([modelNode, detectNode], flow('yolov8n.onnx'));
    const d1 = helper.getNode('d1');
    const out = helper.getNode('out');
    d1.receive({ topic: 'yolo-edge/control', payload: { pause: true } });
    let outputs = 0;
    out.on('input', () => outputs++);
    for (let i = 0; i < 5; i++) d1.receive({ payload: zebra });
    await new Promise((r) => setTimeout(r, 200));
    assert.strictEqual(outputs, 0);
    d1.receive({ topic: 'yolo-edge/control', payload: { pause: false } });
    const r = await outcome(d1, out, { payload: zebra });
    assert.deepStrictEqual([r.msg.detection.counters.droppedByPause, r.msg.detection.counters.processed], [5, 1]);
  });

  it('lets a Complete node tell frames it dropped from frames it detected: msg.dropped is paused, rate or busy', async () => {
    const completeNode = require(require.resolve('@node-red/nodes/core/common/24-complete.js'));
    await helper.load([modelNode, detectNode, completeNode], [
      ...flow('yolov8n.onnx', { busyPolicy: 'drop-oldest', queueSize: 1 }),
      { id: 'c1', type: 'complete', scope: ['d1'], uncaught: false, wires: [['done']] },
      { id: 'done', type: 'helper' },
    ]);
    const d1 = helper.getNode('d1');
    const out = helper.getNode('out');
    const completed = [];
    const outputs = [];
    helper.getNode('done').on('input', (m) => completed.push(m));
    const settled = (n) => until(() => completed.length >= n, `${n} completions`, 60000);
    await outcome(d1, out, { payload: zebra }); // model loaded and warm
    await settled(1);
    out.on('input', (m) => outputs.push(m));
    const base = 1;

    d1.receive({ topic: 'yolo-edge/control', payload: { pause: true } });
    d1.receive({ payload: zebra, seq: 'p1' });
    d1.receive({ payload: zebra, seq: 'p2' });
    await settled(base + 3);
    d1.receive({ topic: 'yolo-edge/control', payload: { pause: false, maxFps: 0.5 } });
    for (let i = 0; i < 3; i++) d1.receive({ payload: zebra, seq: `r${i}` });
    await settled(base + 7);
    d1.receive({ topic: 'yolo-edge/control', payload: { maxFps: 0 } });
    for (let i = 0; i < 20; i++) d1.receive({ payload: zebra, seq: `b${i}` });
    await settled(base + 28);

    const frames = completed.filter((m) => m.topic !== 'yolo-edge/control');
    const by = (prefix) => frames.filter((m) => String(m.seq).startsWith(prefix)).map((m) => m.dropped ?? 'detected');
    assert.deepStrictEqual(by('p'), ['paused', 'paused']);
    // one frame per 2 s: the first may go (if the warm-up frame was 2 s ago), the two right after it never
    const rated = by('r');
    assert.ok(rated.slice(1).every((d) => d === 'rate') && ['detected', 'rate'].includes(rated[0]), rated.join());
    const burst = by('b');
    assert.strictEqual(burst.length, 20);
    assert.deepStrictEqual([...new Set(burst)].sort(), ['busy', 'detected']);
    // what was detected is what came out; each dropped one is counted
    await until(() => outputs.some((m) => m.seq === 'b19'), 'the newest frame out', 60000);
    const detected = frames.filter((m) => !m.dropped && m.seq !== undefined).map((m) => m.seq);
    assert.deepStrictEqual(outputs.map((m) => m.seq), detected);
    assert.strictEqual(outputs.at(-1).detection.counters.dropped, burst.filter((d) => d === 'busy').length);
    assert.ok(completed.filter((m) => m.topic === 'yolo-edge/control').every((m) => m.dropped === undefined), 'control messages are not frames');
  });

  it('refuses a bad control message to Catch nodes and in a red status, and keeps the rate it had', async () => {
    await helper.load([modelNode, detectNode], flow('yolov8n.onnx'));
    const d1 = helper.getNode('d1');
    const out = helper.getNode('out');
    await outcome(d1, out, { payload: zebra }); // loaded
    const statuses = [];
    d1.on('call:status', (c) => statuses.push(c.args[0]));
    const { error } = await outcome(d1, out, { topic: 'yolo-edge/control', payload: { maxFps: 'fast' } });
    assert.strictEqual(error.code, 'BAD_PAYLOAD');
    assert.deepStrictEqual(statuses.map((st) => [st.fill, st.text]), [['red', 'maxFps must be a number >= 0, got "fast"']]);
    const r = await outcome(d1, out, { payload: zebra });
    assert.strictEqual(r.msg.detection.counters.droppedByRate, 0, 'the gate was not changed');
    assert.strictEqual(statuses[statuses.length - 1].fill, 'green', 'the next good frame clears it');
  });

  it('a frame that fails once its detections are made (CLOSED at a redeploy, a result it cannot write) reaches Catch with the msg the flow sent', async () => {
    const catchNode = require(require.resolve('@node-red/nodes/core/common/25-catch.js'));
    let release;
    const held = new Promise((r) => { release = r; });
    let started = false;
    const box = { x1: 1, y1: 1, x2: 5, y2: 5 };
    const models = {
      held: stubDetector('held', () => { started = true; return held; }, [{ class: 'part', classId: 0, score: 0.9, box }]),
      boxless: stubDetector('boxless', undefined, [{ class: 'part', classId: 0, score: 0.9 }]), // no box: its annotation throws
    };
    const f = (model) => [
      ...flow(model),
      { id: 'c1', type: 'catch', scope: ['d1'], uncaught: false, wires: [['caught']] },
      { id: 'caught', type: 'helper' },
    ];
    const frame = Buffer.from('the frame the flow sent');
    const caughtMsgs = () => {
      const got = [];
      helper.getNode('caught').on('input', (m) => got.push(m));
      return got;
    };
    const isAsSent = (m) => {
      assert.ok(Buffer.isBuffer(m.payload) && m.payload.equals(frame), `msg.payload is ${JSON.stringify(m.payload)}`);
      assert.deepStrictEqual([m.detection, m.annotations, m.image, m.seq], [undefined, undefined, undefined, 1]);
    };

    const closed = f('held');
    await helper.load([stubModelNode({ held: async () => models.held }), detectNode, catchNode], closed);
    let caught = caughtMsgs();
    helper.getNode('d1').receive({ payload: frame, seq: 1 });
    await until(() => started, 'the frame in the model');
    closed[1].name = 'edited';
    await helper.setFlows(closed, 'nodes'); // close waits its 5 s for the frame, then lets the node go
    caught = caughtMsgs(); // the Catch node of the redeployed flow
    release();
    await until(() => caught.length === 1, 'the frame at Catch');
    assert.match(caught[0].error.message, /the node closed before this frame finished/);
    isAsSent(caught[0]);
    await helper.unload();

    await helper.load([stubModelNode({ boxless: async () => models.boxless }), detectNode, catchNode], f('boxless'));
    caught = caughtMsgs();
    helper.getNode('d1').receive({ payload: frame, seq: 1 });
    await until(() => caught.length === 1, 'the frame at Catch');
    isAsSent(caught[0]);
  });
});
