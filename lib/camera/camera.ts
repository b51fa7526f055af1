import { CalibrationCapture, CalibrationOptions } from './calibration-capture';
import { CameraConfig } from './config';
import { jpegSize } from '../image/jpeg-header';
import { CapturedFrame, FrameCounters, LatestFrameGate } from './latest-frame';
import { RateMeter } from '../rate-meter';
import { createSource } from './source-factory';
import { parseCommand } from '../config/command';
import { FrameSource, SourceState } from './source';
import { WarningFilter } from './warning-filter';
import { YoloEdgeError } from '../errors';

export interface FrameInfo extends FrameCounters {
  /** 1 for the first frame sent, then +1 per frame sent. */
  seq: number;
  timestamp: number;
  width?: number;
  height?: number;
  source: string;
  /** The file name, for the folder source. */
  file?: string;
}

export interface CameraStatus {
  fill: 'red' | 'green' | 'yellow' | 'blue' | 'grey';
  shape: 'dot' | 'ring';
  text: string;
}

export interface CameraOutput {
  frame(jpeg: Buffer, info: FrameInfo): void;
  status(status: CameraStatus): void;
  warn(message: string): void;
}

export const COMMANDS = ['start', 'stop', 'pause', 'resume'] as const;
export type CameraCommand = (typeof COMMANDS)[number];

const STATUS_EVERY_MS = 1000;

/**
 * A camera as the node sees it: a source, the latest-frame gate, counters, commands and a status line.
 * No Node-RED here; the node maps frame/status/warn to send/status/warn.
 */
export class Camera {
  readonly source: FrameSource;
  private readonly gate: LatestFrameGate;
  private readonly calibration?: CalibrationCapture;
  private state: SourceState = { kind: 'stopped', message: 'stopped' };
  private started = false;
  /** Stopped by command: in trigger mode a request must not start the camera again, only `start` does. */
  private off = false;
  private paused = false;
  private closed = false;
  private seq = 0;
  private statusTimer?: NodeJS.Timeout;
  private lastStatus = '';
  private readonly warnings = new WarningFilter();
  /** The rate of messages sent, for the status. */
  private readonly meter: RateMeter;

  constructor(
    private readonly config: CameraConfig,
    private readonly out: CameraOutput,
    calibration?: CalibrationOptions,
  ) {
    this.source = createSource(config, {
      frame: (jpeg, origin) => this.gate.put({ jpeg, timestamp: Date.now(), origin }),
      state: (s) => this.onState(s),
      warn: (m, detail) => this.warn(m, detail),
    });
    // Polling sources fetch at the target rate themselves: frames they deliver go out at once.
    const pace = config.mode === 'trigger' ? 'on-request' : this.source.pullable ? 0 : 1000 / config.fps;
    this.gate = new LatestFrameGate((f) => this.send(f), pace);
    // Long enough to hold a few frames at the target rate, so slow cameras show a rate too.
    this.meter = new RateMeter(Math.max(2000, (4 * 1000) / config.fps));
    if (calibration) this.calibration = new CalibrationCapture(calibration, (m) => this.warn(m));
  }

  get counters(): FrameCounters {
    return { ...this.gate.counters };
  }

  get calibrationSaved(): number | undefined {
    return this.calibration?.count;
  }

  /** Starts capturing (on deploy). In trigger mode, pullable sources only fetch on request. */
  open(): void {
    this.statusTimer = setInterval(() => this.refreshStatus(), STATUS_EVERY_MS);
    if (this.config.autostart) this.start();
    else this.refreshStatus(true);
  }

  /** msg.command start (and start on deploy): a folder read to its end starts over at its first file. */
  start(): void {
    this.started = true;
    this.off = false;
    this.paused = false;
    this.meter.reset();
    this.gate.setPaused(false);
    this.source.rewind?.();
    if (this.config.mode === 'continuous' || !this.source.pullable) this.source.start();
    this.refreshStatus(true);
  }

  async stop(): Promise<void> {
    this.started = false;
    this.off = true;
    this.paused = false;
    this.gate.setPaused(false);
    this.gate.clear('the camera was stopped');
    await this.source.stop();
    this.refreshStatus(true);
  }

  /** Streams keep running (a quick resume, a warm sensor) but nothing is sent; polling stops. */
  async pause(): Promise<void> {
    if (!this.started) return;
    this.paused = true;
    this.gate.setPaused(true);
    if (this.source.pullable) await this.source.stop();
    this.refreshStatus(true);
  }

  resume(): void {
    if (!this.started) return this.start();
    this.paused = false;
    this.meter.reset();
    this.gate.setPaused(false);
    if (this.source.pullable && this.config.mode === 'continuous') this.source.start();
    this.refreshStatus(true);
  }

  /** msg.command: a string naming one of COMMANDS (BAD_COMMAND otherwise, and nothing changes; STOPPED once closed). */
  async command(cmd: unknown): Promise<void> {
    const c: CameraCommand = parseCommand(cmd, COMMANDS);
    // Node-RED still delivers messages while the node closes: a start then would leave a capture program running.
    if (this.closed) throw closedError();
    if (c === 'start') this.start();
    else if (c === 'stop') await this.stop();
    else if (c === 'pause') await this.pause();
    else this.resume();
  }

  /** Trigger mode: one frame per request, the newest not yet sent (or the next one). */
  async capture(): Promise<{ jpeg: Buffer; info: FrameInfo }> {
    if (this.closed) throw closedError();
    if (this.off) throw offError();
    if (this.paused) throw new YoloEdgeError('the camera is paused', 'PAUSED');
    // A camera never started (no start on deploy) starts at its first request; one stopped by command does not.
    // Pullable sources too: their status shows each request's outcome only once started.
    if (!this.started) this.start();
    if (this.source.pullable) {
      const r = await this.source.pull();
      if (this.closed) throw closedError();
      this.gate.passThrough();
      return this.describe({ jpeg: r.jpeg, timestamp: Date.now(), origin: r.origin });
    }
    let f: CapturedFrame;
    try {
      f = await this.gate.next(this.config.supervision.stallMs);
    } catch (err) {
      // The status shows why the stream gives nothing (program missing, camera refusing); so does the error a
      // Catch node gets, rather than only "no frame within 10 s".
      if (err instanceof YoloEdgeError && err.code === 'NO_FRAME' && this.state.kind === 'retrying') err.message += ` (${this.state.message})`;
      throw err;
    }
    return this.describe(f);
  }

  async close(): Promise<void> {
    if (this.statusTimer) clearInterval(this.statusTimer);
    this.statusTimer = undefined;
    this.started = false;
    this.closed = true;
    this.gate.clear(closedError().message);
    await this.source.stop();
    await this.calibration?.flush();
  }

  private send(f: CapturedFrame): void {
    const { jpeg, info } = this.describe(f);
    this.out.frame(jpeg, info);
  }

  private describe(f: CapturedFrame): { jpeg: Buffer; info: FrameInfo } {
    this.calibration?.offer(f.jpeg);
    this.meter.tick(performance.now()); // not the wall clock: setting it back would stop the rate
    const size = jpegSize(f.jpeg);
    const info: FrameInfo = { seq: ++this.seq, timestamp: f.timestamp, width: size?.width, height: size?.height, source: this.source.name, ...this.gate.counters };
    if (f.origin) info.file = f.origin;
    return { jpeg: f.jpeg, info };
  }

  private onState(s: SourceState): void {
    // A new run (starting, running after a reconnect) or none: the rate before it says nothing about it.
    this.meter.reset();
    this.state = s;
    this.refreshStatus(true);
  }

  /** Warns once per distinct reason (again after a minute), so a camera retrying for days does not flood the log. */
  private warn(message: string, detail?: string): void {
    if (!this.warnings.admit(message)) return;
    this.out.warn(detail ? `${message} (stderr: ${detail})` : message);
  }

  private refreshStatus(force = false): void {
    const s = this.statusNow();
    const key = `${s.fill}|${s.shape}|${s.text}`;
    if (!force && key === this.lastStatus) return;
    this.lastStatus = key;
    this.out.status(s);
  }

  private statusNow(): CameraStatus {
    const c = this.gate.counters;
    const calib = this.calibration ? ` · calib ${this.calibration.count}` : '';
    const counts = `captured ${c.captured} · sent ${c.emitted} · dropped ${c.dropped}${calib}`;
    if (!this.started) return { fill: 'grey', shape: 'ring', text: this.config.autostart || c.captured ? `stopped · ${counts}` : 'stopped' };
    if (this.paused) return { fill: 'blue', shape: 'ring', text: `paused · ${counts}` };
    switch (this.state.kind) {
      case 'retrying':
      case 'failed':
        return { fill: 'red', shape: 'ring', text: this.state.message };
      case 'starting':
        return { fill: 'yellow', shape: 'ring', text: 'starting' };
      case 'ended':
        return { fill: 'grey', shape: 'dot', text: `${this.state.message} · ${counts}` };
      default: {
        if (this.config.mode === 'trigger' && this.source.pullable) return { fill: 'green', shape: 'dot', text: `ready · ${counts}` };
        const fps = this.meter.rate(performance.now());
        return { fill: 'green', shape: 'dot', text: `${fps === undefined ? 'running' : `${fps.toFixed(1)} fps`} · ${counts}` };
      }
    }
  }
}

/** Requests waiting or arriving when the node closes fail with this: nothing is sent after close. */
function closedError(): YoloEdgeError {
  return new YoloEdgeError('the node was closed', 'STOPPED');
}

/** Trigger mode after msg.command stop: requests are refused until start, rather than turning the camera back on. */
function offError(): YoloEdgeError {
  return new YoloEdgeError('the camera is stopped (msg.command stop): send msg.command start before asking for frames', 'STOPPED');
}
