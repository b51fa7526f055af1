import { numberOf } from '../config/fields';
import { YoloEdgeError } from '../errors';

/** What a yolo-edge/control message carries: maxFps (0 or null lifts the limit), pause, or both. */
export interface ControlPayload {
  maxFps?: number | null;
  pause?: boolean;
}

/**
 * The control payload in `v`, checked; undefined when `v` is no control payload at all (a message on the control
 * topic without maxFps or pause is taken as a frame). Bad values throw BAD_PAYLOAD.
 */
export function parseControl(v: unknown): ControlPayload | undefined {
  if (!v || typeof v !== 'object') return undefined;
  const o = v as Record<string, unknown>;
  if (!('maxFps' in o) && !('pause' in o)) return undefined;
  const out: ControlPayload = {};
  if ('pause' in o) {
    if (typeof o.pause !== 'boolean') throw new YoloEdgeError(`pause must be true or false, got ${JSON.stringify(o.pause)}`, 'BAD_PAYLOAD');
    out.pause = o.pause;
  }
  if ('maxFps' in o) {
    const n = o.maxFps === null ? 0 : numberOf(o.maxFps);
    if (!Number.isFinite(n) || n < 0) throw new YoloEdgeError(`maxFps must be a number >= 0, got ${String(o.maxFps)}`, 'BAD_PAYLOAD');
    out.maxFps = n;
  }
  return out;
}
