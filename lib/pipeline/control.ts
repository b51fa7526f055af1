import { numberOf, shown, shownStart } from '../config/fields';
import { YoloEdgeError } from '../errors';
import { TOPICS } from '../topics';
import { isRawImage } from '../types';

/**
 * What a yolo-edge/control message carries: maxFps (0 or null lifts the limit), pause, or both; and who sends it.
 * Each sender's limit holds until that sender lifts it: the temperature guard's resume does not end a pause the flow
 * set by hand for maintenance.
 */
export interface ControlPayload {
  maxFps?: number | null;
  pause?: boolean;
  /** The sender (GUARD_SOURCE for yolo-temperature); a message without one is the flow's own (FLOW_SOURCE). */
  source?: string;
}

export const FLOW_SOURCE = 'flow';
export const GUARD_SOURCE = 'yolo-temperature';
/** A source is a name, not data. */
const MAX_SOURCE_LENGTH = 100;

/**
 * The control payload in `v`, checked; undefined when `v` is an image sent on the control topic (bytes, a raw
 * image or a file path: taken as a frame). Bad values, an object that sets neither maxFps nor pause, and JSON
 * text, throw BAD_PAYLOAD.
 */
export function parseControl(v: unknown): ControlPayload | undefined {
  // a control as JSON text (an MQTT or websocket input that does not parse JSON) would fail as an image path
  if (typeof v === 'string' && /^\s*\{/.test(v)) {
    throw new YoloEdgeError(`a ${TOPICS.control} payload is an object {maxFps, pause}, got JSON text ${shownStart(v)}: parse it first (a json node)`, 'BAD_PAYLOAD');
  }
  if (!v || typeof v !== 'object' || isRawImage(v) || ArrayBuffer.isView(v) || v instanceof ArrayBuffer || Array.isArray(v)) return undefined;
  const o = v as Record<string, unknown>;
  if (!('maxFps' in o) && !('pause' in o)) {
    // a misspelt key ({maxfps: 5}) would otherwise fail as an image that cannot be read
    const keys = Object.keys(o).slice(0, 5).join(', ') || 'no keys';
    throw new YoloEdgeError(`a ${TOPICS.control} payload sets maxFps or pause; got an object with ${keys}`, 'BAD_PAYLOAD');
  }
  const out: ControlPayload = {};
  if ('source' in o && o.source !== undefined) {
    const s = typeof o.source === 'string' ? o.source.trim() : '';
    if (!s || s.length > MAX_SOURCE_LENGTH) throw new YoloEdgeError(`source must be the sender's name (1 to ${MAX_SOURCE_LENGTH} characters), got ${shownStart(o.source)}`, 'BAD_PAYLOAD');
    out.source = s;
  }
  if ('pause' in o) {
    if (typeof o.pause !== 'boolean') throw new YoloEdgeError(`pause must be true or false, got ${shown(o.pause)}`, 'BAD_PAYLOAD');
    out.pause = o.pause;
  }
  if ('maxFps' in o) {
    const n = o.maxFps === null ? 0 : numberOf(o.maxFps);
    if (!Number.isFinite(n) || n < 0) throw new YoloEdgeError(`maxFps must be a number >= 0, got ${shown(o.maxFps)}`, 'BAD_PAYLOAD');
    out.maxFps = n;
  }
  return out;
}
