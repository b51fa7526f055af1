import { fieldError, numberField, oneOf } from '../config/fields';
import { DEFAULT_RULES } from './alarm';
import { SampleMode } from './sampler';
import { DEFAULT_SHADOW, ShadowSettings } from './shadow-tester';

/** The yolo-shadow-test dialog's sampling and alarm fields, as Node-RED stores them. */
export interface ShadowFields {
  sampleMode?: unknown;
  sampleValue?: unknown;
  windowSize?: unknown;
  minF1?: unknown;
  maxLatencyRatio?: unknown;
  minSamples?: unknown;
}

const MODES: readonly SampleMode[] = ['percent', 'every'];

/** Sampling and alarm settings from the dialog, the defaults for blank fields; BAD_CONFIG for the rest. */
export function parseShadowConfig(c: ShadowFields): Omit<ShadowSettings, 'describe'> {
  const sampleMode = oneOf('sample mode', c.sampleMode, MODES, DEFAULT_SHADOW.sampleMode);
  const sample = sampleMode === 'every' ? { min: 1, max: 1e6, integer: true } : { min: 0, max: 100 };
  const windowSize = numberField('window size', c.windowSize, DEFAULT_SHADOW.windowSize, { min: 1, max: 10000, integer: true });
  return {
    ...DEFAULT_SHADOW,
    sampleMode,
    sampleValue: numberField(sampleMode === 'every' ? 'sample (every Nth frame)' : 'sample (percent)', c.sampleValue, DEFAULT_SHADOW.sampleValue, sample),
    windowSize,
    rules: {
      minF1: numberField('minimum F1', c.minF1, DEFAULT_RULES.minF1, { min: 0, max: 1 }),
      maxLatencyRatio: numberField('latency ratio', c.maxLatencyRatio, DEFAULT_RULES.maxLatencyRatio, { min: 0, max: 1000 }),
      minSamples: minSamplesField(c.minSamples, windowSize),
    },
  };
}

/** The alarm's "after N compared frames": the window never holds more than its size, so a larger N could never fire. */
function minSamplesField(v: unknown, windowSize: number): number {
  const n = numberField('minimum samples', v, DEFAULT_RULES.minSamples, { min: 1, max: 10000, integer: true });
  if (n > windowSize) throw fieldError('minimum samples (alarm after N compared frames)', `at most the window size (${windowSize}), or the alarm can never fire`, n);
  return n;
}
