'use strict';
const assert = require('assert');
const { lib } = require('./support/paths');
const { WarningFilter, WARN_REPEAT_MS } = lib('camera/warning-filter');

describe('camera: which warnings reach the log', () => {
  let t;
  let f;
  beforeEach(() => {
    t = 0;
    f = new WarningFilter(() => t);
  });

  it('logs a reason once, and again after a minute', () => {
    assert.strictEqual(f.admit('rpicam-vid not found'), true);
    t += WARN_REPEAT_MS - 1;
    assert.strictEqual(f.admit('rpicam-vid not found'), false);
    t += 1;
    assert.strictEqual(f.admit('rpicam-vid not found'), true);
  });

  it('takes a stall whose counts changed since the last retry for the same reason', () => {
    assert.strictEqual(f.admit('no JPEG frame for 10.0 s (37206 bytes received, 37206 not JPEG, 0 parts rejected)'), true);
    assert.strictEqual(f.admit('no JPEG frame for 10.0 s (51544 bytes received, 51544 not JPEG, 2 parts rejected)'), false);
    assert.strictEqual(f.admit('no JPEG frame for 10.0 s (3 frames over the max frame size (0.1 MB); 900 bytes read from rpicam-vid, 0 not JPEG)'), true, 'another reason');
    assert.strictEqual(f.admit('HTTP 500 Internal Server Error'), true);
    assert.strictEqual(f.admit('HTTP 503 Service Unavailable'), true, 'other numbers are part of the reason');
  });

  it('logs each of two alternating reasons once, not every time the other one came between', () => {
    const logged = [];
    for (let i = 0; i < 10; i++) for (const m of ['connection refused', 'HTTP 401 Unauthorized']) if (f.admit(m)) logged.push(m);
    assert.deepStrictEqual(logged, ['connection refused', 'HTTP 401 Unauthorized']);
  });
});
