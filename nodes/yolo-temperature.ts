import type { Node, NodeAPI, NodeDef, NodeMessage, NodeMessageInFlow, NodeStatus } from 'node-red';
import { parseTemperatureConfig, TemperatureConfig } from '../lib/temperature/config';
import { TOPICS } from '../lib/topics';
import { STATUS_MAX, statusText } from '../lib/config/fields';
import { GUARD_SOURCE } from '../lib/pipeline/control';
import { SampleResult, TemperatureMonitor, ZONE_SOURCE, ZONES_LEFT_OUT } from '../lib/temperature/monitor';
import { ThermalState } from '../lib/temperature/state';
import { YoloEdgeError } from '../lib/errors';
import { refuseInput } from './shared/refuse-input';

type YoloTemperatureDef = NodeDef & TemperatureConfig;

/** Input-triggered readings waiting behind a running one; more are dropped and counted. */
const MAX_QUEUED = 2;

const BADGE: Record<ThermalState, Pick<NodeStatus, 'fill' | 'shape'>> = {
  normal: { fill: 'green', shape: 'dot' },
  warm: { fill: 'yellow', shape: 'dot' },
  hot: { fill: 'red', shape: 'ring' },
  critical: { fill: 'red', shape: 'dot' },
};

type Send = (msg: Array<NodeMessage | NodeMessage[] | null>) => void;

/** How much of a reason the status shortens: it shows STATUS_MAX characters, and the pattern is tried at each '/'. */
const SHORTENED = 8 * STATUS_MAX;

/**
 * A zone's file by its name alone (the reason names the zone before it), so it fits the status; the warning has it
 * whole. Other paths stay whole: cut to their last part, a missing /sys/class/thermal read 'no thermal zone under
 * thermal'. Only the start of the reason: the pattern's cost grows with the square of its length, and a thermal zone
 * or sysRoot of a megabyte of 'a/' from a flow file held the event loop for minutes at every reading.
 */
function shortZonePaths(text: string): string {
  return text.slice(0, SHORTENED).replace(/(?:\/[^\s/:]+)*\/class\/thermal\/thermal_zone\d+\/([^\s/:]+)/g, '$1');
}

export = function (RED: NodeAPI): void {
  function YoloTemperature(this: Node, config: YoloTemperatureDef) {
    RED.nodes.createNode(this, config);
    const node = this;
    let monitor: TemperatureMonitor;
    let intervalMs: number;
    try {
      const parsed = parseTemperatureConfig(config);
      monitor = new TemperatureMonitor(parsed.monitor);
      intervalMs = parsed.intervalMs;
    } catch (e) {
      // No timer; every input msg fails with the error, so Catch nodes see BAD_CONFIG as for the other nodes.
      refuseInput(node, e instanceof Error ? e : new YoloEdgeError(String(e), 'BAD_CONFIG'));
      return;
    }

    let closed = false;
    let running: Promise<void> | undefined;
    let queued = 0;
    const counters = { skippedTicks: 0, droppedInputs: 0 };

    function report(r: SampleResult): void {
      for (const { source, reason } of r.lost) node.warn(`${source} unavailable: ${reason}`);
      for (const source of r.restored) node.log(`${source} available again`);
      node.status(badge(r));
    }

    /** The state, and what is wrong when the temperature is missing or comes from auto mode's fallback. */
    function badge(r: SampleResult): NodeStatus {
      const { temperature: t, state, unavailable, temperatureSource } = r.reading;
      if (t === null) {
        // A warm, hot or critical state stays in force without readings (critical keeps detection paused): said so.
        const held = state === 'normal' ? '' : `, ${state} held`;
        const fill = state === 'normal' ? 'grey' : BADGE[state].fill;
        return { fill, shape: 'ring', text: statusText(`no temperature${held}: ${shortZonePaths(unavailable.temperature ?? 'unknown')}`, STATUS_MAX) };
      }
      const fallback = unavailable[ZONE_SOURCE] !== undefined ? ` (thermal zone failed, ${temperatureSource})` : '';
      const leftOut = unavailable[ZONES_LEFT_OUT] !== undefined ? ' · some thermal zones not read, see log' : '';
      return { ...BADGE[state], text: statusText(`${t.toFixed(1)} C ${state}${fallback}${leftOut}`, STATUS_MAX) };
    }

    function outputs(r: SampleResult, msg: NodeMessage): Array<NodeMessage | NodeMessage[] | null> {
      msg.payload = { ...r.reading, ...counters };
      if (msg.topic === undefined || msg.topic === '') msg.topic = TOPICS.temperature;
      const reason = { state: r.reading.state, previous: r.change?.from, temperature: r.reading.temperature };
      const stateMsg = r.change ? { topic: TOPICS.thermalState, payload: { ...reason, thresholds: { ...monitor.options.thresholds }, timestamp: r.reading.timestamp } } : null;
      // signed as the guard's: a detect node keeps them apart from the flow's own limits (a maintenance pause)
      const controls = r.controls.map((payload) => ({ topic: TOPICS.control, payload: { ...payload, source: GUARD_SOURCE }, reason }));
      return [msg, stateMsg, controls.length ? controls : null];
    }

    async function read(msg: NodeMessage, send: Send): Promise<void> {
      const r = await monitor.sample();
      if (closed) return;
      report(r);
      send(outputs(r, msg));
    }

    function onTick(): void {
      if (running) {
        counters.skippedTicks++;
        return;
      }
      const mine: Promise<void> = read({}, (m) => node.send(m))
        .catch((e: unknown) => node.error(e instanceof Error ? e.message : String(e)))
        .finally(() => {
          // An input may have queued behind this reading and taken its place.
          if (running === mine) running = undefined;
        });
      running = mine;
    }

    // A reading now, then every interval; a tick that finds a reading still running is skipped and counted.
    const first = setTimeout(onTick, 0);
    const timer = setInterval(onTick, intervalMs);

    node.on('input', (msg: NodeMessageInFlow, send, done) => {
      if (queued >= MAX_QUEUED) {
        counters.droppedInputs++;
        done();
        return;
      }
      queued++;
      const previous = running ?? Promise.resolve();
      const mine: Promise<void> = previous
        .then(() => read(msg, send))
        .then(() => done(), (e: unknown) => done(e instanceof Error ? e : new Error(String(e))))
        .finally(() => {
          queued--;
          if (running === mine) running = undefined;
        });
      running = mine;
    });

    node.on('close', (_removed: boolean, done: () => void) => {
      closed = true;
      clearTimeout(first);
      clearInterval(timer);
      // Kills vcgencmd runs in flight; the reading then ends within its file-read time limit.
      monitor.close();
      node.status({});
      void (running ?? Promise.resolve()).finally(done);
    });
  }
  RED.nodes.registerType('yolo-temperature', YoloTemperature);
};
