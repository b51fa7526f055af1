import { ChildProcess, spawn } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { droppedFramesNote, MjpegSplitter } from './mjpeg-splitter';
import { SourceEvents, SupervisionOptions } from './source';
import { Connection, parsingHandler, SupervisedSource } from './supervised-source';

export interface ProcessSpec {
  /** Candidate programs, first one found wins (rpicam-vid, then libcamera-vid). Names or paths. */
  commands: string[];
  /** Arguments, passed as an array: never through a shell. */
  args: string[];
  /** Reason not to start now (a missing device), checked before every start. */
  precheck?: () => string | undefined;
  /** Written to the program's stdin, which is then closed: what must not be on its command line (in ps). */
  stdin?: string;
  /** Removes secrets (an RTSP password) from anything shown to the user. */
  redact?: (text: string) => string;
  /** How long a process gets after SIGTERM before SIGKILL. */
  stopGraceMs?: number;
}

/** Finds a program like execvp would: a path is taken as is, a bare name is looked up on PATH. */
export function findProgram(command: string, envPath = process.env.PATH ?? ''): string | undefined {
  const candidates = command.includes('/') ? [command] : envPath.split(path.delimiter).filter((d) => d).map((d) => path.join(d, command));
  return candidates.find((file) => {
    try {
      fs.accessSync(file, fs.constants.X_OK);
      return fs.statSync(file).isFile();
    } catch {
      return false;
    }
  });
}

/** ffmpeg's note that it left out copies of the line before it: it would hide the reason a run ended, and its count varies. */
const REPEAT_NOTE = /^Last message repeated \d+ times?$/;

/** An unfinished line longer than this many times a line's length is cut (masked first) to bound memory. */
const PARTIAL_LINES = 4;

/**
 * The last few stderr lines of a process, bounded in count and length. Secrets are masked before any cut: a
 * password cut in two is no longer recognised, and its first part would show.
 */
export class LineTail {
  private lines: string[] = [];
  private partial = '';

  constructor(
    private readonly redact: (text: string) => string = (t) => t,
    private readonly maxLines = 5,
    private readonly maxLength = 200,
  ) {}

  push(chunk: Buffer): void {
    const parts = (this.partial + chunk.toString('utf8')).split(/\r?\n|\r/);
    this.partial = parts.pop()!;
    if (this.partial.length > PARTIAL_LINES * this.maxLength) this.partial = this.redact(this.partial).slice(-PARTIAL_LINES * this.maxLength);
    for (const line of parts.map((l) => l.trim())) if (line && !REPEAT_NOTE.test(line)) this.lines.push(this.redact(line).slice(0, this.maxLength));
    if (this.lines.length > this.maxLines) this.lines.splice(0, this.lines.length - this.maxLines);
  }

  text(): string {
    return [...this.lines, this.partialShown()].filter((l) => l).join(' | ');
  }

  last(): string {
    return this.partialShown() || this.lines[this.lines.length - 1] || '';
  }

  private partialShown(): string {
    return this.redact(this.partial.trim()).slice(-this.maxLength);
  }
}

/** A capture program (rpicam-vid, ffmpeg) writing MJPEG to stdout, supervised and restarted. */
export class ProcessSource extends SupervisedSource {
  private program?: string;

  constructor(
    name: string,
    private readonly spec: ProcessSpec,
    events: SourceEvents,
    options: SupervisionOptions,
  ) {
    super(name, events, options);
  }

  /** The program that was started last (after the fallback), for tests and status. */
  get command(): string | undefined {
    return this.program;
  }

  protected connect(): Connection | string {
    const blocked = this.spec.precheck?.();
    if (blocked) return blocked;
    this.program = this.spec.commands.map((c) => findProgram(c)).find((p) => p !== undefined);
    if (!this.program) return `${this.spec.commands.join(' / ')} not found${this.spec.commands.some((c) => !c.includes('/')) ? ' on PATH' : ''}`;
    return new ProcessRun(this.program, this.spec, this.options.maxFrameBytes, {
      frame: (run, jpeg) => this.deliver(run, jpeg),
      oversize: (run) => this.frameTooLarge(run),
      ended: (run, reason, detail) => this.ended(run, reason, detail),
    });
  }
}

interface RunEvents {
  frame(run: ProcessRun, jpeg: Buffer): void;
  oversize(run: ProcessRun): void;
  ended(run: ProcessRun, reason: string, detail: string): void;
}

class ProcessRun implements Connection {
  private readonly child: ChildProcess;
  private readonly splitter: MjpegSplitter;
  private readonly stderr: LineTail;
  private readonly exited: Promise<void>;
  private exitReason?: string;
  private closing?: Promise<void>;

  constructor(
    private readonly program: string,
    private readonly spec: ProcessSpec,
    private readonly maxFrameBytes: number,
    private readonly events: RunEvents,
  ) {
    this.splitter = new MjpegSplitter((jpeg) => events.frame(this, jpeg), maxFrameBytes, () => events.oversize(this));
    this.stderr = new LineTail((text) => this.redact(text));
    // detached: the program leads its own process group, so stop can end it with everything it started.
    const stdin = spec.stdin === undefined ? 'ignore' : 'pipe';
    this.child = spawn(program, spec.args, { detached: true, stdio: [stdin, 'pipe', 'pipe'], shell: false, windowsHide: true });
    if (this.child.stdin) {
      // EPIPE when the program exits without reading: its exit is reported, this is not.
      this.child.stdin.on('error', () => undefined);
      this.child.stdin.end(spec.stdin);
    }
    this.child.stdout!.on('data', parsingHandler((chunk: Buffer) => this.splitter.push(chunk), (reason) => this.parseFailed(reason)));
    this.child.stderr!.on('data', (chunk: Buffer) => this.stderr.push(chunk));
    this.exited = new Promise((resolve) => {
      const finish = (reason: string): void => {
        if (this.exitReason !== undefined) return;
        this.exitReason = reason;
        resolve();
        events.ended(this, this.describe(reason), this.redact(this.stderr.text()));
      };
      this.child.once('error', (err) => finish(err.message));
      this.child.once('exit', (code, signal) => finish(signal ? `killed by ${signal}` : `exited with code ${code}`));
    });
  }

  progress(): string {
    const s = this.splitter.stats;
    const last = this.stderr.last();
    return this.redact(`${droppedFramesNote(s, this.maxFrameBytes)}${s.bytes} bytes read from ${path.basename(this.program)}, ${s.garbageBytes} not JPEG${last ? `; stderr: ${last}` : ''}`);
  }

  close(): Promise<void> {
    this.closing ??= this.terminate();
    return this.closing;
  }

  private async terminate(): Promise<void> {
    const pid = this.child.pid;
    if (pid !== undefined && this.exitReason === undefined) {
      signalGroup(pid, 'SIGTERM');
      const timer = setTimeout(() => signalGroup(pid, 'SIGKILL'), this.spec.stopGraceMs ?? 2000);
      await this.exited;
      clearTimeout(timer);
    }
    // Members of the group that outlived its leader (a shell's children) go too, and are waited for.
    if (pid !== undefined) {
      signalGroup(pid, 'SIGKILL');
      await groupGone(pid, 2000);
    }
    this.child.stdout?.destroy();
    this.child.stderr?.destroy();
  }

  /** Ends the run (the source closes it and retries); the exit that follows is not reported again. */
  private parseFailed(reason: string): void {
    this.events.ended(this, this.redact(`${path.basename(this.program)} output: ${reason}`), this.redact(this.stderr.text()));
  }

  /** The short reason: how it ended and the last stderr line (rpicam-apps print INFO lines before an ERROR). */
  private describe(reason: string): string {
    const last = this.stderr.last();
    return this.redact(`${path.basename(this.program)} ${reason}${last ? `: ${last}` : ''}`);
  }

  private redact(text: string): string {
    return this.spec.redact ? this.spec.redact(text) : text;
  }
}

/**
 * Waits until no live process of the group is left, up to timeoutMs. Exited members that wait for init to reap
 * them (zombies) do not count: they hold no resources but a slot in the process table.
 */
async function groupGone(pgid: number, timeoutMs: number): Promise<void> {
  const until = performance.now() + timeoutMs;
  while (performance.now() < until && liveMembers(pgid) > 0) await new Promise((r) => setTimeout(r, 20));
}

function liveMembers(pgid: number): number {
  let pids: string[];
  try {
    pids = fs.readdirSync('/proc').filter((n) => /^\d+$/.test(n));
  } catch {
    // No /proc (not Linux): fall back to asking the kernel whether the group exists at all.
    try {
      process.kill(-pgid, 0);
      return 1;
    } catch {
      return 0;
    }
  }
  let live = 0;
  for (const pid of pids) {
    try {
      const stat = fs.readFileSync(`/proc/${pid}/stat`, 'latin1');
      // Fields after the command name: state, ppid, pgrp.
      const [state, , pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(pgrp) === pgid && state !== 'Z' && state !== 'X') live++;
    } catch {
      // exited meanwhile
    }
  }
  return live;
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // ESRCH: the group is already gone.
  }
}
