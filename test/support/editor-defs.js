'use strict';
// The node definitions of nodes/*.html as the editor registers them, without a browser: the shared helper
// (resources/yolo-edge-editor.js) and each file's inline script run in a sandbox with a small RED and jQuery.
// No edit dialog is open (jQuery finds nothing), so validators read the node's own values, as at deploy.
const fs = require('fs');
const path = require('path');
const vm = require('vm');
const { ROOT } = require('./paths');

const HELPER = fs.readFileSync(path.join(ROOT, 'resources', 'yolo-edge-editor.js'), 'utf8');

/** The settings the runtime exports to the editor (registerType's settings), from the built package. */
function exportedSettings() {
  const { FIELD_SOURCES } = require(path.join(ROOT, 'dist', 'lib', 'camera', 'config.js'));
  const { TOPICS } = require(path.join(ROOT, 'dist', 'lib', 'topics.js'));
  return { yoloCameraFieldSources: FIELD_SOURCES, yolov8DetectPreviewTopic: TOPICS.preview };
}

/** A jQuery result that matches nothing. */
function nothing() {
  const none = { length: 0 };
  for (const m of ['val', 'is', 'on', 'trigger', 'toggle', 'attr', 'prop', 'find', 'not', 'each', 'text', 'empty', 'append', 'show', 'hide', 'addClass', 'removeClass', 'toggleClass', 'closest']) {
    none[m] = () => (m === 'val' || m === 'is' ? undefined : none);
  }
  return none;
}

/** { type: definition } for the node set `set` (nodes/<set>.html); messages are the catalog keys themselves. */
function loadEditorDefs(set) {
  const html = fs.readFileSync(path.join(ROOT, 'nodes', `${set}.html`), 'utf8');
  const scripts = [...html.matchAll(/<script type="text\/javascript">([\s\S]*?)<\/script>/g)].map((m) => m[1]);
  const defs = {};
  const RED = {
    _: (key, opts) => (opts ? `${key} ${JSON.stringify(opts)}` : key),
    nodes: { registerType: (type, def) => { defs[type] = def; }, getType: (type) => defs[type] },
    settings: exportedSettings(),
    comms: { subscribe() {} },
    events: { on() {} },
  };
  const $ = () => nothing();
  const window = {};
  const context = vm.createContext({ window, RED, $, console, URL, document: { getElementById: () => null } });
  vm.runInContext(HELPER, context, { filename: 'resources/yolo-edge-editor.js' });
  context.YoloEdgeEditor = window.YoloEdgeEditor;
  for (const s of scripts) vm.runInContext(s, context, { filename: `nodes/${set}.html` });
  return defs;
}

/**
 * What the editor says about `value` in `field` of a node with these values: true, or the reason (a string,
 * or 'required' for Node-RED's own required check). As Node-RED's validateNodeProperty does it.
 */
function editorVerdict(def, node, field, value) {
  const d = def.defaults[field];
  if (d.required && value === '') return 'required';
  if (!d.validate) return true;
  const r = d.validate.call({ ...node, [field]: value }, value, {});
  return r === true ? true : String(r);
}

/**
 * Whether the editor takes the node as it is (Node-RED marks a node with any invalid field as invalid and warns at
 * deploy): true, or '<field>: <reason>' for the first field it refuses. Rules between fields (a threshold below the
 * next) may flag the other field, so whole nodes are compared with the runtime, which refuses the whole node.
 */
function editorNodeVerdict(def, node) {
  for (const field of Object.keys(def.defaults)) {
    if (def.defaults[field].type) continue; // a config node: chosen from a list, not typed
    const r = editorVerdict(def, node, field, node[field]);
    if (r !== true) return `${field}: ${r}`;
  }
  return true;
}

/** The defaults of a definition as a new node gets them. */
function defaultsOf(def) {
  return Object.fromEntries(Object.entries(def.defaults).map(([k, d]) => [k, d.value]));
}

module.exports = { loadEditorDefs, editorVerdict, editorNodeVerdict, defaultsOf };
