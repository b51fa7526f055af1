'use strict';
const assert = require('assert');
const { lib } = require('./support/paths');
const { parsePythonRepr } = lib('model/python-repr');
const { parseNames, detectLayout, describeModel, headAnchors } = lib('model/model-info');
const { tinyConvModel } = require('./support/tiny-model');

describe('model metadata', () => {
  it('parses Ultralytics names dicts, including quotes inside names', () => {
    assert.deepStrictEqual(parseNames("{0: 'person', 1: \"it's\", 2: 'traffic light'}"), ['person', "it's", 'traffic light']);
    assert.deepStrictEqual(parseNames("['a', 'b']"), ['a', 'b']);
    assert.strictEqual(parseNames('{0: '), undefined);
  });

  it('decodes the escapes of Python reprs and of JSON (non-ASCII names written with json.dumps)', () => {
    assert.deepStrictEqual(parseNames('{"0": "caf\\u00e9", "1": "\\u4eba", "2": "\\ud83d\\ude97 car", "3": "a\\/b"}'), ['café', '人', '🚗 car', 'a/b']);
    assert.deepStrictEqual(parseNames("{0: 'tab\\there\\r', 1: '\\x0bvt', 2: '\\U0001f697', 3: 'back\\\\slash', 4: 'nul\\0'}"), ['tab\there\r', '\x0bvt', '🚗', 'back\\slash', 'nul\0']);
  });

  it('reads 10 MB of names in about as much heap (a character at a time held 670 MB)', () => {
    const text = `{${Array.from({ length: 80 }, (_, i) => `${i}: '${'x'.repeat(130000)}\\t${i}'`).join(', ')}}`;
    global.gc?.();
    const before = process.memoryUsage().heapUsed;
    const names = parseNames(text);
    global.gc?.();
    const grown = process.memoryUsage().heapUsed - before;
    assert.strictEqual(names.length, 80);
    assert.strictEqual(names[79], `${'x'.repeat(130000)}\t79`);
    assert.ok(grown < 150 * 2 ** 20, `heap grew by ${(grown / 2 ** 20).toFixed(0)} MB`);
    assert.deepStrictEqual(parseNames("['', 'a\\'b', \"\\\\\"]"), ['', "a'b", '\\']);
    assert.strictEqual(parseNames("['abc"), undefined);
  });

  it('parses imgsz lists and scalars', () => {
    assert.deepStrictEqual(parsePythonRepr('[640, 480]'), [640, 480]);
    assert.strictEqual(parsePythonRepr('32'), 32);
    assert.strictEqual(parsePythonRepr('True'), true);
  });

  it('tells output layouts apart by shape and class count', () => {
    assert.deepStrictEqual(detectLayout([1, 84, 8400], 80, false), { layout: 'yolov8', numClasses: 80 });
    assert.deepStrictEqual(detectLayout([1, 7, 8400], undefined, false), { layout: 'yolov8', numClasses: 3 });
    assert.deepStrictEqual(detectLayout([1, 25200, 85], undefined, false), { layout: 'yolov5', numClasses: 80 });
    assert.deepStrictEqual(detectLayout([1, 25200, 6], 1, false), { layout: 'yolov5', numClasses: 1 });
    assert.deepStrictEqual(detectLayout([1, 300, 6], 80, true), { layout: 'end2end', numClasses: 80 });
    // a one-class end-to-end export without the end2end key (YOLOv10): its 300 rows are no anchor grid; read as
    // one-class YOLOv5, it gave no detections
    assert.deepStrictEqual(detectLayout([1, 300, 6], 1, false), { layout: 'end2end', numClasses: 1 });
    assert.throws(() => detectLayout([1, 1000], 80, false), /not a YOLO detection output/);
  });

  it('tells the axes apart by the anchor count of the input size, not by which is larger', () => {
    assert.deepStrictEqual(headAnchors(640, 640), { yolov8: 8400, yolov5: 25200 });
    assert.deepStrictEqual(headAnchors(100, 75), { yolov8: 13 * 10 + 7 * 5 + 4 * 3, yolov5: 3 * (13 * 10 + 7 * 5 + 4 * 3) });
    assert.strictEqual(headAnchors(640, 640, 64).yolov8, 8400 + 100);
    // 600 classes at 160x160 (525 anchors): fewer anchors than channels, read as YOLOv5 with 520 classes before
    const at160 = headAnchors(160, 160);
    assert.deepStrictEqual(detectLayout([1, 604, 525], undefined, false, 'm', at160), { layout: 'yolov8', numClasses: 600 });
    assert.deepStrictEqual(detectLayout([1, 1575, 605], undefined, false, 'm', at160), { layout: 'yolov5', numClasses: 600 });
    // a one-class YOLOv5 head at 96x96 has 567 rows: no end-to-end output for being under 1000 rows
    assert.deepStrictEqual(detectLayout([1, 567, 6], undefined, false, 'm', headAnchors(96, 96)), { layout: 'yolov5', numClasses: 1 });
    assert.deepStrictEqual(detectLayout([1, 300, 6], undefined, false, 'm', headAnchors(96, 96)), { layout: 'end2end', numClasses: 80 });
    // a shape that reads either way at its size is refused, naming the fix, unless the names tell
    const at64 = headAnchors(64, 64);
    assert.throws(() => detectLayout([1, 252, 84], undefined, false, 'm', at64), (e) => e.code === 'NOT_DETECTOR' && /reads as YOLOv8 with 248 classes or as YOLOv5 with 79 at its input size: name its classes/.test(e.message));
    assert.deepStrictEqual(detectLayout([1, 252, 84], 79, false, 'm', at64), { layout: 'yolov5', numClasses: 79 });
  });

  it('refuses a head output transposed, its anchors on the channel axis (it was read as the other layout: no boxes, or objectness as class 0)', () => {
    const at640 = headAnchors(640, 640);
    const refused = (dims, names, which) => assert.throws(() => detectLayout(dims, names, false, 'm', at640),
      (e) => e.code === 'NOT_DETECTOR' && e.message.startsWith(`m: output shape [${dims}] is ${which}`), `${dims} ${names}`);
    // a transposed YOLOv8 is told by its names: 4+nc columns, one row a cell
    refused([1, 8400, 84], 80, 'a YOLOv8 output transposed');
    refused([1, 8400, 6], 2, 'a YOLOv8 output transposed');
    for (const names of [undefined, 80, 2]) refused([1, 85, 25200], names, 'a YOLOv5 output transposed');
    // one row a cell of 5+nc columns is YOLOX's and YOLOv6's layout, read as YOLOv5's with or without names
    assert.deepStrictEqual(detectLayout([1, 8400, 85], undefined, false, 'm', at640), { layout: 'yolov5', numClasses: 80 });
    assert.deepStrictEqual(detectLayout([1, 8400, 85], 80, false, 'm', at640), { layout: 'yolov5', numClasses: 80 });
    // at 64x64 a YOLOv8 head of 80 classes has as many anchors as channels: [1, 84, 84] is read as it is
    assert.deepStrictEqual(detectLayout([1, 84, 84], undefined, false, 'm', headAnchors(64, 64)), { layout: 'yolov8', numClasses: 80 });
  });

  it('leaves the layout open where a symbolic dim hides it, to be read from the first run (the class axis was taken for anchors)', () => {
    const at640 = headAnchors(640, 640);
    // [1, -1, 8400] was YOLOv5 with 8395 classes: 8400 is the anchor count at 640, so YOLOv8, of the names' count
    assert.strictEqual(detectLayout([1, -1, 8400], undefined, false, 'm', at640), undefined);
    assert.deepStrictEqual(detectLayout([1, -1, 8400], 80, false, 'm', at640), { layout: 'yolov8', numClasses: 80 });
    assert.strictEqual(detectLayout([1, 25200, -1], undefined, false, 'm', at640), undefined);
    assert.strictEqual(detectLayout([1, -1, -1], 80, false, 'm', at640), undefined);
    // a dynamic export's symbolic axis is its anchors'
    assert.deepStrictEqual(detectLayout([1, 84, -1], undefined, false, 'm', at640), { layout: 'yolov8', numClasses: 80 });
    assert.deepStrictEqual(detectLayout([1, -1, 85], undefined, false, 'm', at640), { layout: 'yolov5', numClasses: 80 });
    // a dim declared 0 is unknown as well (the inference worker takes any size for it): it was NOT_DETECTOR without names
    assert.deepStrictEqual(detectLayout([1, 84, 0], undefined, false, 'm', at640), { layout: 'yolov8', numClasses: 80 });
    assert.deepStrictEqual(detectLayout([0, 0, 85], undefined, false, 'm', at640), { layout: 'yolov5', numClasses: 80 });
    assert.strictEqual(detectLayout([1, 0, 8400], undefined, false, 'm', at640), undefined);
    assert.throws(() => detectLayout([2, 84, 8400], undefined, false, 'm', at640), (e) => e.code === 'NOT_DETECTOR' && e.message.startsWith('m: output shape [2,84,8400] is not a YOLO detection output'));
  });

  it('names a non-detect task in a bounded message (a 1 MB task text was put whole in the error and the status)', () => {
    const model = tinyConvModel({ cin: 3, cout: 84, size: 64, weights: new Array(252).fill(0), bias: new Array(84).fill(0) });
    model.metadataProps.push({ key: 'task', value: 'x'.repeat(1e6) });
    assert.throws(() => describeModel(model, 'm.onnx'), (e) => e.code === 'NOT_DETECTOR' && e.message.length < 200 && /1000000 characters/.test(e.message));
    model.metadataProps[0].value = 'segment';
    assert.throws(() => describeModel(model, 'm.onnx'), (e) => e.message === 'm.onnx is a "segment" model, not an object detector');
  });

  it('refuses an input of another batch size or a side of 0 or less before any run (onnxruntime refused it at the warm-up, in its words)', () => {
    const { valueDims } = lib('model/onnx-file');
    const model = tinyConvModel({ cin: 3, cout: 84, size: 64, weights: new Array(252).fill(0), bias: new Array(84).fill(0) });
    const input = model.graph.input[0];
    const setDims = (dims) => { input.type.tensorType.shape.dim = dims.map((d) => (typeof d === 'string' ? { dimParam: d } : d === null ? {} : { dimValue: d })); };
    setDims([8, 3, 640, 640]);
    assert.throws(() => describeModel(model, 'm.onnx'), (e) => e.code === 'NOT_DETECTOR' && /batch size 8 .*export it with batch=1/.test(e.message));
    for (const [h, w] of [[0, 0], [640, 0], [-5, 640]]) {
      setDims([1, 3, h, w]);
      assert.throws(() => describeModel(model, 'm.onnx'), (e) => e.code === 'BAD_SIZE' && e.message === `m.onnx: input 'x' is declared ${h}x${w}: each side must be from 1 to 4096, or symbolic (a dynamic export)`);
    }
    // a dimension with neither value nor name is unknown, as a named one: not a side of 0
    setDims(['batch', 3, null, 'w']);
    assert.deepStrictEqual(valueDims(input), [-1, 3, -1, -1]);
    assert.throws(() => describeModel(model, 'm.onnx'), /output shape/); // past the input checks
  });

  it('refuses an output shape that would mean more classes than any detector has (their names ran the heap out)', () => {
    assert.deepStrictEqual(detectLayout([1, 10004, 20000], undefined, false), { layout: 'yolov8', numClasses: 10000 });
    for (const dims of [[1, 100000000, 2000000000], [1, 10005, 20000], [1, 2000000000, 100000000]]) {
      assert.throws(() => detectLayout(dims, undefined, false), (e) => e.code === 'NOT_DETECTOR' && /over the 10000 a detector is taken to have/.test(e.message));
    }
  });
});
