import * as path from 'path';
import { setTimeout as sleep } from 'timers/promises';
import { parseTemperatureConfig, ParsedConfig } from '../../lib/temperature/config';
import { Reading, TemperatureMonitor } from '../../lib/temperature/monitor';
import { asUsageError, flag, given, int, parse, Parsed, str } from '../args';
import { Command, err } from './command';
import { interrupted } from '../../lib/tools/temp-files';

/** A folder option as given on the command line: relative to the working folder (the node takes full paths only). */
function folderOption(p: Parsed, key: string): string | undefined {
  const v = str(p, key);
  return v === undefined ? v : path.resolve(v.trim());
}

function line(r: Reading): string {
  const t = r.temperature === null ? 'n/a' : `${r.temperature.toFixed(1)} C`;
  const clock = r.armClockHz === null ? 'n/a' : `${(r.armClockHz / 1e6).toFixed(0)} MHz`;
  const load = r.cpuLoad === null ? 'n/a' : `${r.cpuLoad.toFixed(0)}%`;
  const mem = r.memory === null ? 'n/a' : `${r.memory.usedPercent.toFixed(0)}%`;
  const trend = r.stats?.trendPerMinute == null ? '' : ` trend ${r.stats.trendPerMinute.toFixed(2)} C/min`;
  const throttled = r.throttled === null ? 'n/a' : r.throttled.hex;
  return `${t} ${r.state} throttled=${throttled} clock ${clock} load ${load} mem ${mem} rss ${(r.rssBytes / 2 ** 20).toFixed(0)} MiB${trend}`;
}

/** The node's own settings parser checks --interval and --source: what it refuses is a mistake in the option (exit 2). */
function configOf(p: Parsed): ParsedConfig {
  try {
    return parseTemperatureConfig({ interval: str(p, 'interval'), source: str(p, 'source'), thermalZone: str(p, 'zone'), sysRoot: folderOption(p, 'sys-root'), procRoot: folderOption(p, 'proc-root'), vcgencmd: given(p, 'vcgencmd') });
  } catch (e) {
    throw asUsageError(e, ['BAD_CONFIG']);
  }
}

export const temperature: Command = {
  summary: 'print SoC temperature, thermal state, throttle flags, clock, load and memory readings',
  usage: 'yolo-edge temperature [--count 1] [--interval 5] [--source auto|sysfs|vcgencmd] [--zone Z] [--sys-root /sys] [--proc-root /proc] [--vcgencmd PATH (\'\' for none)] [--json]',
  async run(argv) {
    const p = parse(argv, { count: { type: 'string' }, interval: { type: 'string' }, source: { type: 'string' }, zone: { type: 'string' }, 'sys-root': { type: 'string' }, 'proc-root': { type: 'string' }, vcgencmd: { type: 'string' }, json: { type: 'boolean' } });
    const count = int(p, 'count', 1, 1);
    const cfg = configOf(p);
    // no node here to redeploy: a vcgencmd found missing is left alone for the rest of this run
    const monitor = new TemperatureMonitor({ ...cfg.monitor, notFoundFor: 'while this command runs' });
    // vcgencmd leads a process group of its own, which a terminal's Ctrl-C does not reach: one that hangs ran on
    interrupted.addEventListener('abort', () => monitor.close(), { once: true });
    for (let i = 0; i < count; i++) {
      if (i > 0) await sleep(cfg.intervalMs);
      const r = await monitor.sample();
      for (const { source, reason } of r.lost) err(`${source} unavailable: ${reason}\n`);
      process.stdout.write(`${flag(p, 'json') ? JSON.stringify(r.reading) : line(r.reading)}\n`);
    }
  },
};
