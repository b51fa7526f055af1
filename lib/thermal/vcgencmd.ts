import { execFile } from 'child_process';

/** Parses `temp=54.2'C` (vcgencmd measure_temp) into degrees C. */
export function parseMeasureTemp(text: string): number {
  const m = /temp=(-?\d+(?:\.\d+)?)/.exec(text);
  if (!m) throw new Error(`unexpected measure_temp output: ${JSON.stringify(text.trim())}`);
  return Number(m[1]);
}

/** Parses `frequency(0)=2400000000` (vcgencmd measure_clock arm) into Hz. */
export function parseMeasureClock(text: string): number {
  const m = /frequency\(\d+\)=(\d+)/.exec(text);
  if (!m) throw new Error(`unexpected measure_clock output: ${JSON.stringify(text.trim())}`);
  return Number(m[1]);
}

/** Runs the configured vcgencmd with a time limit; rejects with the reason when it is missing or fails. */
export function runVcgencmd(command: string, args: string[], timeoutMs = 2000): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(command, args, { timeout: timeoutMs, maxBuffer: 64 * 1024 }, (error, stdout, stderr) => {
      if (error) {
        const detail = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'not found' : String(stderr).trim() || error.message;
        reject(new Error(`${command} ${args.join(' ')}: ${detail}`));
      } else {
        resolve(String(stdout));
      }
    });
  });
}
