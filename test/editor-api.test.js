'use strict';
// The editor's server side: the model picker's admin endpoints (no path traversal) and the preview thumbnails.
const assert = require('assert');
const fs = require('fs');
const path = require('path');
const helper = require('node-red-node-test-helper');
const { helperServerWithUserDir } = require('./support/helper-server');
const sharp = require('sharp');
const { DIST, MODEL, requireModel, cocoImage } = require('./support/paths');
const fx = require('./support/fixtures');
const { until } = require('./support/wait');

const modelNode = require(path.join(DIST, 'nodes', 'yolo-model.js'));
const detectNode = require(path.join(DIST, 'nodes', 'yolov8-detect.js'));
const { events } = require(require.resolve('@node-red/util', { paths: [path.dirname(require.resolve('node-red'))] }));

helper.init(require.resolve('node-red'));

const modelFlow = [{ id: 'm1', type: 'yolo-model', model: 'yolov8n.onnx', threads: 1, providers: 'cpu', names: '' }];

/** A Node-RED user dir with models/: the default model under another name, a non-detector, junk and traps. */
function userDirWithModels() {
  const userDir = fx.tmpDir('yolo-edge-userdir-');
  const models = path.join(userDir, 'models');
  fs.mkdirSync(path.join(models, 'sub'), { recursive: true });
  fs.symlinkSync(MODEL, path.join(models, 'coco-copy.onnx'));
  fx.writeClassifierModel(path.join(models, 'classifier.onnx'));
  fs.writeFileSync(path.join(models, 'notes.txt'), 'not a model');
  fs.writeFileSync(path.join(models, '.hidden.onnx'), 'hidden');
  fs.symlinkSync(MODEL, path.join(models, 'sub', 'nested.onnx'));
  fs.writeFileSync(path.join(userDir, 'secret.onnx'), 'outside models/');
  return userDir;
}

/**
 * Counts the model picker's describe workers (each one a thread): started in all and most alive at once (of those
 * started from now on: one kept from an earlier test is not counted), and the files sent to describe (a describe
 * worker is sent file paths; other workers get objects).
 */
function countDescribeWorkers() {
  const threads = require('worker_threads');
  const Original = threads.Worker;
  const post = Original.prototype.postMessage;
  const count = {
    started: 0, live: 0, peak: 0, described: 0,
    restore: () => {
      threads.Worker = Original;
      Original.prototype.postMessage = post;
    },
  };
  threads.Worker = class extends Original {
    constructor(file, options) {
      super(file, options);
      if (!String(file).endsWith('describe-worker.js')) return;
      count.started++;
      if (options?.workerData?.file) count.described++; // a worker started for one file (before workers were kept)
      count.peak = Math.max(count.peak, ++count.live);
      this.once('exit', () => count.live--);
    }
  };
  Original.prototype.postMessage = function (m, ...rest) {
    if (typeof m === 'string' && m.endsWith('.onnx')) count.described++;
    return post.call(this, m, ...rest);
  };
  return count;
}

describe('model picker admin endpoints', function () {
  this.timeout(60000);
  let userDir;
  before(() => {
    requireModel();
    userDir = userDirWithModels();
  });
  helperServerWithUserDir(helper, () => userDir);

  it('lists the package and user models with class names, input size and precision read from the files', async () => {
    await helper.load(modelNode, modelFlow);
    const res = await helper.request().get('/yolo-edge/models').expect(200);
    const byValue = Object.fromEntries(res.body.models.map((m) => [m.value, m]));
    assert.deepStrictEqual(res.body.folders.map((f) => f.source), ['package', 'user']);
    assert.deepStrictEqual(res.body.folders.map((f) => f.label), ["the package's models/", 'models/ in the Node-RED user directory']);
    assert.ok(!JSON.stringify(res.body).includes(userDir), 'no absolute paths of the host in the listing');
    // Only bare .onnx files directly in the folders; notes, hidden files and sub folders are not listed.
    const userValues = res.body.models.filter((m) => m.source === 'user').map((m) => m.value);
    assert.deepStrictEqual(userValues, ['models/classifier.onnx', 'models/coco-copy.onnx']);
    const coco = byValue['yolov8n.onnx'];
    assert.ok(coco, JSON.stringify(Object.keys(byValue)));
    assert.strictEqual(coco.source, 'package');
    assert.strictEqual(coco.info.numClasses, 80);
    assert.deepStrictEqual(coco.info.names.slice(0, 3), ['person', 'bicycle', 'car']);
    assert.deepStrictEqual([coco.info.inputWidth, coco.info.inputHeight, coco.info.precision, coco.info.layout], [640, 640, 'fp32', 'yolov8']);
    assert.strictEqual(coco.size, fs.statSync(MODEL).size);
    assert.deepStrictEqual(byValue['models/coco-copy.onnx'].info, coco.info);
    assert.match(byValue['models/classifier.onnx'].error, /not a YOLO detection output/);
    assert.ok(!byValue['models/classifier.onnx'].error.includes(userDir), 'errors do not reveal server paths');
  });

  it('describes one listed model, and a user-dir value resolves to the same file in the yolo-model node', async () => {
    await helper.load(modelNode, [{ ...modelFlow[0], model: 'models/coco-copy.onnx' }]);
    const res = await helper.request().get('/yolo-edge/models/user/coco-copy.onnx').expect(200);
    assert.strictEqual(res.body.value, 'models/coco-copy.onnx');
    assert.strictEqual(res.body.info.numClasses, 80);
    assert.strictEqual(helper.getNode('m1').modelPath, path.join(userDir, 'models', 'coco-copy.onnx'));
    await helper.request().get('/yolo-edge/models/package/yolov8n.onnx').expect(200);
  });

  it('refuses anything but a bare file name listed in one of the two folders', async () => {
    await helper.load(modelNode, modelFlow);
    const attempts = [
      '/yolo-edge/models/user/..%2Fsecret.onnx',
      '/yolo-edge/models/user/..%2F..%2F..%2F..%2Fetc%2Fpasswd',
      '/yolo-edge/models/user/%2Fetc%2Fpasswd',
      '/yolo-edge/models/user/sub%2Fnested.onnx',
      '/yolo-edge/models/user/..%5Csecret.onnx',
      '/yolo-edge/models/user/.hidden.onnx',
      '/yolo-edge/models/user/notes.txt',
      '/yolo-edge/models/user/missing.onnx',
      '/yolo-edge/models/package/..%2F..%2Fpackage.json',
      '/yolo-edge/models/package/%2E%2E%2Fmodels%2Fyolov8n.onnx',
      '/yolo-edge/models/..%2Fuser/coco-copy.onnx',
      '/yolo-edge/models/elsewhere/yolov8n.onnx',
    ];
    for (const url of attempts) {
      const res = await helper.request().get(url);
      assert.ok(res.status === 404, `${url}: ${res.status}`);
      assert.ok(!res.body.info && !/root:|outside models/.test(res.text), `${url}: ${res.text}`);
    }
    // A path that Express normalises before routing does not reach the handler either.
    const raw = await helper.request().get('/yolo-edge/models/user/../../secret.onnx');
    assert.notStrictEqual(raw.status, 200);
  });

  it('answers a malformed percent sequence in :source or :file with a JSON 400, as its other errors (it was Express\'s HTML page with a stack trace)', async () => {
    await helper.load(modelNode, modelFlow);
    for (const url of ['/yolo-edge/models/x/%E0%A4%A', '/yolo-edge/models/%ZZ/a.onnx', '/yolo-edge/models/user/coco%-copy.onnx']) {
      const res = await helper.request().get(url);
      assert.strictEqual(res.status, 400, url);
      assert.match(res.headers['content-type'], /^application\/json/, url);
      assert.deepStrictEqual(res.body, { error: 'the folder or file name in the URL is not valid percent-encoding' }, url);
    }
    // a well-formed name still reaches the endpoint
    await helper.request().get('/yolo-edge/models/user/coco%2Dcopy.onnx').expect(200);
  });

  it('leaves out a file whose name holds a control character: the model value it made (models/a\\nb.onnx) is refused at deploy', async () => {
    const odd = path.join(userDir, 'models', 'line\nbreak.onnx');
    fs.copyFileSync(path.join(userDir, 'models', 'notes.txt'), odd);
    try {
      await helper.load(modelNode, modelFlow);
      const res = await helper.request().get('/yolo-edge/models').expect(200);
      assert.deepStrictEqual(res.body.models.filter((m) => /[\0-\x1f]/.test(m.file)), []);
      assert.ok(res.body.models.some((m) => m.file === 'coco-copy.onnx'), 'the other files are listed');
      await helper.request().get('/yolo-edge/models/user/line%0Abreak.onnx').expect(404);
    } finally {
      fs.rmSync(odd);
    }
  });

  it('describes a huge model without reading its weights: memory bounded, and a FIFO named .onnx is skipped', async () => {
    // The default model with a 1.5 GB initializer appended (a second graph field merges into the first); the
    // appended data is a sparse hole, so the file costs no disk.
    const big = path.join(userDir, 'models', 'huge.onnx');
    const bytes = fs.readFileSync(MODEL);
    const dataLen = 1.5 * 2 ** 30;
    const varint = (v) => { const o = []; while (v >= 0x80) { o.push((v % 128) | 0x80); v = Math.floor(v / 128); } o.push(v); return Buffer.from(o); };
    const field = (n, body) => Buffer.concat([varint((n << 3) | 2), varint(body.length), body]);
    const name = field(8, Buffer.from('huge_weight'));
    const head = Buffer.concat([varint((1 << 3) | 0), varint(dataLen / 4), varint((2 << 3) | 0), varint(1), name, varint((9 << 3) | 2), varint(dataLen)]);
    const tensorLen = head.length + dataLen;
    const initHead = Buffer.concat([varint((5 << 3) | 2), varint(tensorLen), head]);
    const graphHead = Buffer.concat([varint((7 << 3) | 2), varint(initHead.length + dataLen)]);
    fs.writeFileSync(big, Buffer.concat([bytes, graphHead, initHead]));
    fs.truncateSync(big, bytes.length + graphHead.length + initHead.length + dataLen);
    const fifo = path.join(userDir, 'models', 'fifo.onnx');
    require('child_process').execFileSync('mkfifo', [fifo]);
    try {
      await helper.load(modelNode, modelFlow);
      global.gc?.();
      const before = process.memoryUsage().rss;
      const t = Date.now();
      const res = await helper.request().get('/yolo-edge/models').expect(200);
      const grown = process.memoryUsage().rss - before;
      const huge = res.body.models.find((m) => m.value === 'models/huge.onnx');
      assert.ok(huge?.info, JSON.stringify(huge));
      assert.strictEqual(huge.info.numClasses, 80);
      assert.strictEqual(huge.size, fs.statSync(big).size);
      assert.ok(!res.body.models.some((m) => m.file === 'fifo.onnx'), 'a FIFO is not a model file');
      assert.ok(grown < 100 * 2 ** 20, `RSS grew by ${(grown / 2 ** 20).toFixed(0)} MB`);
      assert.ok(Date.now() - t < 20000);
    } finally {
      fs.rmSync(big, { force: true });
      fs.rmSync(fifo, { force: true });
    }
  });

  it('lists a hostile .onnx (millions of tiny fields, a 200 MB tensor name) with an error, in bounded memory', async () => {
    const varint = (v) => { const o = []; while (v >= 0x80) { o.push((v % 128) | 0x80); v = Math.floor(v / 128); } o.push(v); return Buffer.from(o); };
    const flood = path.join(userDir, 'models', 'flood.onnx');
    fs.writeFileSync(flood, Buffer.alloc(10 * 2 ** 20, Buffer.from([0x08, 0x01]))); // 5 million ir_version fields
    // graph > initializer > name, the name's bytes a sparse hole
    const nameLen = 200 * 2 ** 20;
    const nameHead = Buffer.concat([varint((8 << 3) | 2), varint(nameLen)]);
    const initHead = Buffer.concat([varint((5 << 3) | 2), varint(nameHead.length + nameLen), nameHead]);
    const graphHead = Buffer.concat([varint((7 << 3) | 2), varint(initHead.length + nameLen)]);
    const longName = path.join(userDir, 'models', 'long-name.onnx');
    fs.writeFileSync(longName, Buffer.concat([graphHead, initHead]));
    fs.truncateSync(longName, graphHead.length + initHead.length + nameLen);
    try {
      await helper.load(modelNode, modelFlow);
      global.gc?.();
      const before = process.memoryUsage().rss;
      const res = await helper.request().get('/yolo-edge/models').expect(200);
      const grown = process.memoryUsage().rss - before;
      for (const file of ['flood.onnx', 'long-name.onnx']) {
        const m = res.body.models.find((x) => x.file === file);
        assert.ok(m && !m.info && /too (large|many)/.test(m.error), JSON.stringify(m));
      }
      assert.ok(res.body.models.some((m) => m.file === 'coco-copy.onnx' && m.info), 'the other models are still described');
      assert.ok(grown < 100 * 2 ** 20, `RSS grew by ${(grown / 2 ** 20).toFixed(0)} MB`);
    } finally {
      fs.rmSync(flood, { force: true });
      fs.rmSync(longName, { force: true });
    }
  });

  it('lists a model the load refuses for its size or shape with the load\'s error, and the picker stays up', async () => {
    const models = path.join(userDir, 'models');
    const { onnx } = require('onnx-proto');
    const variant = (file, change) => {
      const m = onnx.ModelProto.decode(fs.readFileSync(MODEL));
      change(m.graph);
      fs.writeFileSync(path.join(models, file), onnx.ModelProto.encode(m).finish());
    };
    const dims = (value, d) => { value.type.tensorType.shape.dim = d.map((v) => ({ dimValue: v })); };
    variant('huge-input.onnx', (g) => dims(g.input[0], [1, 3, 65536, 65536]));
    // read as 99,999,996 classes, each named: the describe worker's heap ran out and took the process with it
    variant('huge-head.onnx', (g) => dims(g.output[0], [1, 100000000, 2000000000]));
    try {
      await helper.load(modelNode, modelFlow);
      const res = await helper.request().get('/yolo-edge/models').expect(200);
      const error = (file) => res.body.models.find((m) => m.file === file)?.error;
      assert.strictEqual(error('huge-input.onnx'), "huge-input.onnx: input 'images' is 65536x65536, over 4096 on a side; export it at a smaller imgsz, or make it smaller with yolo-edge resize-input");
      assert.match(error('huge-head.onnx'), /^huge-head\.onnx: output shape \[1,100000000,2000000000\] would mean 99999996 classes, over the 10000/);
      assert.ok(res.body.models.some((m) => m.file === 'coco-copy.onnx' && m.info), 'the other models are still described');
    } finally {
      for (const f of ['huge-input.onnx', 'huge-head.onnx']) fs.rmSync(path.join(models, f), { force: true });
    }
  });


  it('lists a model of 10000 long class names and a long description in a short entry: the first names, cut', async () => {
    // each file's names and metadata went into the listing whole: 100 such files made a 160 MB answer
    const { declaredOutput, namesMetadata } = require('./support/model-variants');
    const { onnx } = require('onnx-proto');
    const models = path.join(userDir, 'models');
    const head = path.join(fx.tmpDir('yolo-edge-head-'), 'head.onnx');
    declaredOutput(MODEL, head, [1, 10004, 8400]); // 10000 classes
    const long = (i) => `${i}:${'x'.repeat(150)}`;
    namesMetadata(head, path.join(models, 'many-names.onnx'), `[${Array.from({ length: 10000 }, (_, i) => `'${long(i)}'`).join(', ')}]`);
    const m = onnx.ModelProto.decode(fs.readFileSync(MODEL));
    m.metadataProps.find((p) => p.key === 'description').value = 'd'.repeat(500000);
    fs.writeFileSync(path.join(models, 'long-description.onnx'), onnx.ModelProto.encode(m).finish());
    const { PICKER_NAMES, PICKER_TEXT_MAX } = require(path.join(DIST, 'lib', 'model', 'model-catalog.js'));
    try {
      await helper.load(modelNode, modelFlow);
      const res = await helper.request().get('/yolo-edge/models').expect(200);
      const entry = (file) => res.body.models.find((x) => x.file === file);
      const many = entry('many-names.onnx');
      assert.strictEqual(many.info.numClasses, 10000);
      assert.strictEqual(many.info.names.length, PICKER_NAMES);
      // each the start of its name, cut and marked
      assert.deepStrictEqual(many.info.names, Array.from({ length: PICKER_NAMES }, (_, i) => `${long(i).slice(0, PICKER_TEXT_MAX - 1)}…`));
      assert.ok(JSON.stringify(many).length < 4000, `${JSON.stringify(many).length} bytes`);
      const described = entry('long-description.onnx').info;
      assert.strictEqual(described.description.length, PICKER_TEXT_MAX);
      assert.deepStrictEqual(described.names.slice(0, 3), ['person', 'bicycle', 'car']);
      // the one-file endpoint answers the same entry
      const one = await helper.request().get('/yolo-edge/models/user/many-names.onnx').expect(200);
      assert.deepStrictEqual(one.body, many);
    } finally {
      for (const f of ['many-names.onnx', 'long-description.onnx']) fs.rmSync(path.join(models, f), { force: true });
    }
  });
  it('describes a .onnx of millions of packed int64 dims off the event loop and in bounded memory', async () => {
    // graph > initializer whose dims are one packed field of n varints: protobufjs makes a Long object of each.
    // 30 MB of them held Node-RED's event loop 7 s and took 2 GB, at the request of anyone who may read the list.
    const varint = (v) => { const o = []; while (v >= 0x80) { o.push((v % 128) | 0x80); v = Math.floor(v / 128); } o.push(v); return Buffer.from(o); };
    const field = (n, body) => Buffer.concat([varint((n << 3) | 2), varint(body.length), body]);
    const packedDims = (n) => {
      const tensor = Buffer.concat([field(1, Buffer.alloc(n, 1)), Buffer.from([0x10, 0x01]), field(8, Buffer.from('w'))]);
      const graph = Buffer.concat([field(1, Buffer.from([0x0a, 0x01, 0x61, 0x22, 0x01, 0x41])), field(5, tensor), field(11, field(1, Buffer.from('x')))]);
      return Buffer.concat([Buffer.from([0x08, 0x08]), field(7, graph)]);
    };
    const files = { 'dims-10mb.onnx': packedDims(10 * 2 ** 20), 'dims-1.9mb.onnx': packedDims(1.9 * 2 ** 20) };
    for (const [f, bytes] of Object.entries(files)) fs.writeFileSync(path.join(userDir, 'models', f), bytes);
    // listed after the worker that ran out of heap: a new worker describes it
    const after = path.join(userDir, 'models', 'e-after.onnx');
    fs.symlinkSync(MODEL, after);
    try {
      await helper.load(modelNode, modelFlow);
      global.gc?.();
      const before = process.memoryUsage().rss;
      let peak = before;
      let gap = 0;
      let last = performance.now();
      const tick = setInterval(() => {
        const now = performance.now();
        gap = Math.max(gap, now - last);
        last = now;
        peak = Math.max(peak, process.memoryUsage().rss);
      }, 10);
      const res = await helper.request().get('/yolo-edge/models').expect(200);
      clearInterval(tick);
      assert.match(res.body.models.find((m) => m.file === 'dims-10mb.onnx').error, /too large to describe without its weights/);
      assert.match(res.body.models.find((m) => m.file === 'dims-1.9mb.onnx').error, /input 'x' has shape \[\]/);
      assert.ok(res.body.models.some((m) => m.file === 'coco-copy.onnx' && m.info), 'the other models are still described');
      assert.strictEqual(res.body.models.find((m) => m.file === 'e-after.onnx').info?.numClasses, 80);
      assert.ok(gap < 300, `event loop held ${gap.toFixed(0)} ms`);
      assert.ok(peak - before < 300 * 2 ** 20, `RSS grew by ${((peak - before) / 2 ** 20).toFixed(0)} MB`);
    } finally {
      for (const f of Object.keys(files)) fs.rmSync(path.join(userDir, 'models', f), { force: true });
      fs.rmSync(after, { force: true });
    }
  });

  it('describes one file at a time however many requests come at once', async () => {
    // 40 requests for 40 different files: each describe is a worker of up to 512 MB heap (150 at once took
    // Node-RED from 160 to 930 MB of RSS)
    const files = Array.from({ length: 40 }, (_, i) => `junk${i}.onnx`);
    for (const f of files) fs.writeFileSync(path.join(userDir, 'models', f), `junk ${f}`);
    const workers = countDescribeWorkers();
    try {
      await helper.load(modelNode, modelFlow);
      const answers = await Promise.all(files.map((f) => helper.request().get(`/yolo-edge/models/user/${f}`)));
      // each answer is its own file's: one worker takes the files in turn
      answers.forEach((res, i) => assert.ok(res.body.error.startsWith(`${files[i]} is not an ONNX model`), res.text));
      assert.ok(workers.peak <= 1, `${workers.peak} describe workers at once`);
    } finally {
      workers.restore();
      for (const f of files) fs.rmSync(path.join(userDir, 'models', f), { force: true });
    }
  });

  it('a describe worker thread that cannot start fails that listing only, not every one after it', () => {
    // Describes run in turn, each after the one before: a turn that threw (the Worker constructor throws when no
    // thread can be created) failed every later turn too, so the picker answered 500 until Node-RED restarted.
    // In a process of its own: here a worker kept from an earlier test would be used instead of a new one.
    const script = `
      const threads = require('worker_threads');
      const Original = threads.Worker;
      let refuse = 1;
      threads.Worker = class extends Original {
        constructor(file, options) {
          if (refuse-- > 0) throw Object.assign(new Error('no thread'), { code: 'ERR_WORKER_INIT_FAILED' });
          super(file, options);
        }
      };
      const { ModelCatalog } = require(${JSON.stringify(path.join(DIST, 'lib', 'model', 'model-catalog.js'))});
      const folders = [{ source: 'user', dir: ${JSON.stringify(path.join(userDir, 'models'))}, prefix: 'models/' }];
      const list = () => new ModelCatalog().list(folders).then(({ models: m }) => m.map((x) => x.file + ':' + (x.info ? x.info.numClasses : 'error')).join(' '), (e) => 'failed: ' + e.message);
      list().then(async (first) => { console.log(first); console.log(await list()); process.exit(0); });
    `;
    const r = require('child_process').spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 60000 });
    assert.deepStrictEqual(r.stdout.trim().split('\n'), ['failed: no thread', 'classifier.onnx:error coco-copy.onnx:80'], r.stderr);
  });

  it('describes the new files of a listing one after another in one worker thread', async () => {
    // a worker each cost about 45 ms, more than a model's describe: 2000 files took 100 s
    const files = Array.from({ length: 30 }, (_, i) => `junk${String(i).padStart(3, '0')}.onnx`);
    for (const f of files) fs.writeFileSync(path.join(userDir, 'models', f), `junk ${f}`);
    const workers = countDescribeWorkers();
    try {
      await helper.load(modelNode, modelFlow);
      const res = await helper.request().get('/yolo-edge/models').expect(200);
      for (const f of files) assert.ok(res.body.models.find((m) => m.file === f).error.startsWith(`${f} is not an ONNX model`), f);
      assert.ok(res.body.models.some((m) => m.file === 'coco-copy.onnx' && m.info?.numClasses === 80), 'real models are still described');
      assert.ok(workers.described >= files.length, `${workers.described} describes`);
      assert.ok(workers.started <= 1, `${workers.started} describe workers started for ${workers.described} files`);
    } finally {
      workers.restore();
      for (const f of files) fs.rmSync(path.join(userDir, 'models', f), { force: true });
    }
  });

  it('lists the first 1000 files of a larger folder and says how many it left out; one past them is still found by name', async () => {
    // 100000 files were each described at every listing (about 20 s, 25 MB of JSON), holding every editor's picker
    const dir = path.join(userDir, 'models');
    const before = fs.readdirSync(dir).filter((f) => f.endsWith('.onnx') && !f.startsWith('.')).length;
    const files = Array.from({ length: 1003 }, (_, i) => `zz${String(i).padStart(4, '0')}.onnx`);
    for (const f of files) fs.writeFileSync(path.join(dir, f), `junk ${f}`);
    try {
      await helper.load(modelNode, modelFlow);
      const res = await helper.request().get('/yolo-edge/models').expect(200);
      const user = res.body.models.filter((m) => m.source === 'user');
      assert.strictEqual(user.length, 1000);
      assert.strictEqual(res.body.folders.find((f) => f.source === 'user').unlisted, before + files.length - 1000);
      assert.strictEqual(res.body.folders.find((f) => f.source === 'package').unlisted, 0);
      assert.ok(!user.some((m) => m.file === 'zz1002.onnx'), 'the last by name is left out');
      const past = await helper.request().get('/yolo-edge/models/user/zz1002.onnx').expect(200);
      assert.match(past.body.error, /^zz1002\.onnx is not an ONNX model/);
    } finally {
      for (const f of files) fs.rmSync(path.join(dir, f), { force: true });
    }
  });

  it('lists a folder of more models than before again from its cache, describing only a file that changed', async () => {
    // 100 files: the cache held 64 descriptions, so each listing described every file again (a worker each)
    const files = Array.from({ length: 100 }, (_, i) => `junk${String(i).padStart(3, '0')}.onnx`);
    for (const f of files) fs.writeFileSync(path.join(userDir, 'models', f), `junk ${f}`);
    const workers = countDescribeWorkers();
    try {
      await helper.load(modelNode, modelFlow);
      const first = await helper.request().get('/yolo-edge/models').expect(200);
      assert.ok(workers.described >= files.length, `${workers.described} describes for ${files.length} new files`);
      const described = workers.described;
      const again = await helper.request().get('/yolo-edge/models').expect(200);
      assert.deepStrictEqual(again.body, first.body);
      assert.strictEqual(workers.described - described, 0, 'the second listing describes nothing again');
      fs.writeFileSync(path.join(userDir, 'models', files[7]), 'replaced by a longer file');
      await helper.request().get('/yolo-edge/models').expect(200);
      assert.strictEqual(workers.described - described, 1, 'only the replaced file is described again');
    } finally {
      workers.restore();
      for (const f of files) fs.rmSync(path.join(userDir, 'models', f), { force: true });
    }
  });

  it('has no user section when Node-RED has no user dir', async () => {
    helper.settings({ userDir: undefined });
    await helper.load(modelNode, modelFlow);
    const res = await helper.request().get('/yolo-edge/models').expect(200);
    assert.deepStrictEqual(res.body.folders.map((f) => f.source), ['package']);
    await helper.request().get('/yolo-edge/models/user/coco-copy.onnx').expect(404);
  });
});

describe('yolov8-detect editor preview', function () {
  this.timeout(120000);
  let zebra;
  let published;
  const onComms = (e) => { if (e.topic.startsWith('yolo-edge/preview/')) published.push(e); };
  before(() => {
    requireModel();
    zebra = fs.readFileSync(cocoImage('000000000034.jpg'));
  });
  beforeEach((done) => {
    published = [];
    events.on('comms', onComms);
    helper.startServer(done);
  });
  afterEach(async () => {
    events.removeListener('comms', onComms);
    await helper.unload();
    await new Promise((r) => { helper.stopServer(r); });
  });

  const flow = (preview) => [
    modelFlow[0],
    { id: 'd1', type: 'yolov8-detect', model: 'm1', confidence: 0.25, iou: 0.7, classes: '', maxDetections: 300, agnostic: false, annotate: false, busyPolicy: 'queue', queueSize: 100, wires: [['out']], ...(preview === undefined ? {} : { preview }) },
    { id: 'out', type: 'helper' },
  ];

  async function run(n) {
    const out = helper.getNode('out');
    const d1 = helper.getNode('d1');
    let seen = 0;
    const all = new Promise((resolve) => out.on('input', () => { if (++seen === n) resolve(); }));
    for (let i = 0; i < n; i++) d1.receive({ payload: zebra });
    await all;
    await new Promise((r) => setTimeout(r, 300)); // the thumbnail is made after the message is sent
  }

  it('publishes a small annotated JPEG, at most one per second, retained for editors opened later', async () => {
    await helper.load([modelNode, detectNode], flow(undefined)); // flows saved before the option: preview on
    const started = Date.now();
    await run(12);
    const elapsed = Date.now() - started;
    assert.ok(published.length >= 1 && published.length <= Math.floor(elapsed / 1000) + 1, `published ${published.length} in ${elapsed} ms`);
    for (let i = 1; i < published.length; i++) assert.ok(published[i].data.at - published[i - 1].data.at >= 1000);
    const p = published[0];
    assert.strictEqual(p.topic, 'yolo-edge/preview/d1');
    assert.strictEqual(p.retain, true);
    assert.strictEqual(p.data.objects, 1);
    const jpeg = Buffer.from(p.data.image.replace(/^data:image\/jpeg;base64,/, ''), 'base64');
    const meta = await sharp(jpeg).metadata();
    const src = await sharp(zebra).metadata();
    assert.deepStrictEqual([meta.format, meta.width, meta.height], ['jpeg', 160, Math.round((src.height * 160) / src.width)]);
    assert.ok(jpeg.length < 16 * 1024, `${jpeg.length} bytes`);
  });

  it('keeps the thumbnail of a tall frame small: it fits in 160x320 (a 100x50000 strip was sent at full size)', async () => {
    await helper.load([modelNode, detectNode], flow(true));
    const out = helper.getNode('out');
    const sent = new Promise((resolve) => out.on('input', resolve));
    helper.getNode('d1').receive({ payload: await sharp({ create: { width: 100, height: 50000, channels: 3, background: '#888' } }).png().toBuffer() });
    await sent;
    await until(() => published.length > 0, 'a thumbnail');
    const meta = await sharp(Buffer.from(published[0].data.image.replace(/^data:image\/jpeg;base64,/, ''), 'base64')).metadata();
    assert.deepStrictEqual([meta.width, meta.height], [1, 320]);
  });

  it('a node deleted while a frame is in it leaves no thumbnail for editors opened later', async () => {
    // The thumbnail was cleared as the close began and then published again, retained, by the frame in progress:
    // every editor opened after showed the last frame of a node that no longer exists.
    await helper.load([modelNode, detectNode], flow(undefined));
    const d1 = helper.getNode('d1');
    await run(1); // the model is loaded
    await new Promise((r) => setTimeout(r, 1100)); // the next frame gets a thumbnail (at most one a second)
    published = [];
    d1.receive({ payload: zebra });
    await d1.close(true);
    await new Promise((r) => setTimeout(r, 300)); // anything the closed node publishes late
    assert.ok(published.length > 0, 'the node cleared its thumbnail');
    const last = published[published.length - 1];
    assert.deepStrictEqual([last.topic, last.data.image, last.retain], ['yolo-edge/preview/d1', null, false], JSON.stringify(published.map((e) => [e.data.image && 'image', e.retain])));
  });

  it('sends nothing but a clear message when switched off', async () => {
    await helper.load([modelNode, detectNode], flow(false));
    await run(3);
    assert.deepStrictEqual(published.map((e) => [e.topic, e.data.image, e.retain]), [['yolo-edge/preview/d1', null, false]]);
  });

  it('reads the option as a flag: "false" or 0 from a flow file or the admin API switches it off (it kept sending thumbnails)', async () => {
    for (const off of ['false', 0, 'off']) {
      published = [];
      await helper.load([modelNode, detectNode], flow(off));
      await run(2);
      assert.deepStrictEqual(published.map((e) => [e.topic, e.data.image, e.retain]), [['yolo-edge/preview/d1', null, false]], `preview ${JSON.stringify(off)}`);
      await helper.unload();
    }
    await helper.load([modelNode, detectNode], flow('no'));
    const d1 = helper.getNode('d1');
    assert.deepStrictEqual(d1.status.lastCall.args[0], { fill: 'red', shape: 'ring', text: 'preview must be true or false, got "no"' });
  });
});

describe('model picker admin endpoints and the preview in a Node-RED with adminAuth', function () {
  this.timeout(120000);
  const { startNodeRed } = require('./support/node-red-server');
  const users = [
    { username: 'viewer', password: 'viewer-pw-1', permissions: 'read' },
    { username: 'flows', password: 'flows-pw-1', permissions: ['flows.read'] },
  ];
  let red;
  before(async () => {
    requireModel();
    // a detect node that gets a frame a second, for the preview
    const flows = [
      { id: 't1', type: 'tab' },
      { id: 'm1', type: 'yolo-model', model: 'yolov8n.onnx', threads: 1, providers: 'cpu', names: '' },
      { id: 'i1', type: 'inject', z: 't1', once: true, onceDelay: 0.1, repeat: '1', payload: '', payloadType: 'date', wires: [['f1']] },
      { id: 'f1', type: 'file in', z: 't1', filename: cocoImage('000000000034.jpg'), filenameType: 'str', format: '', wires: [['d1']] },
      { id: 'd1', type: 'yolov8-detect', z: 't1', model: 'm1', wires: [[]] },
    ];
    red = await startNodeRed({ users, flows });
  });
  after(async () => { await red?.stop(); });

  async function bearer(username, password, scope) {
    const res = await fetch(`${red.url}/auth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ client_id: 'node-red-admin', grant_type: 'password', scope, username, password }),
    });
    assert.strictEqual(res.status, 200, `login as ${username}`);
    return { authorization: `Bearer ${(await res.json()).access_token}` };
  }

  it('answers only users with yolo-model.read (a read-only user has it), as core nodes guard theirs', async () => {
    const urls = ['/yolo-edge/models', '/yolo-edge/models/package/yolov8n.onnx'];
    const as = {
      nobody: {},
      flows: await bearer('flows', 'flows-pw-1', 'flows.read'),
      viewer: await bearer('viewer', 'viewer-pw-1', 'read'),
      admin: await bearer(red.user, red.password, '*'),
    };
    for (const url of urls) {
      const status = {};
      for (const [who, headers] of Object.entries(as)) status[who] = (await fetch(red.url + url, { headers })).status;
      assert.deepStrictEqual(status, { nobody: 401, flows: 401, viewer: 200, admin: 200 }, url);
    }
    const listing = await (await fetch(`${red.url}/yolo-edge/models`, { headers: as.viewer })).json();
    assert.ok(listing.models.some((m) => m.value === 'yolov8n.onnx' && m.info?.numClasses === 80), JSON.stringify(listing).slice(0, 300));
  });

  it('sends the preview thumbnails to every editor user who may read, a read-only one too, and to no one else', async () => {
    // as the help says: the frames are private only with the preview off
    const tokens = {
      nobody: undefined,
      flows: (await bearer('flows', 'flows-pw-1', 'flows.read')).authorization.slice(7),
      viewer: (await bearer('viewer', 'viewer-pw-1', 'read')).authorization.slice(7),
    };
    const previews = {};
    for (const [who, token] of Object.entries(tokens)) {
      const ws = new WebSocket(`${red.url.replace(/^http/, 'ws')}/comms`);
      const got = [];
      let authOk = false;
      ws.onmessage = (e) => {
        const m = JSON.parse(e.data);
        if (m.auth === 'ok') authOk = true;
        got.push(...[].concat(m).filter((x) => x.topic?.startsWith('yolo-edge/preview/') && x.data.image));
      };
      await new Promise((resolve) => { ws.onopen = resolve; });
      // as the editor does: subscribe once the login is taken (a message before that fails it)
      if (token) {
        ws.send(JSON.stringify({ auth: token }));
        await until(() => authOk || ws.readyState === WebSocket.CLOSED, `${who}: the login answered`, 30000);
      }
      ws.send(JSON.stringify({ subscribe: 'yolo-edge/preview/#' }));
      // the retained thumbnail comes at once to a user who may see it; a new one each second after
      await until(() => got.length > 0 || ws.readyState === WebSocket.CLOSED, `${who}: a preview or the socket closed`, 30000);
      previews[who] = got.length > 0;
      ws.close();
    }
    assert.deepStrictEqual(previews, { nobody: false, flows: false, viewer: true });
  });
});

describe('model picker: a model whose output shape does not tell its classes', function () {
  this.timeout(60000);
  it('is listed as read when it loads, not as a model of 0 classes', async () => {
    const { declaredOutput, namesMetadata } = require('./support/model-variants');
    const { ModelCatalog } = require(path.join(DIST, 'lib', 'model', 'model-catalog.js'));
    const dir = fx.tmpDir();
    const bare = namesMetadata(requireModel(), path.join(fx.tmpDir(), 'bare.onnx'), '');
    declaredOutput(bare, path.join(dir, 'open.onnx'), [1, 'c', 'anchors']);
    fs.symlinkSync(MODEL, path.join(dir, 'coco.onnx'));
    const { models } = await new ModelCatalog().list([{ source: 'user', dir, prefix: 'models/' }]);
    assert.deepStrictEqual(models.map((m) => [m.file, m.info.layoutFromRun, m.info.numClasses]), [['coco.onnx', false, 80], ['open.onnx', true, 0]]);
  });
});
