import { FieldCode, flag, kindOf, NumberRule, numberField } from './config/fields';
import { DetectOptions } from './detector';
import { YoloEdgeError } from './errors';
import { MAX_CLASSES } from './model/model-info';

/** The detection fields of a detecting node's dialog, as Node-RED stores them. */
export interface DetectFields {
  confidence?: unknown;
  iou?: unknown;
  classes?: unknown;
  maxDetections?: unknown;
  agnostic?: unknown;
  annotate?: unknown;
}

/**
 * Class names or ids: an array of names and ids, a comma-separated string, or one id; empty keeps every class.
 * `field` names the value in errors (msg.classes for a message).
 */
export function classList(v: unknown, code: FieldCode = 'BAD_CONFIG', field = 'classes'): string[] {
  if (typeof v === 'string') {
    // split no further than the limit: a string of a million commas would be a million entries to look up
    const parts = v.split(',', MAX_CLASSES + 1);
    if (parts.length > MAX_CLASSES) throw new YoloEdgeError(`${field} has more than ${MAX_CLASSES} entries, more than any model has classes`, code);
    return parts.map((c) => c.trim()).filter(Boolean);
  }
  if (typeof v === 'number' && Number.isInteger(v) && v >= 0) return [String(v)];
  if (!Array.isArray(v)) throw new YoloEdgeError(`${field} must be an array, a comma-separated string or a class id, got ${kindOf(v)}`, code);
  // no model has more classes: a longer list is a mistake, and checking each entry would hold the event loop
  if (v.length > MAX_CLASSES) throw new YoloEdgeError(`${field} has ${v.length} entries, more than any model has classes (${MAX_CLASSES})`, code);
  const bad = v.findIndex((c) => typeof c !== 'string' && !(typeof c === 'number' && Number.isInteger(c) && c >= 0));
  if (bad >= 0) throw new YoloEdgeError(`${field}[${bad}] must be a class name or id, got ${kindOf(v[bad])}`, code);
  return v.map((c) => String(c).trim()).filter(Boolean);
}

/** Boxes kept per frame, in a node's setting and in msg.maxDetections alike. */
export const MAX_DETECTIONS: NumberRule = { min: 1, max: 30000, integer: true };

/** The node's configured thresholds, the defaults for blank fields; BAD_CONFIG for the rest. */
export function parseDetectConfig(c: DetectFields): Partial<DetectOptions> {
  return {
    confidence: numberField('confidence', c.confidence, 0.25, { min: 0, max: 1 }),
    iou: numberField('IoU', c.iou, 0.7, { min: 0, max: 1 }),
    classes: classList(c.classes ?? ''),
    maxDetections: numberField('max detections', c.maxDetections, 300, MAX_DETECTIONS),
    agnostic: flag('agnostic', c.agnostic, false),
    // read as a flag: the text 'false' (a flow from the admin API) turned annotation on
    annotate: flag('annotate', c.annotate, false),
  };
}
