import { numberField, oneOf } from '../config/fields';
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
  return {
    ...DEFAULT_SHADOW,
    sampleMode,
    sampleValue: numberField(sampleMode === 'every' ? 'sample (every Nth frame)' : 'sample (percent)', c.sampleValue, DEFAULT_SHADOW.sampleValue, sample),
    windowSize: numberField('window size', c.windowSize, DEFAULT_SHADOW.windowSize, { min: 1, max: 10000, integer: true }),
    rules: {
      minF1: numberField('minimum F1', c.minF1, DEFAULT_RULES.minF1, { min: 0, max: 1 }),
      maxLatencyRatio: numberField('latency ratio', c.maxLatencyRatio, DEFAULT_RULES.maxLatencyRatio, { min: 0, max: 1000 }),
      minSamples: numberField('minimum samples', c.minSamples, DEFAULT_RULES.minSamples, { min: 1, max: 10000, integer: true }),
    },
  };
}
