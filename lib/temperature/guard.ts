import { ControlPayload } from '../pipeline/control';
import { ThermalState } from './state';
import { YoloEdgeError } from '../errors';


/** Frame-rate limit per state (0 = no limit); critical pauses detection unless criticalPause is false. */
export interface GuardPolicy {
  warmFps: number;
  hotFps: number;
  criticalFps: number;
  criticalPause: boolean;
}

export const DEFAULT_GUARD: GuardPolicy = { warmFps: 2, hotFps: 1, criticalFps: 0.5, criticalPause: true };

export function validateGuard(p: GuardPolicy): GuardPolicy {
  for (const k of ['warmFps', 'hotFps', 'criticalFps'] as const) {
    if (typeof p[k] !== 'number' || !Number.isFinite(p[k]) || p[k] < 0) throw new YoloEdgeError(`${k} must be a number >= 0, got ${p[k]}`, 'BAD_CONFIG');
  }
  return p;
}

function fpsFor(state: ThermalState, p: GuardPolicy): number {
  switch (state) {
    case 'normal':
      return 0;
    case 'warm':
      return p.warmFps;
    case 'hot':
      return p.hotFps;
    case 'critical':
      return p.criticalFps;
  }
}

const paused = (state: ThermalState, p: GuardPolicy): boolean => state === 'critical' && p.criticalPause;

/**
 * Control payloads that take detection from the level of `from` to that of `to`, in the order to send them:
 * the rate is set before a pause is lifted so detection never resumes at full speed by mistake.
 */
export function guardTransition(from: ThermalState, to: ThermalState, p: GuardPolicy): ControlPayload[] {
  const out: ControlPayload[] = [];
  const wasPaused = paused(from, p);
  const isPaused = paused(to, p);
  if (isPaused && !wasPaused) return [{ pause: true }];
  // While paused the rate is irrelevant; on resume it must be the one of the new state.
  const fpsBefore = wasPaused ? Number.NaN : fpsFor(from, p);
  const fps = fpsFor(to, p);
  if (!isPaused && fps !== fpsBefore) out.push({ maxFps: fps });
  if (wasPaused && !isPaused) out.push({ pause: false });
  return out;
}
