import { promises as fs } from 'fs';
import * as path from 'path';

export interface ThermalZone {
  zone: string;
  type: string;
  celsius: number;
}

/** Reads a sysfs file holding one integer (thermal zone temp in millidegrees C, cpufreq in kHz). */
export async function readIntFile(file: string): Promise<number> {
  const text = (await fs.readFile(file, 'utf8')).trim();
  const n = Number(text);
  if (text === '' || !Number.isFinite(n)) throw new Error(`${file}: not a number: ${JSON.stringify(text)}`);
  return n;
}

/** All readable zones under <sysRoot>/class/thermal, in zone-number order; unreadable zones are skipped. */
export async function readThermalZones(sysRoot: string): Promise<ThermalZone[]> {
  const base = path.join(sysRoot, 'class', 'thermal');
  const names = (await fs.readdir(base)).filter((n) => /^thermal_zone\d+$/.test(n));
  names.sort((a, b) => Number(a.slice(12)) - Number(b.slice(12)));
  const zones: ThermalZone[] = [];
  for (const zone of names) {
    try {
      const millis = await readIntFile(path.join(base, zone, 'temp'));
      const type = await fs.readFile(path.join(base, zone, 'type'), 'utf8').then((t) => t.trim(), () => '');
      zones.push({ zone, type, celsius: millis / 1000 });
    } catch {
      // A zone whose sensor is off or unreadable (EAGAIN, ENODATA) is not the SoC sensor we want.
    }
  }
  return zones;
}

const SOC_TYPES = /^(cpu[-_]thermal|soc[-_]thermal|x86_pkg_temp|cpu)/i;

/** Picks a zone by name (`thermal_zone2`) or type (`cpu-thermal`); with no choice the SoC/CPU zone, else the first. */
export function chooseZone(zones: ThermalZone[], wanted: string): ThermalZone | undefined {
  if (wanted) return zones.find((z) => z.zone === wanted || z.type === wanted);
  return zones.find((z) => SOC_TYPES.test(z.type)) ?? zones[0];
}

/** Current ARM clock of cpu0's policy in Hz (scaling_cur_freq is in kHz). */
export async function readCpuFreqHz(sysRoot: string): Promise<number> {
  const khz = await readIntFile(path.join(sysRoot, 'devices', 'system', 'cpu', 'cpu0', 'cpufreq', 'scaling_cur_freq'));
  return khz * 1000;
}
