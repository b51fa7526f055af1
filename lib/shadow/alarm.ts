import { WindowSummary } from './window';

export interface AlarmRules {
  /** Alarm when the window's mean F1 falls below this. */
  minF1: number;
  /** Alarm when the candidate's p95 inference latency over production's p95 rises above this (0 turns it off). */
  maxLatencyRatio: number;
  /** Compared frames the window needs before it can raise the alarm. */
  minSamples: number;
}

export const DEFAULT_RULES: AlarmRules = { minF1: 0.8, maxLatencyRatio: 1.5, minSamples: 5 };

/**
 * Why the window breaks the rules; empty when it does not (or has too few samples to say). `failingInARow`: picked
 * frames the candidate failed since its last comparison; as many as minSamples is a divergence too (a candidate
 * that fails every frame has no window to judge).
 */
export function alarmReasons(w: WindowSummary, rules: AlarmRules, failingInARow = 0): string[] {
  const reasons: string[] = [];
  if (failingInARow >= rules.minSamples) reasons.push(`candidate: it failed the last ${failingInARow} picked frames`);
  if (w.count < rules.minSamples) return reasons;
  if (w.meanF1 !== null && w.meanF1 < rules.minF1) {
    reasons.push(`agreement: mean F1 ${w.meanF1.toFixed(3)} over the last ${w.count} compared frames is below ${rules.minF1}`);
  }
  if (rules.maxLatencyRatio > 0 && w.p95LatencyRatio !== null && w.p95LatencyRatio > rules.maxLatencyRatio) {
    reasons.push(`latency: candidate p95 inference ${fmt(w.p95CandidateMs)} ms is ${w.p95LatencyRatio.toFixed(2)}x production's ${fmt(w.p95ProductionMs)} ms over the last ${w.count} compared frames, above the limit of ${rules.maxLatencyRatio}x`);
  }
  return reasons;
}

export interface AlarmChange {
  active: boolean;
  reasons: string[];
}

/** Raised and cleared on transitions only, so one divergence gives one alarm message. */
export class AlarmState {
  active = false;
  reasons: string[] = [];
  raised = 0;

  constructor(readonly rules: AlarmRules) {}

  /** The change this window (and the candidate's failures in a row) causes, if any. */
  update(w: WindowSummary, failingInARow = 0): AlarmChange | undefined {
    const reasons = alarmReasons(w, this.rules, failingInARow);
    const active = reasons.length > 0;
    const changed = active !== this.active;
    this.active = active;
    this.reasons = reasons;
    if (!changed) return undefined;
    if (active) this.raised++;
    return { active, reasons };
  }

  /** Clears the alarm; the change when it was active, so the clearing is announced like a recovery. */
  reset(): AlarmChange | undefined {
    const was = this.active;
    this.active = false;
    this.reasons = [];
    return was ? { active: false, reasons: [] } : undefined;
  }
}

function fmt(ms: number | null): string {
  return ms === null ? '-' : ms.toFixed(0);
}
