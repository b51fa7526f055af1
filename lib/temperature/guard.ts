import { ControlPayload } from '../pipeline/control';
import { StateChange, ThermalState } from './state';
import { fieldError } from '../config/fields';
import { YoloEdgeError } from '../errors';

/** Frame-rate limit per state (0 = no limit); critical pauses detection unless criticalPause is false. */
export interface GuardPolicy {
  warmFps: number;
  hotFps: number;
  criticalFps: number;
  criticalPause: boolean;
}

export const DEFAULT_GUARD: GuardPolicy = { warmFps: 2, hotFps: 1, criticalFps: 0.5, criticalPause: true };

/**
 * Each rate a number >= 0, and none that lets a hotter state run faster than a cooler one: after a positive limit
 * only a lower or equal one (0 is no limit). At critical without the pause, 0 would leave the hottest state
 * unlimited; with the pause criticalFps is not used as a limit.
 */
export function validateGuard(p: GuardPolicy): GuardPolicy {
  for (const k of ['warmFps', 'hotFps', 'criticalFps'] as const) {
    if (typeof p[k] !== 'number' || !Number.isFinite(p[k]) || p[k] < 0) throw new YoloEdgeError(`${k} must be a number >= 0, got ${p[k]}`, 'BAD_CONFIG');
  }
  if (!p.criticalPause && p.criticalFps === 0) throw fieldError('criticalFps', 'above 0 when criticalPause is off (0 is no limit at the hottest state)', p.criticalFps);
  notFaster('hotFps', p.hotFps, 'warmFps', p.warmFps);
  if (!p.criticalPause) notFaster('criticalFps', p.criticalFps, 'hotFps', p.hotFps);
  return p;
}

/** A positive limit of the cooler state must be followed by a positive one no higher. */
function notFaster(field: string, fps: number, coolerField: string, coolerFps: number): void {
  if (coolerFps > 0 && (fps === 0 || fps > coolerFps)) {
    throw fieldError(field, `above 0 and at most ${coolerField} (${coolerFps}): a hotter state must not run faster, and 0 is no limit`, fps);
  }
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

/**
 * How often the control of a warm, hot or critical state is sent again: a detect node (re)deployed meanwhile starts
 * unlimited and would otherwise never hear of the state.
 */
export const GUARD_REPEAT_MS = 30_000;

/** The whole control of a state, rate and pause both, for a detector that may not know any earlier one. */
export function guardControl(state: ThermalState, p: GuardPolicy): ControlPayload {
  return { maxFps: fpsFor(state, p), pause: paused(state, p) };
}

/**
 * Decides what the guard sends with each reading: the whole control of the state with the first temperature (a
 * detector may still be paused or limited by an earlier guard), the changes on each state change, and the whole
 * control again every GUARD_REPEAT_MS while the state is not normal.
 */
export class GuardSender {
  private announced = false;
  private lastSentAt = 0;

  constructor(readonly policy: GuardPolicy) {}

  /** `measured`: this reading has a temperature; before the first one the state is not known. */
  next(now: number, state: ThermalState, change: StateChange | undefined, measured: boolean): ControlPayload[] {
    if (!this.announced) {
      if (!measured) return [];
      this.announced = true;
      return this.sent(now, [guardControl(state, this.policy)]);
    }
    if (change) return this.sent(now, guardTransition(change.from, change.to, this.policy));
    if (state !== 'normal' && now - this.lastSentAt >= GUARD_REPEAT_MS) return this.sent(now, [guardControl(state, this.policy)]);
    return [];
  }

  private sent(now: number, controls: ControlPayload[]): ControlPayload[] {
    if (controls.length > 0) this.lastSentAt = now;
    return controls;
  }
}
