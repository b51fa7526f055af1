import { ChildProcess, spawn } from 'child_process';
import { YoloEdgeError } from '../errors';

/** Parses `temp=54.2'C` (vcgencmd measure_temp) into degrees C; anything but a plain decimal is refused. */
export function parseMeasureTemp(text: string): number {
  const m = /^temp=(-?\d+(?:\.\d+)?)'C$/.exec(text.trim());
  if (!m) throw new YoloEdgeError(`unexpected measure_temp output: ${JSON.stringify(text.trim())}`, 'SENSOR_FAILED');
  return Number(m[1]);
}

/** Parses `frequency(0)=2400000000` (vcgencmd measure_clock arm) into Hz. */
export function parseMeasureClock(text: string): number {
  const m = /frequency\(\d+\)=(\d+)/.exec(text);
  if (!m) throw new YoloEdgeError(`unexpected measure_clock output: ${JSON.stringify(text.trim())}`, 'SENSOR_FAILED');
  return Number(m[1]);
}

/** The run failed because the command does not exist (ENOENT), not because it timed out or failed. */
export function isNotFound(e: unknown): boolean {
  const cause = e instanceof Error ? e.cause : undefined;
  return cause instanceof Error && (cause as NodeJS.ErrnoException).code === 'ENOENT';
}

export interface RunLimits {
  /** Time for vcgencmd to answer and exit. */
  timeoutMs: number;
  /** After the timeout: time between SIGTERM and SIGKILL, and then for SIGKILL to take effect. */
  graceMs: number;
  /** Aborting kills the run at once (the node is closing). */
  signal?: AbortSignal;
}

export const VCGENCMD_LIMITS: RunLimits = { timeoutMs: 2000, graceMs: 500 };

const MAX_OUTPUT = 64 * 1024;

/**
 * Runs the configured vcgencmd with a time limit; rejects with the reason when it is missing or fails. It leads
 * its own process group so that a timeout ends what it started too, with SIGKILL when SIGTERM is ignored: a run
 * that never exits must not hold the reading (and every later one) for good.
 */
export function runVcgencmd(command: string, args: string[], limits: RunLimits = VCGENCMD_LIMITS): Promise<string> {
  const fail = (detail: string, cause?: Error): Error => new YoloEdgeError(`${command} ${args.join(' ')}: ${detail}`, 'SENSOR_FAILED', { cause });
  if (limits.signal?.aborted) return Promise.reject(fail('stopped'));
  return new Promise((resolve, reject) => {
    let child: ChildProcess;
    try {
      child = spawn(command, args, { detached: true, stdio: ['ignore', 'pipe', 'pipe'], shell: false, windowsHide: true });
    } catch (e) {
      return reject(fail((e as Error).message));
    }
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let size = 0;
    let settled = false;
    const timers: NodeJS.Timeout[] = [];
    const finish = (error: Error | undefined, killGroup = false): void => {
      if (settled) return;
      settled = true;
      for (const t of timers) clearTimeout(t);
      limits.signal?.removeEventListener('abort', onAbort);
      // Whatever of the group is still there (a shell's children) goes too.
      if (killGroup && child.pid !== undefined) signalGroup(child.pid, 'SIGKILL');
      child.stdout?.destroy();
      child.stderr?.destroy();
      if (error) reject(error);
      else resolve(Buffer.concat(out).toString());
    };
    const onAbort = (): void => finish(fail('stopped'), true);
    limits.signal?.addEventListener('abort', onAbort, { once: true });
    const collect = (into: Buffer[]) => (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_OUTPUT) return finish(fail(`more than ${MAX_OUTPUT} bytes of output`), true);
      into.push(chunk);
    };
    child.stdout!.on('data', collect(out));
    child.stderr!.on('data', collect(err));
    child.once('error', (e: NodeJS.ErrnoException) => finish(fail(e.code === 'ENOENT' ? 'not found' : e.message, e), true));
    child.once('close', (code, sig) => {
      if (code === 0) return finish(undefined);
      finish(fail(Buffer.concat(err).toString().trim() || (sig ? `killed by ${sig}` : `exited with code ${code}`)), true);
    });
    const late = `no answer within ${(limits.timeoutMs / 1000).toFixed(1)} s`;
    let endedBy = 'ended by SIGTERM';
    const kill = (signal: NodeJS.Signals, next: () => void): void => {
      signalGroup(child.pid!, signal);
      timers.push(setTimeout(next, limits.graceMs));
    };
    timers.push(
      setTimeout(() => {
        // Exited, and only a child of it still holds the output open: nothing to wait for.
        if (child.exitCode !== null || child.signalCode !== null) return finish(fail(late), true);
        child.once('exit', () => finish(fail(`${late}, ${endedBy}`), true));
        kill('SIGTERM', () => {
          endedBy = 'ignored SIGTERM, ended by SIGKILL';
          // A process stuck in the kernel outlives even SIGKILL for a while; the reading goes on without it.
          kill('SIGKILL', () => finish(fail(`${late}, still running after SIGKILL`), true));
        });
      }, limits.timeoutMs),
    );
  });
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // ESRCH: the group is already gone.
  }
}
