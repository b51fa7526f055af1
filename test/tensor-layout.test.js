'use strict';
// What the inference worker does around session.run: the frame's bytes into the tensor, the output into boxes.
const assert = require('assert');
const { lib } = require('./support/paths');
const { placeNchw, padNchw } = lib('image/tensor-layout');
const { BoxFinder } = lib('postprocess/find-boxes');

describe('frame to tensor (in the image worker) and output to boxes (in the inference worker)', () => {
  it('turns HWC bytes into NCHW planes: x / 255 in float32 for every byte, bytes unchanged for uint8 inputs', () => {
    // 16x16: every byte value once in each channel, uint8 written four pixels at a time; 5x3 (15 pixels) and a
    // frame at an odd offset in its buffer go byte by byte
    for (const [w, h, offset] of [[16, 16, 0], [5, 3, 0], [16, 16, 1], [5, 3, 1]]) {
      const plane = w * h;
      const src = pattern(w, h, offset);
      const f = new Float32Array(3 * plane);
      placeNchw(src, f, whole(w, h));
      const u = new Uint8Array(3 * plane);
      placeNchw(src, u, whole(w, h));
      for (let i = 0; i < plane; i++) {
        for (let c = 0; c < 3; c++) {
          assert.strictEqual(f[c * plane + i], Math.fround(src[3 * i + c] / 255), `${w}x${h}+${offset}: pixel ${i} channel ${c}`);
          assert.strictEqual(u[c * plane + i], src[3 * i + c], `${w}x${h}+${offset}: pixel ${i} channel ${c}`);
        }
      }
    }
  });

  it('places a frame at its letterbox offset and pads around it, however the tensor held another frame before', () => {
    // full-width rows (one run per plane, two bands to pad), narrower rows at a left offset (row by row; 8 wide by
    // word, 5 and an odd offset byte by byte), in 12x10 and 16x10 tensors; 9x3 pads word by word from an odd start
    const cases = [[12, 6, 12, 10, 0, 2], [8, 10, 16, 10, 4, 0], [5, 7, 12, 10, 3, 1], [8, 4, 12, 10, 1, 3], [9, 1, 9, 3, 0, 1]];
    for (const [width, height, dstWidth, dstHeight, left, top] of cases) {
      const src = pattern(width, height, 0);
      const p = { width, height, dstWidth, dstHeight, left, top };
      for (const t of [new Uint8Array(3 * dstWidth * dstHeight), new Float32Array(3 * dstWidth * dstHeight)]) {
        t.fill(7); // what an earlier frame left
        padNchw(t, p, 114);
        placeNchw(src, t, p);
        const plane = dstWidth * dstHeight;
        for (let c = 0; c < 3; c++) {
          for (let y = 0; y < dstHeight; y++) {
            for (let x = 0; x < dstWidth; x++) {
              const inside = x >= left && x < left + width && y >= top && y < top + height;
              const byte = inside ? src[3 * ((y - top) * width + x - left) + c] : 114;
              const want = t instanceof Uint8Array ? byte : Math.fround(byte / 255);
              assert.strictEqual(t[c * plane + y * dstWidth + x], want, `${JSON.stringify(p)} ${t.constructor.name}: ${x},${y} channel ${c}`);
            }
          }
        }
      }
    }
  });

  it('refuses a frame that does not fit, or buffers too small for the size', () => {
    assert.throws(() => placeNchw(new Uint8Array(10), new Float32Array(12), whole(2, 2)), RangeError);
    assert.throws(() => placeNchw(new Uint8Array(12), new Uint8Array(11), whole(2, 2)), RangeError);
    assert.throws(() => placeNchw(new Uint8Array(12), new Uint8Array(27), { width: 2, height: 2, dstWidth: 3, dstHeight: 3, left: 2, top: 0 }), RangeError);
  });

  it('keeps the best boxes after NMS, compacted best first, and the top scores of an end-to-end output', () => {
    const n = 4, nc = 2;
    const raw = new Float32Array((4 + nc) * n);
    const set = (i, cx, cy, bw, bh, s0, s1) => [cx, cy, bw, bh, s0, s1].forEach((v, r) => { raw[r * n + i] = v; });
    set(0, 50, 50, 20, 20, 0.9, 0.1);
    set(1, 51, 50, 20, 20, 0.8, 0.1); // overlaps 0, same class: suppressed
    set(2, 200, 200, 10, 10, 0.1, 0.6);
    set(3, 300, 300, 10, 10, 0.2, 0.1); // under the threshold
    const o = { layout: 'yolov8', numClasses: nc, confidence: 0.25, classes: null, multiLabel: false, iou: 0.7, agnostic: false, maxDetections: 300 };
    const finder = new BoxFinder();
    const f = finder.find(raw, [1, 4 + nc, n], o);
    assert.deepStrictEqual(Array.from(f.classIds), [0, 1]);
    assert.deepStrictEqual(Array.from(f.scores).map((s) => +s.toFixed(2)), [0.9, 0.6]);
    assert.deepStrictEqual(Array.from(f.boxes), [40, 40, 60, 60, 195, 195, 205, 205]);
    assert.deepStrictEqual(Array.from(finder.find(raw, [1, 4 + nc, n], { ...o, classes: [1] }).classIds), [1], 'class filter');
    const e2e = new Float32Array([0, 0, 10, 10, 0.5, 3, 5, 5, 20, 20, 0.9, 1, 1, 1, 2, 2, 0.1, 0]);
    const top = finder.find(e2e, [1, 3, 6], { ...o, layout: 'end2end', numClasses: 4, maxDetections: 1 }); // an end-to-end model's classes are its names'
    assert.deepStrictEqual([Array.from(top.classIds), Array.from(top.boxes)], [[1], [5, 5, 20, 20]]);
  });
});

function whole(width, height) {
  return { width, height, dstWidth: width, dstHeight: height, left: 0, top: 0 };
}

/** HWC bytes with every channel different, at an offset in their buffer. */
function pattern(w, h, offset) {
  const plane = w * h;
  const src = new Uint8Array(new ArrayBuffer(3 * plane + offset), offset);
  for (let i = 0; i < plane; i++) { src[3 * i] = i; src[3 * i + 1] = 255 - i; src[3 * i + 2] = (i * 7) & 255; }
  return src;
}
