import type { Node, NodeAPI, NodeMessage, NodeMessageInFlow, NodeStatus } from 'node-red';
import { parseShadowConfig } from '../lib/shadow/config';
import { classNamesWarning } from '../lib/shadow/agreement';
import { commandInPayload, parseShadowCommand } from '../lib/shadow/commands';
import { AlarmEvent, ShadowTester } from '../lib/shadow/shadow-tester';
import { parseDetectConfig } from '../lib/detect-config';
import { YoloEdgeError } from '../lib/errors';
import { isBlank, STATUS_MAX } from '../lib/config/fields';
import { TOPICS } from '../lib/topics';
import { DetectNodeFields, detectOptions, filePathsOption, imageOf, Msg, wantsAnnotation, detectionFields } from './shared/detect-message';
import { describeDetector, Detector, ModelIdentity } from '../lib/detector';
import { FrameJob } from './shared/frame-intake';
import { FrameOutput, FrameRuntime } from './shared/frame-runtime';
import { briefReason, errorStatus, refuseInput } from './shared/refuse-input';
import { loadFailureStatus, noModelError, pickModel, refuseSettingsAtLoad, showFetchProgress, YoloModelNode } from './shared/model-config';

interface YoloShadowTestDef extends DetectNodeFields {
  production?: unknown;
  candidate?: unknown;
  busyPolicy: string;
  queueSize: string | number;
  sampleMode: string;
  sampleValue: string | number;
  windowSize: string | number;
  minF1: string | number;
  maxLatencyRatio: string | number;
  minSamples: string | number;
}


/** Where a compared frame came from, carried into its report. */
interface FrameRef {
  msgid: string;
  topic?: unknown;
}

/** A model's identity for command replies; a model that fails to load is named by its path and error. */
async function identityOf(source: YoloModelNode | undefined): Promise<ModelIdentity | { file: string; error: string } | null> {
  if (!source) return null;
  try {
    return describeDetector(await source.detector());
  } catch (err) {
    return { file: source.modelPath, error: (err as Error).message };
  }
}

export = function (RED: NodeAPI): void {
  function YoloShadowTest(this: Node, config: YoloShadowTestDef) {
    RED.nodes.createNode(this, config);
    const node = this;
    const productionPick = pickModel(RED, config.production, 'production');
    const production = productionPick.node;
    // The production node picked as candidate too (after 'make the candidate the production model'): a model compared
    // with itself agrees always, and a promote changes nothing.
    const sameAsProduction = Boolean(config.candidate) && config.candidate === config.production;
    const candidatePick = sameAsProduction ? undefined : pickModel(RED, config.candidate, 'candidate');
    const candidate = candidatePick?.node ?? undefined;
    if (!production) {
      node.status({ fill: 'red', shape: 'ring', text: briefReason(productionPick.missing, STATUS_MAX) });
      node.error(noModelError(productionPick.missing).message);
      this.on('input', (_msg: NodeMessageInFlow, _send, done) => done(noModelError(productionPick.missing)));
      return;
    }
    // A candidate named but not deployed (an import without its yolo-model node), or production's own: production serves
    // alone, and says why.
    const servesAlone = sameAsProduction ? 'candidate is the production model'
      : !isBlank(config.candidate) && !candidate ? candidatePick?.missing ?? '' : '';
    if (sameAsProduction) node.warn('the candidate is the production yolo-model node: a model compared with itself always agrees, so production serves alone; pick the next candidate, or none, in this node\'s settings');
    else if (servesAlone) node.warn(`${noModelError(servesAlone).message}; production serves alone meanwhile`);
    let lastWarning = '';
    let candidateFailure = '';
    /**
     * The models that have loaded once (at deploy, at a picked frame or a command's reply). Until the one in the
     * candidate's role has, its load error is the status's news: a reset clears the failure counts the status otherwise
     * goes by, and after a promote over a production that never loaded, that one is the candidate.
     */
    const loaded = new WeakSet<YoloModelNode>();
    let base: ReturnType<typeof parseDetectConfig>;
    let frames: FrameRuntime;
    let settings: ReturnType<typeof parseShadowConfig>;
    let filePaths: boolean;
    try {
      base = parseDetectConfig(config);
      filePaths = filePathsOption(config);
      settings = parseShadowConfig(config);
      frames = new FrameRuntime(node, config, work, describe);
    } catch (err) {
      refuseInput(node, err as Error);
      return;
    }
    const status = (force = false): void => frames.status(force);

    const tester = new ShadowTester<YoloModelNode, FrameRef>(production, candidate, {
      ...settings,
      describe: describeDetector,
    }, {
      // a comparison that outlived close's wait belongs to a node that is gone: its news would reach the next flow
      report: (r, frame) => {
        if (frames.closed) return;
        node.send([null, { topic: TOPICS.shadowReport, payload: r, frame } as NodeMessage]);
        status();
      },
      alarm: (e, frame) => {
        if (frames.closed) return;
        node.send([null, alarmMessage(e, frame)]);
        if (e.active) node.warn(`shadow test alarm: ${e.reasons.join('; ')}`);
        status(true);
      },
      candidateError: (err) => {
        if (frames.closed) return;
        warnCandidate(err);
        status(true);
      },
      candidateFileChanged: (err, model) => {
        if (frames.closed) return;
        node.warn(`candidate model: ${err.message}. The comparisons go on with the model it loaded (sha256 ${model.sha256.slice(0, 12)}), and a promote is refused`);
        status(true);
      },
      loaded: (d, role, source) => adopt(d, role, source),
    });

    const adopted = new WeakSet<Detector>();
    /**
     * A model's detector once loaded, at deploy or later (a candidate file that appears after deploy): its worker
     * restarts show in the status, naming the role its model has then, and a candidate's class names are checked
     * against production's.
     */
    function adopt(d: Detector, role: 'production' | 'candidate', source: YoloModelNode): void {
      loaded.add(source);
      if (adopted.has(d)) return;
      adopted.add(d);
      frames.watch(d, () => `${source === tester.roles.production ? 'production' : 'candidate'} model`);
      if (role !== 'candidate') return;
      tester.roles.production.detector().then((p) => {
        const names = classNamesWarning(p.info.names, d.info.names);
        if (names) node.warn(`shadow test: ${names}, and a promote changes the names and ids output 1 sends`);
      }, () => undefined);
    }

    /**
     * Warns once per distinct candidate error; the status shows the last one while the candidate keeps failing. Errors
     * that differ only in their numbers are one: a file still being copied was 'cut short (N bytes)' with a new N at
     * every picked frame.
     */
    function warnCandidate(err: Error): void {
      const kind = err.message.replace(/\d+/g, '#');
      if (kind !== lastWarning) node.warn(`candidate model: ${err.message}`);
      lastWarning = kind;
      candidateFailure = err.message;
    }

    /** The candidate's load: production serves without it, so a failure only warns, as a failed run does. */
    function loadCandidate(): Promise<Detector | undefined> {
      if (!candidate) return Promise.resolve(undefined);
      return candidate.detector().then((d) => {
        adopt(d, 'candidate', candidate);
        return d;
      }, (err: Error) => {
        warnCandidate(err);
        return undefined;
      });
    }

    function alarmMessage(e: AlarmEvent, frame: FrameRef | undefined): NodeMessage {
      const msg = { topic: TOPICS.shadowAlarm, alarm: e.active, reason: alarmReason(e), payload: e };
      return (frame ? { ...msg, frame } : msg) as NodeMessage;
    }

    function alarmReason(e: AlarmEvent): string {
      if (e.active) return e.reasons.join('; ');
      if (e.clearedBy) return `cleared by ${e.clearedBy}: the window starts again`;
      return 'cleared: agreement and latency are back within the limits';
    }

    function describe(): NodeStatus {
      const role = tester.roles.promoted ? ' · promoted' : '';
      const alarm = tester.alarm;
      if (alarm.active) return { fill: 'red', shape: 'dot', text: `ALARM: ${alarm.reasons.map((r) => r.split(':')[0]).join(', ')}${role}` };
      if (!tester.roles.candidate) return { fill: servesAlone ? 'yellow' : 'green', shape: 'ring', text: `${servesAlone ? briefReason(servesAlone) : 'no candidate'} · ${frames.stats.processed} frames` };
      const w = tester.windowSummary;
      const c = tester.counters;
      // The candidate's own runs: the counters span promote and rollback, and would blame it for the other model's failures.
      const own = tester.candidateRuns;
      const unloaded = !loaded.has(tester.roles.candidate) && candidateFailure !== '';
      if (unloaded || (own.failed > 0 && own.failed >= own.compared)) {
        const failures = unloaded ? own.unloaded : own.failed;
        const times = failures > 0 ? ` ${failures}x` : '';
        return { fill: 'yellow', shape: 'dot', text: `candidate failed${times}: ${briefReason(candidateFailure)} · ${c.compared} compared${role}` };
      }
      const changed = tester.candidateFileChanged;
      if (changed) {
        const what = tester.candidateFileGone ? 'gone' : 'changed';
        return { fill: 'yellow', shape: 'dot', text: `candidate file ${what} since it loaded: redeploy to compare it · ${c.compared} compared${role}` };
      }
      const f1 = w.meanF1 === null ? 'F1 -' : `F1 ${w.meanF1.toFixed(2)}`;
      const ratio = w.p95LatencyRatio === null ? '' : ` · x${w.p95LatencyRatio.toFixed(2)}`;
      const skipped = c.skippedBusy ? ` · ${c.skippedBusy} skipped` : '';
      return { fill: 'green', shape: 'dot', text: `${f1}${ratio} · ${c.compared} compared${skipped}${role}` };
    }

    async function work({ msg }: FrameJob): Promise<FrameOutput> {
      const input = await imageOf(msg, filePaths);
      const annotate = wantsAnnotation(msg, base.annotate === true);
      const options = { ...detectOptions(base, msg), annotate };
      const { detector, result } = await tester.runFrame(input, options, { msgid: msg._msgid, topic: msg.topic });
      const counters = frames.countersWithThis();
      const results = detectionFields(detector, result, input, annotate, counters);
      return { results, send: (out) => [out, null], ms: result.timings.total, objects: result.detections.length, counters };
    }

    async function command(msg: Msg): Promise<void> {
      const cmd = parseShadowCommand(msg.command);
      // 'no candidate model configured' would contradict the status, which names why there is none
      if (cmd === 'promote' && servesAlone) throw new YoloEdgeError(`promote: ${servesAlone}, so there is nothing to promote`, 'NO_CANDIDATE');
      if (cmd === 'promote') await tester.promote(base);
      else if (cmd === 'rollback') await tester.rollback();
      else tester.reset();
      // a held state (production did not load, its settings were refused, its last frame failed) was about the model swapped out
      if (cmd !== 'reset') frames.release();
      lastWarning = '';
      // the reply loads a candidate whose file appeared since, or tells the status why the one now in the role does not load
      const now = tester.roles.candidate;
      await now?.detector().then((d) => adopt(d, 'candidate', now), (err: Error) => { candidateFailure = err.message; });
      const payload = {
        production: await identityOf(tester.roles.production),
        candidate: await identityOf(tester.roles.candidate),
        promoted: tester.roles.promoted,
      };
      // A redeploy while the command waited (a promote, for the candidate to load) made a new node with the models as
      // deployed: this node's swap serves no frame, and a reply saying so would tell the line it did.
      if (frames.closing) throw new YoloEdgeError(`${cmd}: the node closed before it finished, so it did not take effect (the redeployed node starts with the models as deployed); send it again`, 'CLOSED');
      msg.payload = payload;
      msg.topic = TOPICS.shadowCommand;
      status(true);
    }

    // Commands run one after another: a rollback sent while a promote waits for the candidate to load follows it.
    let commands: Promise<void> = Promise.resolve();
    this.on('input', (msg: NodeMessageInFlow, send, done) => {
      const m = msg as Msg;
      if (m.command !== undefined) {
        commands = commands.then(() => command(m)).then(() => { send([null, m]); done(); }, (err: Error) => { status(true); done(err); });
        return;
      }
      // msg.filename names the frame whatever msg.payload holds
      const misplaced = m.filename === undefined ? commandInPayload(m.payload) : undefined;
      if (misplaced !== undefined) {
        done(new YoloEdgeError(`msg.payload holds the command '${misplaced}', not an image: send commands in msg.command (a change node can move msg.payload.command there); nothing changed`, 'BAD_PAYLOAD'));
        return;
      }
      frames.input({ msg: m, send, done });
    });

    const models = [production, candidate].filter((m): m is YoloModelNode => m !== undefined);
    models.forEach((m) => m.register(node));
    this.on('close', (removed: boolean, done: () => void) => {
      // A promote lives in this node only: the next deploy (a full deploy restarts every node) or Node-RED's restart
      // serves the model the settings name as production again, and the line should hear of it.
      if (tester.roles.promoted && !removed) {
        node.warn(`the promote ends as this node stops (a deploy or Node-RED's restart): it starts again with ${production.modelPath} in production; to keep ${candidate?.modelPath} there, make it the production model in this node's settings`);
      }
      frames.close(() => tester.drain()).then(() => models.forEach((m) => m.deregister(node))).then(() => done(), () => done());
    });

    // held until a frame is sent: a control message (the temperature guard's first) must not show it as running
    frames.showState({ fill: 'grey', shape: 'ring', text: 'loading models' }, true);
    const loading = Promise.all([production.detector(), loadCandidate()]);
    showFetchProgress(node, [production, candidate], loading);
    loading.then(
      ([p, c]) => {
        adopt(p, 'production', production);
        return [p, c] as const;
      },
    ).then(
      ([p, c]) => {
        if (frames.closing) return;
        const refused = refuseSettingsAtLoad(node, p, base);
        if (refused) frames.showState(errorStatus(refused), true);
        else if (candidate && !c) frames.showState({ fill: 'yellow', shape: 'ring', text: `ready · candidate failed: ${briefReason(candidateFailure)}` }, false);
        else if (servesAlone) frames.showState({ fill: 'yellow', shape: 'ring', text: `ready · ${briefReason(servesAlone)}` }, false);
        else frames.showState({ fill: 'grey', shape: 'dot', text: candidate ? 'ready · shadowing' : 'ready · no candidate' }, false);
      },
      (err: Error) => {
        if (frames.closing) return; // redeployed while loading: the new node shows its own status
        frames.showState(loadFailureStatus(err), true);
        node.error(`production model: ${err.message}`);
      },
    );
  }
  RED.nodes.registerType('yolo-shadow-test', YoloShadowTest);
};
