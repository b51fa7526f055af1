'use strict';
// Stand-ins for a yolo-model node and its detector, for node tests that must hold a frame as long as they need.

/**
 * A yolo-model stand-in whose detectors the test drives: `detectors[model]()` gives the node's detector, so a run can be
 * held as long as a test needs (a worker in its restart backoff holds one up to 30 s).
 */
function stubModelNode(detectors) {
  return (RED) => {
    function StubModel(config) {
      RED.nodes.createNode(this, config);
      this.modelPath = config.model;
      this.detector = () => detectors[config.model]();
      this.watchFetch = () => () => undefined;
      this.register = () => undefined;
      this.deregister = () => undefined;
    }
    RED.nodes.registerType('yolo-model', StubModel);
  };
}

/** A detector stand-in answering `detect` with `detections` (none unless given), after `hold` when one is given. */
function stubDetector(name, hold, detections = []) {
  const timings = { decode: 0, preprocess: 0, inference: 1, postprocess: 0, total: 1, queued: 0 };
  const info = { path: name, sha256: name, metadata: {}, precision: 'fp32', names: ['part'], inputWidth: 8, inputHeight: 8 };
  return { info, checkOptions() {}, checkFile: async () => undefined, onState: () => () => undefined, detect: async () => { await hold?.(); return { detections, imageWidth: 8, imageHeight: 8, timings }; } };
}

module.exports = { stubModelNode, stubDetector };
