import { FieldCode, flag, NumberRule, numberField } from './config/fields';
import { DetectOptions } from './detector';
import { YoloEdgeError } from './errors';

/** The detection fields of a detecting node's dialog, as Node-RED stores them. */
export interface DetectFields {
  confidence?: unknown;
  iou?: unknown;
  classes?: unknown;
  maxDetections?: unknown;
  agnostic?: unknown;
}

/** Class names or ids: an array, or a comma-separated string; empty keeps every class. */
export function classList(v: unknown, code: FieldCode = 'BAD_CONFIG'): string[] {
  if (Array.isArray(v)) return v.map((c) => String(c).trim()).filter(Boolean);
  if (typeof v === 'string') return v.split(',').map((c) => c.trim()).filter(Boolean);
  throw new YoloEdgeError('classes must be an array or a comma-separated string', code);
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
  };
}
