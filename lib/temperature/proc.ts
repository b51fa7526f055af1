import { YoloEdgeError } from '../errors';
export interface CpuTimes {
  idle: number;
  total: number;
}

/** The aggregate `cpu` line of /proc/stat; idle includes iowait as top(1) counts it. */
export function parseCpuTimes(stat: string): CpuTimes {
  const line = stat.split('\n').find((l) => /^cpu\s/.test(l));
  if (!line) throw new YoloEdgeError('/proc/stat has no aggregate cpu line', 'SENSOR_FAILED');
  const f = line.trim().split(/\s+/).slice(1).map(Number);
  if (f.length < 4 || f.some((n) => !Number.isFinite(n))) throw new YoloEdgeError(`unexpected /proc/stat cpu line: ${line}`, 'SENSOR_FAILED');
  // guest and guest_nice (fields 9, 10) are already counted in user and nice.
  const total = f.slice(0, 8).reduce((a, b) => a + b, 0);
  return { idle: f[3] + (f[4] ?? 0), total };
}

/** CPU load in percent between consecutive samples; the first sample has no delta yet. */
export class CpuLoadMeter {
  private last: CpuTimes | undefined;

  update(times: CpuTimes): number | null {
    const prev = this.last;
    this.last = times;
    if (!prev) return null;
    const total = times.total - prev.total;
    if (total <= 0) return null;
    const busy = total - (times.idle - prev.idle);
    return Math.min(100, Math.max(0, (100 * busy) / total));
  }
}

export interface MemoryInfo {
  totalBytes: number;
  availableBytes: number;
  usedPercent: number;
}

/** /proc/meminfo (values in kB); kernels without MemAvailable fall back to free + buffers + cached. */
export function parseMeminfo(text: string): MemoryInfo {
  const kb = new Map<string, number>();
  for (const m of text.matchAll(/^(\w+):\s+(\d+)/gm)) kb.set(m[1], Number(m[2]));
  const total = kb.get('MemTotal');
  if (!total) throw new YoloEdgeError('/proc/meminfo has no MemTotal', 'SENSOR_FAILED');
  const reported = kb.get('MemAvailable');
  // More available than there is: a broken file, not a reading (usedPercent would be negative).
  if (reported !== undefined && reported > total) throw new YoloEdgeError(`/proc/meminfo: MemAvailable ${reported} kB is above MemTotal ${total} kB`, 'SENSOR_FAILED');
  // The old-kernel estimate counts some pages twice (Cached holds shared memory): it is capped at the total.
  const available = reported ?? Math.min(total, (kb.get('MemFree') ?? 0) + (kb.get('Buffers') ?? 0) + (kb.get('Cached') ?? 0));
  return { totalBytes: total * 1024, availableBytes: available * 1024, usedPercent: (100 * (total - available)) / total };
}
