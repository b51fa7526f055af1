import { promises as fs } from 'fs';
import * as path from 'path';
import { READ_TIMEOUT_MS, readBounded, withTimeout } from './bounded-read';
import { YoloEdgeError } from '../errors';

export interface ThermalZone {
  zone: string;
  /** Empty when the type file could not be read; typeError says why. */
  type: string;
  /** Null when the zone's temp could not be read or is not a number; error says why. */
  celsius: number | null;
  error?: string;
  typeError?: string;
}

/** Reads a sysfs file holding one decimal integer (thermal zone temp in millidegrees C, cpufreq in kHz). */
export async function readIntFile(file: string): Promise<number> {
  const text = (await readBounded(file)).trim();
  // Number() would also take hex, exponents and blanks: a sysfs integer is plain decimal digits.
  if (!/^-?\d+$/.test(text)) throw new YoloEdgeError(`${file}: not a decimal integer: ${JSON.stringify(text.slice(0, 40))}`, 'SENSOR_FAILED');
  return Number(text);
}

/**
 * All zones under <sysRoot>/class/thermal, in zone-number order. A zone that cannot be read stays in the list with
 * its error, so choosing the SoC zone never silently lands on another sensor when the SoC's is broken.
 */
export async function readThermalZones(sysRoot: string): Promise<ThermalZone[]> {
  const base = path.join(sysRoot, 'class', 'thermal');
  const names = (await withTimeout(fs.readdir(base), READ_TIMEOUT_MS, base)).filter((n) => /^thermal_zone\d+$/.test(n));
  names.sort((a, b) => Number(a.slice(12)) - Number(b.slice(12)));
  return Promise.all(
    names.map(async (zone): Promise<ThermalZone> => {
      const dir = path.join(base, zone);
      const named = await readBounded(path.join(dir, 'type')).then(
        (t) => ({ type: t.trim() }),
        (e: Error) => ({ type: '', typeError: e.message }),
      );
      try {
        return { zone, ...named, celsius: (await readIntFile(path.join(dir, 'temp'))) / 1000 };
      } catch (e) {
        return { zone, ...named, celsius: null, error: (e as Error).message };
      }
    }),
  );
}

const SOC_TYPES = /^(cpu[-_]thermal|soc[-_]thermal|x86_pkg_temp|cpu)/i;

/**
 * Picks a zone by name (`thermal_zone2`) or type (`cpu-thermal`); with no choice the SoC/CPU zone, else the first
 * readable one (a machine without a SoC zone). A broken zone is returned as it is, for the caller to report.
 */
export function chooseZone(zones: ThermalZone[], wanted: string): ThermalZone | undefined {
  if (wanted) return zones.find((z) => z.zone === wanted || z.type === wanted);
  const soc = zones.find((z) => SOC_TYPES.test(z.type));
  if (soc) return soc;
  // A zone whose type cannot be read may be the SoC's: a cooler sensor read in its place would let the SoC overheat.
  const unnamed = zones.find((z) => z.typeError !== undefined);
  if (unnamed) return { ...unnamed, celsius: null, error: `type unreadable, it may be the SoC zone (set the zone to read another): ${unnamed.typeError}` };
  return zones.find((z) => z.celsius !== null) ?? zones[0];
}

/** Current ARM clock of cpu0's policy in Hz (scaling_cur_freq is in kHz). */
export async function readCpuFreqHz(sysRoot: string): Promise<number> {
  const khz = await readIntFile(path.join(sysRoot, 'devices', 'system', 'cpu', 'cpu0', 'cpufreq', 'scaling_cur_freq'));
  return khz * 1000;
}
