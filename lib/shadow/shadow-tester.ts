import { DetectOptions, DetectionResult, Detector, ModelIdentity } from '../detector';
import { BusyQueue } from '../pipeline/busy-queue';
import { copyDetections, ImageInput, Timings } from '../types';
import { YoloEdgeError } from '../errors';
import { Agreement, compareDetections, DEFAULT_MATCH_IOU } from './agreement';
import { AlarmChange, AlarmRules, AlarmState, DEFAULT_RULES } from './alarm';
import { RawDiff, rawDifference } from './raw-diff';
import { ModelRoles } from './roles';
import { SampleMode, Sampler } from './sampler';
import { RollingWindow, WindowSummary } from './window';

/** Anything that hands out a loaded detector (a yolo-model config node does). */
export interface DetectorSource {
  detector(): Promise<Detector>;
}


export interface ShadowSettings {
  sampleMode: SampleMode;
  /** Percentage (0..100) or N for every Nth frame. */
  sampleValue: number;
  windowSize: number;
  rules: AlarmRules;
  matchIou: number;
  describe(d: Detector): ModelIdentity;
}

export const DEFAULT_SHADOW: Omit<ShadowSettings, 'describe'> = {
  sampleMode: 'percent',
  sampleValue: 10,
  windowSize: 50,
  rules: DEFAULT_RULES,
  matchIou: DEFAULT_MATCH_IOU,
};

export interface ShadowCounters {
  /**
   * Frames given to production since start, those it failed on too: a report's `frame` is numbered among them.
   * Reset keeps it. (A frame's msg.detection.counters.processed counts only those production answered.)
   */
  frames: number;
  /** Frames picked for comparison. */
  sampled: number;
  compared: number;
  /** Picked but skipped because the candidate was still busy. */
  skippedBusy: number;
  /** Candidate runs that failed. */
  failed: number;
  /** Comparisons thrown away, failed or not, because a promote, rollback or reset came while they ran. */
  stale: number;
  alarms: number;
}

export interface ModelRun {
  model: ModelIdentity;
  detections: number;
  timings: Timings;
}

export interface ShadowReport {
  frame: number;
  production: ModelRun;
  candidate: ModelRun;
  /** Mean/max absolute difference of the raw outputs; null when their shapes differ. */
  rawDiff: RawDiff | null;
  agreement: Agreement;
  /** Inference milliseconds of each model and candidate/production. */
  latency: { production: number; candidate: number; ratio: number };
  window: WindowSummary;
  alarm: { active: boolean; reasons: string[] };
  counters: ShadowCounters;
}

/** The commands that start a new window (and so clear the alarm). */
export type Restart = 'reset' | 'promote' | 'rollback';

export interface AlarmEvent extends AlarmChange {
  /** The frame compared last, or run last when a command cleared the alarm. */
  frame: number;
  window: WindowSummary;
  /** The pair the alarm is about (the pair before the swap when promote or rollback cleared it). */
  production: ModelIdentity;
  candidate: ModelIdentity;
  /** Set when a command cleared the alarm rather than the window coming back within the rules. */
  clearedBy?: Restart;
}

export interface ShadowEvents<C, S = DetectorSource> {
  report(report: ShadowReport, context: C): void;
  /** context is undefined when a command cleared the alarm: no frame caused it. */
  alarm(event: AlarmEvent, context: C | undefined): void;
  candidateError(err: Error, context: C): void;
  /**
   * The candidate's file is no longer the one it loaded (replaced by other bytes, or gone), seen at a comparison: the
   * comparisons go on with the model loaded before, and a promote is refused. Once per change.
   */
  candidateFileChanged?(err: Error, model: ModelIdentity, context: C): void;
  /** The first time a model's detector is seen in a role (a candidate may load only after deploy, once its file appears). */
  loaded?(detector: Detector, role: 'production' | 'candidate', source: S): void;
}

interface CandidateRun {
  detector: Detector;
  result: DetectionResult;
  /** Set when the candidate's file is no longer the one it loaded. */
  fileChanged?: Error;
}

interface Comparison<S, C> {
  image: ImageInput;
  options: Partial<DetectOptions>;
  candidate: S;
  production: { detector: Detector; result: DetectionResult };
  frame: number;
  epoch: number;
  context: C;
}

/**
 * What the comparison needs of production's result, in objects of its own: the msg sent meanwhile carries the
 * originals (Node-RED does not copy a node's first msg), and a flow may edit them in place before the comparison runs.
 */
function ownCopy(r: DetectionResult): DetectionResult {
  return { detections: copyDetections(r.detections), imageWidth: r.imageWidth, imageHeight: r.imageHeight, timings: { ...r.timings }, raw: r.raw };
}

const isClassId = (c: string | number): boolean => typeof c === 'number' || /^\d+$/.test(c);

/**
 * The class filter with ids given as production's names. An id is a position in one model's list: a candidate that
 * orders its classes otherwise would pick other classes by the same id, and its boxes could never agree. Ids
 * production does not have stay (production has refused them already).
 */
export function classesByName(classes: DetectOptions['classes'] | undefined, names: readonly string[] | undefined): DetectOptions['classes'] | undefined {
  if (!classes || !names) return classes;
  return classes.map((c) => (isClassId(c) ? names[Number(c)] ?? c : c));
}

/** Where a class filter by id would pick another class in `candidate` than in `production`; undefined when nowhere. */
export function movedClassIds(classes: DetectOptions['classes'] | undefined, production: readonly string[] | undefined, candidate: readonly string[] | undefined): string | undefined {
  if (!classes || !production || !candidate) return undefined;
  const moved = classes.filter(isClassId).map(Number).filter((id) => production[id] !== candidate[id]);
  if (moved.length === 0) return undefined;
  const name = (n: string | undefined): string => (n === undefined ? 'missing' : `'${n}'`);
  return moved.map((id) => `id ${id} is ${name(production[id])} in production and ${name(candidate[id])} in the candidate`).join(', ');
}

/**
 * A command refused because a model it needs does not load: the command's own code (a Catch flow switches on one code
 * per refusal), the load's code in the message and the load error as the cause. A model closing under a redeploy is
 * no refusal: CLOSED stays, as for the frames that end with it.
 */
function loadRefused(err: Error, what: string, code: 'PROMOTE_REFUSED' | 'NOTHING_TO_ROLL_BACK' = 'PROMOTE_REFUSED'): Error {
  const own = (err as { code?: unknown }).code;
  if (own === 'CLOSED') return err;
  const tag = typeof own === 'string' ? ` (${own})` : '';
  return new YoloEdgeError(`${what}${tag}: ${err.message}`, code, { cause: err });
}

/**
 * Runs every frame through production and a sampled share through the candidate, off the caller's
 * path: at most one comparison runs, later picks are skipped (and counted) while it does.
 */
export class ShadowTester<S extends DetectorSource, C = undefined> {
  readonly roles: ModelRoles<S>;
  readonly counters: ShadowCounters = { frames: 0, sampled: 0, compared: 0, skippedBusy: 0, failed: 0, stale: 0, alarms: 0 };
  private readonly sampler: Sampler;
  private readonly window: RollingWindow;
  private readonly alarmState: AlarmState;
  private readonly comparisons: BusyQueue<Comparison<S, C>>;
  /** Bumped by promote, rollback and reset: comparisons from an older epoch are stale. */
  private epoch = 0;
  private lastCandidateError?: string;
  /** The last alarm raised, so a command that clears it can name the same pair. */
  private raised?: AlarmEvent;
  /** Picked frames the candidate failed since it last ran one. */
  private failingInARow = 0;
  /** Epoch of the comparison in progress. */
  private runningEpoch = -1;
  /** A pick a comparison from before the last promote, rollback or reset held up: the next frame takes it. */
  private owedPick = false;
  /**
   * The runs of the model now in the candidate's role, since it took the role or the last reset: promote judges
   * these. The counters span a promote and rollback, so they would blame the candidate for the failures of the
   * old production while it was the shadow. Picked frames it did not load for are no runs of it (`unloaded`): a
   * candidate whose file appears after deploy starts clean.
   */
  private roleRuns = { failed: 0, compared: 0, unloaded: 0, since: 'deploy' as 'deploy' | Restart };
  private readonly seen = { production: new WeakSet<Detector>(), candidate: new WeakSet<Detector>() };
  /** Why the candidate's file is not the one it loaded, as its last comparison found; undefined while it is. */
  private fileChange?: { message: string; gone: boolean };

  constructor(production: S, candidate: S | undefined, private readonly settings: ShadowSettings, private readonly events: ShadowEvents<C, S>) {
    this.roles = new ModelRoles(production, candidate);
    this.sampler = new Sampler(settings.sampleMode, settings.sampleValue);
    this.window = new RollingWindow(settings.windowSize);
    this.alarmState = new AlarmState(settings.rules);
    this.comparisons = new BusyQueue((job) => this.compare(job), 'drop-newest', 0);
  }

  get alarm(): { active: boolean; reasons: string[] } {
    return { active: this.alarmState.active, reasons: this.alarmState.reasons };
  }

  /** The runs of the model now in the candidate's role, and the picked frames it did not load for, since it took the role or the last reset. */
  get candidateRuns(): { failed: number; compared: number; unloaded: number } {
    const { failed, compared, unloaded } = this.roleRuns;
    return { failed, compared, unloaded };
  }

  /** Why the candidate's file is no longer the one it loaded (the comparisons are of the model loaded before); undefined while it is. */
  get candidateFileChanged(): string | undefined {
    return this.fileChange?.message;
  }

  /** The candidate's file was found deleted (MODEL_NOT_FOUND), not replaced. */
  get candidateFileGone(): boolean {
    return this.fileChange?.gone ?? false;
  }

  get windowSummary(): WindowSummary {
    return this.window.summary();
  }

  /** Production result for one frame; schedules the comparison when the frame is picked. */
  async runFrame(image: ImageInput, options: Partial<DetectOptions>, context: C): Promise<{ detector: Detector; result: DetectionResult }> {
    const production = this.roles.production;
    const candidate = this.roles.candidate;
    const epoch = this.epoch; // a swap while production runs makes this pair stale
    const frame = ++this.counters.frames;
    let picked = candidate !== undefined && (this.owedPick || this.sampler.next());
    // A stale comparison must not cost the new window its first frame: the pick waits for the candidate instead.
    this.owedPick = picked && this.comparisons.pending > 0 && this.runningEpoch !== epoch;
    if (this.owedPick) picked = false;
    const compare = picked && this.comparisons.pending === 0;
    const detector = await production.detector();
    this.noteLoaded(detector, 'production', production);
    const result = await detector.detect(image, { ...options, keepRaw: compare });
    // Counted only once production has answered, so every picked frame ends up compared, skipped, failed or stale.
    if (picked) this.counters.sampled++;
    if (picked && !compare) this.counters.skippedBusy++;
    if (compare && candidate !== undefined) {
      const job: Comparison<S, C> = { image, options, candidate, production: { detector, result: ownCopy(result) }, frame, epoch, context };
      this.comparisons.push({ item: job, discard: () => this.counters.skippedBusy++ });
    }
    const { raw: _raw, ...withoutRaw } = result;
    return { detector, result: withoutRaw };
  }

  /**
   * The candidate becomes production once it has loaded; frames keep flowing meanwhile. Refused, saying why,
   * when the candidate does not load, cannot run `options` (the node's settings) or failed comparisons since the last reset.
   */
  async promote(options: Partial<DetectOptions> = {}): Promise<void> {
    const candidate = this.roles.candidate;
    if (candidate !== undefined && !this.roles.promoted) {
      const d = await candidate.detector().catch((err: Error) => { throw loadRefused(err, 'promote refused: the candidate did not load'); });
      try {
        d.checkOptions(options);
      } catch (err) {
        throw new YoloEdgeError(`promote refused: the candidate cannot run this node's settings: ${(err as Error).message}`, 'PROMOTE_REFUSED');
      }
      // Production's names only for a filter by id: a production that does not load must not block the promote that
      // replaces it.
      const ids = options.classes?.some(isClassId) ? await this.roles.production.detector().catch((err: Error) => {
        throw loadRefused(err, 'promote refused: this node\'s class filter picks by id, and production, whose ids it means, did not load; give the classes by name');
      }) : undefined;
      const moved = ids && movedClassIds(options.classes, ids.info.names, d.info.names);
      if (moved) throw new YoloEdgeError(`promote refused: this node's class filter picks by id and ${moved}, so output 1 would carry other classes; give the classes by name`, 'PROMOTE_REFUSED');
      // Comparisons judged the model as it loaded; production whose file was replaced would fail (MODEL_CHANGED) at its
      // worker's next restart, and a redeploy would load a model nobody compared.
      await d.checkFile().catch((err: Error) => {
        throw loadRefused(err, 'promote refused: the candidate file changed since it loaded, so the comparisons were of the model it held before; redeploy to shadow the file as it is now');
      });
      const r = this.roleRuns;
      if (r.failed > 0) {
        const since = r.since === 'deploy' ? 'deploy' : `the last ${r.since}`;
        throw new YoloEdgeError(`promote refused: the candidate failed ${r.failed} of ${r.failed + r.compared} comparisons since ${since} (last error: ${this.lastCandidateError ?? 'unknown'}); fix it, or send reset to clear the count`, 'PROMOTE_REFUSED');
      }
    }
    if (candidate !== this.roles.candidate) throw new YoloEdgeError('promote: the models changed while the candidate was loading', 'PROMOTE_REFUSED');
    this.roles.promote();
    this.restart('promote');
  }

  /**
   * The production before the promote serves again. Refused when it does not load (a promote may have replaced a
   * production that never loaded): the line would stop.
   */
  async rollback(): Promise<void> {
    const back = this.roles.promoted ? this.roles.candidate : undefined;
    if (back !== undefined) {
      await back.detector().catch((err: Error) => { throw loadRefused(err, 'rollback refused: the production before the promote does not load', 'NOTHING_TO_ROLL_BACK'); });
      if (back !== this.roles.candidate) throw new YoloEdgeError('rollback: the models changed while the earlier production was loading', 'NOTHING_TO_ROLL_BACK');
    }
    this.roles.rollback();
    this.restart('rollback');
  }

  /** Clears the window, the alarm and the comparison counters; roles stay. */
  reset(): void {
    this.restart('reset');
    Object.assign(this.counters, { sampled: 0, compared: 0, skippedBusy: 0, failed: 0, stale: 0, alarms: 0 });
  }

  /** Resolves when the comparison in progress (if any) has finished. */
  drain(): Promise<void> {
    return this.comparisons.drain();
  }

  /** A new window; an active alarm is announced as cleared, so flows that follow alarm msgs do not stay in alarm. */
  private restart(cause: Restart): void {
    this.epoch++;
    this.failingInARow = 0;
    this.roleRuns = { failed: 0, compared: 0, unloaded: 0, since: cause };
    if (cause !== 'reset') this.fileChange = undefined; // about the model that left the candidate's role
    this.window.clear();
    this.sampler.reset();
    const cleared = this.alarmState.reset();
    if (cleared && this.raised) {
      this.events.alarm({ ...this.raised, ...cleared, clearedBy: cause, frame: this.counters.frames, window: this.window.summary() }, undefined);
    }
  }

  private async compare(job: Comparison<S, C>): Promise<void> {
    this.runningEpoch = job.epoch;
    const outcome = await this.runCandidate(job);
    // First: a run (or failure) from before a promote, rollback or reset belongs to the counts the user cleared,
    // and after a promote to a model that is no longer the candidate.
    if (job.epoch !== this.epoch) {
      this.counters.stale++;
      return;
    }
    if ('err' in outcome) {
      this.counters.failed++;
      // A candidate that never loaded has no identity for an alarm, and its frames before the load are no runs of it:
      // a promote refused for them would blame the model for its file's absence (or a copy still under way).
      if (outcome.detector) {
        this.roleRuns.failed++;
        this.lastCandidateError = outcome.err.message;
      } else this.roleRuns.unloaded++;
      this.events.candidateError(outcome.err, job.context);
      if (outcome.detector) {
        this.failingInARow++;
        const window = this.window.summary();
        const change = this.updateAlarm(window);
        if (change) this.announce(change, job, window, outcome.detector);
      }
      return;
    }
    const cand = outcome.run;
    this.counters.compared++;
    this.roleRuns.compared++;
    this.noteFile(cand, job.context);
    this.failingInARow = 0;
    const report = this.reportOf(job, cand);
    const change = this.updateAlarm(report.window);
    report.alarm = this.alarm;
    report.counters = { ...this.counters };
    this.events.report(report, job.context);
    if (change) this.announce(change, job, report.window, cand.detector);
  }

  private noteFile(run: CandidateRun, context: C): void {
    const was = this.fileChange?.message;
    const err = run.fileChanged as (Error & { code?: string }) | undefined;
    this.fileChange = err && { message: err.message, gone: err.code === 'MODEL_NOT_FOUND' };
    if (run.fileChanged && err?.message !== was) this.events.candidateFileChanged?.(run.fileChanged, this.settings.describe(run.detector), context);
  }

  private updateAlarm(window: WindowSummary): AlarmChange | undefined {
    const change = this.alarmState.update(window, this.failingInARow);
    if (change?.active) this.counters.alarms++;
    return change;
  }

  private announce(change: AlarmChange, job: Comparison<S, C>, window: WindowSummary, candidate: Detector): void {
    const event: AlarmEvent = { ...change, frame: job.frame, window, production: this.settings.describe(job.production.detector), candidate: this.settings.describe(candidate) };
    if (change.active) this.raised = event;
    this.events.alarm(event, job.context);
  }

  /** The candidate's run, or its error and the detector it failed in (none when it did not load). */
  private async runCandidate(job: Comparison<S, C>): Promise<{ run: CandidateRun } | { err: Error; detector?: Detector }> {
    let detector: Detector | undefined;
    try {
      detector = await job.candidate.detector();
      this.noteLoaded(detector, 'candidate', job.candidate);
      const options = { ...job.options, keepRaw: true, annotate: false, thumbnail: 0 };
      if (options.classes) options.classes = classesByName(options.classes, job.production.detector.info.names);
      const result = await detector.detect(job.image, options);
      // a stat per comparison: a candidate replaced on disk while shadowed kept comparing the old model in silence
      const fileChanged = await detector.checkFile().then(() => undefined, (err: Error) => err);
      return { run: { detector, result, fileChanged } };
    } catch (err) {
      return { err: err as Error, detector };
    }
  }

  private noteLoaded(detector: Detector, role: 'production' | 'candidate', source: S): void {
    if (this.seen[role].has(detector)) return;
    this.seen[role].add(detector);
    this.events.loaded?.(detector, role, source);
  }

  private reportOf(job: Comparison<S, C>, cand: { detector: Detector; result: DetectionResult }): ShadowReport {
    const p = job.production.result;
    const c = cand.result;
    const rawDiff = p.raw && c.raw ? rawDifference(p.raw, c.raw) ?? null : null;
    const agreement = compareDetections(p.detections, c.detections, this.settings.matchIou);
    const ratio = p.timings.inference > 0 ? c.timings.inference / p.timings.inference : 1;
    this.window.add({ f1: agreement.f1, productionMs: p.timings.inference, candidateMs: c.timings.inference, rawDiff: rawDiff?.meanAbs ?? undefined });
    const run = (d: Detector, r: DetectionResult): ModelRun => ({ model: this.settings.describe(d), detections: r.detections.length, timings: r.timings });
    return {
      frame: job.frame,
      production: run(job.production.detector, p),
      candidate: run(cand.detector, c),
      rawDiff,
      agreement,
      latency: { production: p.timings.inference, candidate: c.timings.inference, ratio },
      window: this.window.summary(),
      alarm: this.alarm,
      counters: { ...this.counters },
    };
  }
}
