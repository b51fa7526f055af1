// Shared by the nodes that detect: per-message options, image payloads and the output msg shape.
import type { NodeDef, NodeMessageInFlow } from 'node-red';
import { DetectionResult, DetectOptions, Detector, describeDetector, ModelIdentity } from '../../lib/detector';
import { countByClass, toAnnotations } from '../../lib/image/annotate';
import { readImageFile } from '../../lib/image/read-file';
import { ImageInput, isBytes, isRawImage, Timings } from '../../lib/types';
import { flag, isBlank, kindOf, NumberRule, optionalNumber } from '../../lib/config/fields';
import { classList, DetectFields, MAX_DETECTIONS } from '../../lib/detect-config';
import { YoloEdgeError } from '../../lib/errors';
import type { BusyCounters } from '../../lib/pipeline/busy-queue';

/** Editor fields of the detecting nodes: the thresholds (lib/detect-config) and the file-path option. */
export interface DetectNodeFields extends NodeDef, DetectFields {
  /** A string msg.payload is a file path to read (off unless set: older flows and http-in flows stay safe). */
  filePaths?: unknown;
}

/** The "read file paths" option, read as a flag: the text 'true' (a flow from the admin API) left it off without a word. */
export function filePathsOption(config: DetectNodeFields): boolean {
  return flag('read file paths', config.filePaths, false);
}

export type Msg = NodeMessageInFlow & Record<string, unknown>;

/** What msg.detection.counters holds: the busy queue's, the rate gate's and the frame outcomes. */
export interface FrameCounters extends BusyCounters {
  processed: number;
  failed: number;
  droppedByRate: number;
  droppedByPause: number;
}

/** msg.detection of every detecting node's output. */
export interface MsgDetection {
  model: ModelIdentity;
  imageWidth: number;
  imageHeight: number;
  /** Objects per class name. */
  counts: Record<string, number>;
  timings: Timings;
  counters: FrameCounters;
}

/**
 * A per-message number override (msg.confidence...): BAD_OPTION when out of range; blank (null, '') keeps the
 * node's setting, as for msg.agnostic and msg.annotate (a change node copying an unset flow variable gives null).
 */
function msgNumber(v: unknown, name: string, rule: NumberRule): number | undefined {
  return optionalNumber(name, v, { ...rule, code: 'BAD_OPTION' });
}

export function wantsAnnotation(msg: Msg, configured: boolean): boolean {
  return flag('msg.annotate', msg.annotate, !!configured, 'BAD_OPTION');
}

const NUMBER_OVERRIDES: ReadonlyArray<readonly ['confidence' | 'iou' | 'maxDetections', NumberRule]> = [
  ['confidence', { min: 0, max: 1 }],
  ['iou', { min: 0, max: 1 }],
  ['maxDetections', MAX_DETECTIONS],
];

/** Node options, overridden per message by msg.confidence, msg.iou, msg.classes, msg.maxDetections, msg.agnostic. */
export function detectOptions(base: Partial<DetectOptions>, msg: Msg): Partial<DetectOptions> {
  const o = { ...base };
  for (const [key, rule] of NUMBER_OVERRIDES) {
    const v = msgNumber(msg[key], `msg.${key}`, rule);
    if (v !== undefined) o[key] = v;
  }
  // blank keeps the node's list, as for the numbers; [] is the way to ask for every class
  if (!isBlank(msg.classes)) o.classes = classList(msg.classes, 'BAD_OPTION', 'msg.classes');
  if (msg.agnostic !== undefined) o.agnostic = flag('msg.agnostic', msg.agnostic, !!o.agnostic, 'BAD_OPTION');
  return o;
}

/** An object literal of any realm (a function node's have its sandbox's Object.prototype). */
function isPlainObject(v: unknown): boolean {
  if (v === null || typeof v !== 'object') return false;
  const proto = Object.getPrototypeOf(v) as object | null;
  return proto === null || Object.getPrototypeOf(proto) === null;
}

/** Why a plain object is not raw pixels: the field that is wrong, else the shape expected. */
function notRawPixels(o: Record<string, unknown>): string {
  const shape = 'raw pixels {data: Buffer, width, height, channels}';
  if (!('data' in o)) return ` that is not ${shape}`;
  // a canvas ImageData's Uint8ClampedArray, or a Buffer that went through JSON ({type: 'Buffer', data: [...]})
  if (!isBytes(o.data)) return ` that is not ${shape}: its data must be a Buffer or Uint8Array, got ${kindOf(o.data)}`;
  const bad = (['width', 'height'] as const).find((k) => typeof o[k] !== 'number');
  return bad ? ` that is not ${shape}: its ${bad} must be a number, got ${kindOf(o[bad])}` : ` that is not ${shape}`;
}

/**
 * Base64 of a JPEG, PNG or WebP (their first bytes encoded, then base64 alone): no file path looks like that. Two
 * tests, not one pattern: a star followed by more backtracks over megabytes of text that ends in another character.
 */
const isBase64Image = (text: string): boolean => /^(?:\/9j\/|iVBORw0KGgo|UklGR)/.test(text) && !/[^A-Za-z0-9+/=\s]/.test(text);

/**
 * Why a text payload is an image that was not decoded (a data URL or base64 text), else undefined: read as a file
 * path it would fail with ENAMETOOLONG, and the hint to turn on file paths would mislead.
 */
function undecodedImage(text: string): string | undefined {
  if (text.startsWith('data:')) return 'msg.payload is a data URL, not image bytes: decode its base64 part to a Buffer first';
  if (isBase64Image(text)) return 'msg.payload is base64 text of an image, not image bytes: decode it to a Buffer first (Buffer.from(msg.payload, "base64") in a function node)';
  return undefined;
}

/**
 * The msg's image: encoded bytes or raw pixels {data, width, height, channels} in msg.payload; a file path in
 * msg.payload only when the node allows it (off by default: an http-in flow must not read the host's files); else
 * a file named by msg.filename (as Node-RED's file nodes name files), whatever else msg.payload holds (an inject
 * node's timestamp).
 */
export async function imageOf(msg: Msg, filePaths: boolean): Promise<ImageInput> {
  const payload = msg.payload;
  if (isBytes(payload)) return payload;
  if (isRawImage(payload)) return payload;
  const text = typeof payload === 'string' ? payload.trim() : '';
  const undecoded = text ? undecodedImage(text) : undefined;
  if (filePaths && text && !undecoded) return readImageFile(payload as string);
  if (msg.filename !== undefined) {
    if (typeof msg.filename !== 'string') throw new YoloEdgeError(`msg.filename must be a file path, got ${kindOf(msg.filename)}`, 'BAD_PAYLOAD');
    return readImageFile(msg.filename);
  }
  if (undecoded) throw new YoloEdgeError(undecoded, 'BAD_PAYLOAD');
  if (text) throw new YoloEdgeError('msg.payload is a string, not an image: a file path in msg.payload is read only when the node\'s "read file paths" option is on; or name the file in msg.filename', 'BAD_PAYLOAD');
  throw new YoloEdgeError(`msg.payload must be an image Buffer (JPEG/PNG/WebP), a file path or raw pixels, got ${kindOf(payload)}${isPlainObject(payload) ? notRawPixels(payload as Record<string, unknown>) : ''}`, 'BAD_PAYLOAD');
}

/**
 * A detection result as the fields its msg gets: payload, annotations, detection{...}, image, and annotated when asked
 * (detect drew it). Made apart from the msg: the frame runtime writes them only as it sends, so a frame that fails
 * before then reaches Catch nodes with the msg the flow sent.
 */
export function detectionFields(detector: Detector, r: DetectionResult, input: ImageInput, annotate: boolean, counters: FrameCounters): Record<string, unknown> {
  const fields: Record<string, unknown> = {};
  if (annotate) fields.annotated = r.annotated;
  if (isBytes(input)) fields.image = input;
  fields.payload = r.detections;
  fields.annotations = toAnnotations(r.detections);
  const detection: MsgDetection = { model: describeDetector(detector), imageWidth: r.imageWidth, imageHeight: r.imageHeight, counts: countByClass(r.detections), timings: r.timings, counters };
  fields.detection = detection;
  return fields;
}
