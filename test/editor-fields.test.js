'use strict';
// Every field of every node's editor against the runtime's parser of that node: the dialog marks a value wrong
// exactly when the deployed node would refuse it, and a blank field means the default in both (the default the
// editor gives a new node is the one the runtime takes for a blank field).
const assert = require('assert');
const fs = require('fs');
const os = require('os');
const path = require('path');
const helper = require('node-red-node-test-helper');
const { DIST, ROOT, lib } = require('./support/paths');
const { loadEditorDefs, editorVerdict, editorNodeVerdict, defaultsOf } = require('./support/editor-defs');

const { parseDetectConfig } = lib('detect-config');
const { parseBusyConfig } = lib('pipeline/busy-queue');
const { parseShadowConfig } = lib('shadow/config');
const { parseTemperatureConfig } = lib('temperature/config');
const { parseCameraConfig } = lib('camera/config');
const { parseThreads } = lib('runtime/threads');
const { flag } = lib('config/fields');
const { filePathsOption } = require(path.join(DIST, 'nodes', 'shared', 'detect-message.js'));

helper.init(require.resolve('node-red'));

const PKG = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));

/** Text the dialog may hold: blank, white space, non-numbers, decimals and both sides of every bound in use. */
const BOUNDS = [-41, -40, -10, -1, 0, 0.01, 0.05, 0.1, 0.2, 1, 8, 10, 15, 16, 20, 32, 64, 80, 100, 120, 150, 256, 600, 1000, 3600, 8192, 10000, 30000, 86400, 1e6, 1e9];
const NUMBERS = [...new Set(BOUNDS.flatMap((b) => [b, b - 0.001, b + 0.001, b - 1, b + 1, b + 0.5]))];
/** ... and the choices of the selects and typical texts, bare and padded. */
const WORDS = ['true', 'false', 'on', 'off', '180', 'sport', 'daylight', 'cdn_hq', 'continuous', 'trigger', 'every', 'queue', 'drop-newest', 'sysfs', 'v4l2', 'snapshot', 'yuyv422', '/dev/video1', 'video1', 'rtsp://cam/x', 'http://cam/x', '/tmp/x', '-x', 'a\tb'];
const VALUES = [['a', 'b'], {}, 2, true, false, '', ' ', '  \t', 'abc', '1,5', '5 5', '0x10', '1e3', 'NaN', 'Infinity', '-Infinity', ...NUMBERS.map(String), ...NUMBERS.map((n) => ` ${n} `), ...WORDS, ...WORDS.map((w) => ` ${w} `)];

/** The runtime's parsers, one per node type: the error message, or null when the node takes the config. */
const refuses = (fn) => (c) => {
  try {
    fn(c);
    return null;
  } catch (err) {
    if (err.code !== 'BAD_CONFIG') throw err;
    return err.message;
  }
};
const RUNTIME = {
  // file paths and the preview are read by the nodes themselves (nodes/shared/detect-message, nodes/yolov8-detect.ts)
  'yolov8-detect': refuses((c) => { parseDetectConfig(c); parseBusyConfig(c); filePathsOption(c); flag('preview', c.preview, true); }),
  'yolo-shadow-test': refuses((c) => { parseDetectConfig(c); parseShadowConfig(c); parseBusyConfig(c); filePathsOption(c); }),
  'yolo-temperature': refuses((c) => parseTemperatureConfig(c)),
  'yolo-camera': refuses((c) => parseCameraConfig(c)),
  'yolo-model': refuses((c) => parseThreads(c.threads)),
};

/** The same parsers, giving what they make of the config. */
const PARSE = {
  'yolov8-detect': (c) => [parseDetectConfig(c), parseBusyConfig(c)],
  'yolo-shadow-test': (c) => [parseDetectConfig(c), parseShadowConfig(c), parseBusyConfig(c)],
  'yolo-temperature': parseTemperatureConfig,
  'yolo-camera': parseCameraConfig,
  'yolo-model': (c) => parseThreads(c.threads),
};

/** Other values of the same node that change what a field may hold (the field then gets every value again). */
const CONTEXTS = {
  'yolo-camera': [
    ...['rpicam', 'v4l2', 'folder', 'test'].map((source) => ({ source, folder: '/tmp/frames' })),
    { source: 'rtsp', url: 'rtsp://cam/stream' },
    { source: 'mjpeg', url: 'http://cam/video' },
    { source: 'snapshot', url: 'https://cam/snap.jpg' },
  ],
  'yolo-shadow-test': [{ sampleMode: 'percent' }, { sampleMode: 'every' }, { windowSize: '' }, { windowSize: '5' }],
  'yolo-temperature': [{}, { guard: false }, { criticalPause: false }, { warmFps: '0' }, { hot: '', critical: '' }, { warm: '70', hot: '' }],
};

/** Fields checked elsewhere than the node's parser, and why. */
const ELSEWHERE = {
  // the camera node reads these itself (only with a calibration folder): checked by loading the node below
  'yolo-camera': ['calibDir', 'calibEvery', 'calibMax'],
  // load-time checks against the file and onnxruntime, not a config parse
  'yolo-model': ['model', 'providers'],
};

const types = Object.keys(PKG['node-red'].nodes).flatMap((set) => Object.entries(loadEditorDefs(set)));

describe('editor validation agrees with the runtime parser, field by field', () => {
  it('covers every node type of package.json', () => {
    assert.deepStrictEqual(types.map(([t]) => t).sort(), Object.keys(RUNTIME).sort());
  });

  for (const [type, def] of types) {
    it(`${type}: every field, every value, in every context`, () => {
      const skip = ELSEWHERE[type] ?? [];
      const fields = Object.entries(def.defaults).filter(([k, d]) => !d.type && !skip.includes(k)).map(([k]) => k);
      const wrong = new Map(); // 'context field: editor / runtime' -> values
      for (const ctx of CONTEXTS[type] ?? [{}]) {
        const node = { ...defaultsOf(def), ...ctx };
        assert.strictEqual(RUNTIME[type](node), null, `${type} ${JSON.stringify(ctx)}: the runtime refuses the editor's defaults`);
        for (const field of fields) {
          for (const value of VALUES) {
            const editor = editorNodeVerdict(def, { ...node, [field]: value });
            const runtime = RUNTIME[type]({ ...node, [field]: value });
            if ((editor === true) === (runtime === null)) continue;
            const key = `${JSON.stringify(ctx)} ${field}: editor ${editor === true ? 'accepts' : 'refuses'}, runtime ${runtime === null ? 'accepts' : 'refuses'}`;
            const seen = wrong.get(key) ?? { values: [], example: editor === true ? runtime : editor };
            seen.values.push(value);
            wrong.set(key, seen);
          }
        }
      }
      const show = (v) => `${v.slice(0, 6).map((x) => JSON.stringify(x)).join(' ')}${v.length > 6 ? ` (+${v.length - 6})` : ''}`;
      if (wrong.size) assert.fail([...wrong].map(([k, { values, example }]) => `${k}: ${show(values)} (${example})`).join('\n'));
    });

    // A message key missing from a catalog shows as the key itself under the field.
    it(`${type}: every message the dialog gives for a wrong value is in the en-US and zh-CN catalogs`, () => {
      const set = Object.keys(PKG['node-red'].nodes).find((k) => loadEditorDefs(k)[type]);
      const catalogs = ['en-US', 'zh-CN'].map((l) => JSON.parse(fs.readFileSync(path.join(ROOT, 'nodes', 'locales', l, `${set}.json`), 'utf8')));
      const keys = new Set();
      for (const ctx of CONTEXTS[type] ?? [{}]) {
        const node = { ...defaultsOf(def), ...ctx };
        for (const field of Object.keys(def.defaults).filter((k) => def.defaults[k].validate)) {
          for (const value of [...VALUES, 2, {}]) {
            const r = editorVerdict(def, node, field, value);
            if (r !== true) keys.add(r.split(' ')[0]);
          }
        }
      }
      assert.ok(keys.size > 0, type);
      for (const key of keys) {
        const [ns, rest] = key.split(':');
        assert.strictEqual(ns, `node-red-contrib-yolo-edge/${set}`, key);
        for (const c of catalogs) assert.strictEqual(typeof rest.split('.').reduce((o, k) => o?.[k], c), 'string', `${key} is not in a catalog`);
      }
    });

    // A node written by hand (a snippet, the admin API) may leave fields out: the runtime takes their defaults.
    it(`${type}: a node written without its fields is taken or refused by both, in every context`, () => {
      for (const ctx of CONTEXTS[type] ?? [{}]) {
        const editor = editorNodeVerdict(def, { ...ctx });
        const runtime = RUNTIME[type]({ ...ctx });
        assert.strictEqual(editor === true, runtime === null, `${type} ${JSON.stringify(ctx)}: editor ${editor === true ? 'accepts' : editor}, runtime ${runtime ?? 'accepts'}`);
      }
    });

    it(`${type}: a blank number field is the editor's default at run time, in every context`, () => {
      const numbers = Object.entries(def.defaults).filter(([k, d]) => typeof d.value === 'number' && !(ELSEWHERE[type] ?? []).includes(k)).map(([k]) => k);
      assert.ok(numbers.length > 0);
      const parse = PARSE[type];
      for (const ctx of CONTEXTS[type] ?? [{}]) {
        const node = { ...defaultsOf(def), ...ctx };
        for (const field of numbers) {
          for (const blank of ['', ' ']) {
            const where = `${type} ${JSON.stringify(ctx)} ${field}=${JSON.stringify(blank)}`;
            assert.strictEqual(editorNodeVerdict(def, { ...node, [field]: blank }), true, `${where}: refused by the editor`);
            assert.deepStrictEqual(parse({ ...node, [field]: blank }), parse({ ...node, [field]: String(def.defaults[field].value) }), `${where}: not the default ${def.defaults[field].value}`);
          }
        }
      }
    });
  }
});

// Node-RED sets a property that is ${NAME} (and nothing else) from the environment at deploy, and its own number
// validator accepts one: the dialog cannot know the value, so it does not flag it; the node checks it when deployed.
describe('a field that is an environment variable is not flagged by the dialog', () => {
  for (const [type, def] of types) {
    it(`${type}: every checked field`, () => {
      const node = defaultsOf(def);
      const fields = Object.entries(def.defaults).filter(([, d]) => d.validate).map(([k]) => k);
      assert.ok(fields.length > 0);
      for (const ctx of CONTEXTS[type] ?? [{}]) {
        for (const field of fields) {
          for (const v of ['${YOLO_EDGE_X}', '$(YOLO_EDGE_X)']) {
            const verdict = editorNodeVerdict(def, { ...node, ...ctx, [field]: v });
            assert.strictEqual(verdict, true, `${type} ${JSON.stringify(ctx)} ${field}=${v}: ${verdict}`);
          }
        }
      }
      // only the whole value: Node-RED leaves any other text as it is
      const some = fields.find((k) => typeof def.defaults[k].value === 'number');
      if (some) assert.notStrictEqual(editorVerdict(def, node, some, '1${YOLO_EDGE_X}'), true, `${type} ${some}`);
    });
  }
});

describe('yolo-model: the model field', () => {
  const def = loadEditorDefs('yolo-model')['yolo-model'];
  const node = defaultsOf(def);
  const { isDefaultModelName } = lib('model/default-model');

  it('blank is the default model in both: the dialog does not flag it, and its label names that model', () => {
    for (const blank of ['', ' ', undefined]) {
      assert.strictEqual(isDefaultModelName(blank), true, JSON.stringify(blank));
      assert.strictEqual(editorNodeVerdict(def, { ...node, model: blank }), true, JSON.stringify(blank));
      assert.strictEqual(def.label.call({ ...node, model: blank }), def.defaults.model.value);
    }
    for (const ok of ['yolov8n.onnx', ' models/best.ONNX ', '/srv/m.onnx']) assert.strictEqual(editorVerdict(def, node, 'model', ok), true, ok);
    for (const bad of ['model.txt', 'best.pt', 'x']) assert.match(String(editorVerdict(def, node, 'model', bad)), /validation\.model$/, bad);
  });
});

describe('yolo-temperature folders and vcgencmd: the dialog and the runtime say the same, in plain words', () => {
  const def = loadEditorDefs('yolo-temperature')['yolo-temperature'];
  const node = defaultsOf(def);
  const catalogs = ['en-US', 'zh-CN'].map((l) => JSON.parse(fs.readFileSync(path.join(ROOT, 'nodes', 'locales', l, 'yolo-temperature.json'), 'utf8'))['yolo-temperature'].validation);
  const refused = (c) => RUNTIME['yolo-temperature']({ ...node, ...c });

  it('sysRoot and procRoot: a full folder path; blank is the default; a name starting with - or any relative one is refused', () => {
    for (const field of ['sysRoot', 'procRoot']) {
      for (const ok of ['', ' ', '/sys', ' /srv/fake-pi/sys ', '/-odd']) {
        assert.strictEqual(editorVerdict(def, node, field, ok), true, `${field}=${JSON.stringify(ok)}`);
        assert.strictEqual(refused({ [field]: ok }), null, `${field}=${JSON.stringify(ok)}`);
      }
      for (const bad of ['-x', ' --sys', 'sys', './sys']) {
        assert.match(String(editorVerdict(def, node, field, bad)), /validation\.folder$/, `${field}=${bad}`);
        assert.strictEqual(refused({ [field]: bad }), `${field} must be a full folder path starting with / (like /${field === 'sysRoot' ? 'sys' : 'proc'}), got ${JSON.stringify(bad)}`);
      }
    }
    assert.strictEqual(parseTemperatureConfig({ sysRoot: ' ', procRoot: ' /p ' }).monitor.sysRoot, '/sys');
    assert.strictEqual(parseTemperatureConfig({ sysRoot: ' ', procRoot: ' /p ' }).monitor.procRoot, '/p');
  });

  it('vcgencmd: a program name or path; blank turns it off; one starting with - is refused', () => {
    for (const ok of ['', 'vcgencmd', ' /usr/bin/vcgencmd ', 'bin/vc-gencmd']) {
      assert.strictEqual(editorVerdict(def, node, 'vcgencmd', ok), true, ok);
      assert.strictEqual(refused({ vcgencmd: ok }), null, ok);
    }
    assert.strictEqual(parseTemperatureConfig({ vcgencmd: ' ' }).monitor.vcgencmd, '');
    for (const bad of ['-x', ' --version']) {
      assert.match(String(editorVerdict(def, node, 'vcgencmd', bad)), /validation\.program$/, bad);
      assert.strictEqual(refused({ vcgencmd: bad }), `vcgencmd must be a program name or path, not starting with '-', got ${JSON.stringify(bad)}`);
    }
    // blank (off) with the source vcgencmd: both refuse it (the runtime took it, and every reading failed)
    const vcSource = { ...node, source: 'vcgencmd' };
    assert.match(String(editorVerdict(def, vcSource, 'vcgencmd', '')), /validation\.vcgencmdNeeded$/);
    assert.match(String(refused({ source: 'vcgencmd', vcgencmd: '' })), /^vcgencmd must be a program name when the temperature source is vcgencmd/);
    assert.strictEqual(editorVerdict(def, vcSource, 'vcgencmd', 'vcgencmd'), true);
    for (const v of catalogs) assert.ok(v.vcgencmdNeeded, 'the message is in each language');
  });

  it('the messages say what is wanted, not "option"', () => {
    for (const v of catalogs) {
      assert.ok(v.folder.includes('/') && v.program.includes('-'), JSON.stringify(v));
      assert.ok(!/option|选项/i.test(v.folder + v.program), JSON.stringify(v));
      assert.ok(!('notOption' in v), 'no CLI-option wording in the temperature dialog');
    }
  });
});

describe('yolo-temperature rates with the guard off', () => {
  const def = loadEditorDefs('yolo-temperature')['yolo-temperature'];
  const node = { ...defaultsOf(def), guard: false };

  it('each rate must still be a number >= 0 (the dialog keeps it), but need not be below the cooler one', () => {
    for (const field of ['warmFps', 'hotFps', 'criticalFps']) {
      for (const bad of ['abc', '-1', 'Infinity']) {
        assert.notStrictEqual(editorNodeVerdict(def, { ...node, [field]: bad }), true, `${field}=${bad}`);
        assert.strictEqual(RUNTIME['yolo-temperature']({ ...node, [field]: bad }), `${field} must be a number >= 0, got ${JSON.stringify(bad)}`);
      }
    }
    const faster = { ...node, warmFps: '1', hotFps: '5', criticalPause: false, criticalFps: '0' };
    assert.strictEqual(editorNodeVerdict(def, faster), true);
    assert.strictEqual(RUNTIME['yolo-temperature'](faster), null);
    assert.strictEqual(parseTemperatureConfig(faster).monitor.guard, null);
  });
});

describe('editor validation agrees with the camera node on its calibration fields', function () {
  this.timeout(60000);
  const cameraNode = require(path.join(DIST, 'nodes', 'yolo-camera.js'));
  let dir;
  before((done) => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'yolo-edge-calib-'));
    helper.startServer(done);
  });
  after(async () => {
    await helper.unload();
    await new Promise((r) => { helper.stopServer(r); });
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('calibEvery and calibMax: the dialog flags what the deployed node refuses', async () => {
    const def = loadEditorDefs('yolo-camera')['yolo-camera'];
    const cases = ['calibEvery', 'calibMax'].flatMap((field) => VALUES.map((value) => ({ field, value })));
    const flow = cases.map(({ field, value }, i) => ({ ...defaultsOf(def), id: `c${i}`, type: 'yolo-camera', source: 'test', autostart: false, calibDir: dir, [field]: value }));
    await helper.load(cameraNode, flow);
    const refused = new Set(helper.log().args.map(([e]) => e).filter((e) => e.level === helper.log().ERROR && /configuration/.test(e.msg)).map((e) => e.id));
    const wrong = cases.filter(({ field, value }, i) => (editorVerdict(def, flow[i], field, value) === true) === refused.has(`c${i}`));
    assert.deepStrictEqual(wrong.map(({ field, value }) => `${field}=${JSON.stringify(value)}`), []);
  });

  it('calibDir: a full folder path or blank; a relative one (~/calib would be a folder named ~ under Node-RED\'s working folder) is refused by both', async () => {
    const def = loadEditorDefs('yolo-camera')['yolo-camera'];
    await helper.unload(); // the test before left its flow loaded
    const values = ['', ' ', dir, ` ${dir} `, 'calib', '~/calib', './calib', '-x'];
    const flow = values.map((calibDir, i) => ({ ...defaultsOf(def), id: `d${i}`, type: 'yolo-camera', source: 'test', autostart: false, calibDir }));
    await helper.load(cameraNode, flow);
    const errors = helper.log().args.map(([e]) => e).filter((e) => e.level === helper.log().ERROR && /^d\d$/.test(e.id));
    assert.deepStrictEqual(errors.map((e) => e.id).sort(), ['d4', 'd5', 'd6', 'd7']);
    assert.match(errors.find((e) => e.id === 'd5').msg, /calibration folder must be a full folder path starting with \/ \(like \/home\/pi\/calib\), got "~\/calib"/);
    const wrong = values.filter((v, i) => (editorVerdict(def, flow[i], 'calibDir', v) === true) !== (i < 4));
    assert.deepStrictEqual(wrong, []);
  });

  it('a field that is ${NAME} is set at deploy and checked by the node then, as the dialog leaves it to', async () => {
    const def = loadEditorDefs('yolo-camera')['yolo-camera'];
    await helper.unload();
    const env = { YOLO_EDGE_TEST_SOURCE: 'test', YOLO_EDGE_TEST_FPS: '2', YOLO_EDGE_TEST_BAD: 'abc' };
    Object.assign(process.env, env);
    try {
      const base = { ...defaultsOf(def), type: 'yolo-camera', autostart: false, source: '${YOLO_EDGE_TEST_SOURCE}' };
      const flow = [
        { ...base, id: 'v0', fps: '${YOLO_EDGE_TEST_FPS}', quality: '$(YOLO_EDGE_TEST_FPS)' },
        { ...base, id: 'v1', fps: '${YOLO_EDGE_TEST_BAD}' },
      ];
      for (const n of flow) assert.strictEqual(editorNodeVerdict(def, n), true, n.id);
      await helper.load(cameraNode, flow);
      const errors = helper.log().args.map(([e]) => e).filter((e) => e.level === helper.log().ERROR && /^v\d$/.test(e.id));
      assert.deepStrictEqual(errors.map((e) => e.id), ['v1']);
      assert.match(errors[0].msg, /fps must be a number from 0\.01 to 120, got "abc"/);
    } finally {
      for (const k of Object.keys(env)) delete process.env[k];
    }
  });

  // Node-RED puts an environment variable in place of a property only when the whole value is ${NAME} (or $(NAME)):
  // one inside a path (${HOME}/calib) reaches the node as written, a relative path the node refuses.
  it('folder and calibDir: an environment variable counts when it is the whole value, as Node-RED sets it at deploy', async () => {
    const def = loadEditorDefs('yolo-camera')['yolo-camera'];
    await helper.unload();
    process.env.YOLO_EDGE_TEST_DIR = dir;
    try {
      const values = ['${YOLO_EDGE_TEST_DIR}', '$(YOLO_EDGE_TEST_DIR)', '${YOLO_EDGE_TEST_DIR}/calib', 'calib/${YOLO_EDGE_TEST_DIR}', ' ${YOLO_EDGE_TEST_DIR}', 'x${Y}'];
      const flow = values.flatMap((v, i) => [
        { ...defaultsOf(def), id: `e${i}`, type: 'yolo-camera', source: 'test', autostart: false, calibDir: v },
        { ...defaultsOf(def), id: `f${i}`, type: 'yolo-camera', source: 'folder', autostart: false, folder: v },
      ]);
      await helper.load(cameraNode, flow);
      const refused = new Set(helper.log().args.map(([e]) => e).filter((e) => e.level === helper.log().ERROR && /^[ef]\d$/.test(e.id)).map((e) => e.id));
      assert.deepStrictEqual([...refused].sort(), ['e2', 'e3', 'e4', 'e5', 'f2', 'f3', 'f4', 'f5'], 'the runtime');
      const wrong = flow.filter((n) => (editorNodeVerdict(def, n) === true) === refused.has(n.id)).map((n) => `${n.id} ${JSON.stringify(n.calibDir || n.folder)}`);
      assert.deepStrictEqual(wrong, [], 'the dialog flags what the node refuses');
    } finally {
      delete process.env.YOLO_EDGE_TEST_DIR;
    }
  });
});
