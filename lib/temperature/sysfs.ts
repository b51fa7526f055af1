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

/** A zone's folder name. */
const ZONE_NAME = /^thermal_zone\d+$/;

/** More zones than a board has (a Pi 5 has one or two, large servers a few dozen): the lowest-numbered are read. */
export const MAX_ZONES = 64;

/**
 * Entries of class/thermal looked at for zones (it holds cooling devices too, one per core on large machines). A
 * faked sysRoot of 20000 zones was listed whole and every zone read at once, at every reading: 40000 files open
 * together, and the reading failed with EMFILE, as did every other file Node-RED opened meanwhile.
 */
export const MAX_THERMAL_ENTRIES = 4096;

export interface ZoneListing {
  zones: ThermalZone[];
  /** Why zones were left out (more than MAX_ZONES); undefined when none were. */
  leftOut?: string;
}

/** The thermal_zoneN names among the first MAX_THERMAL_ENTRIES entries of `base`; `more` when it holds more. */
async function zoneNames(base: string): Promise<{ names: string[]; more: boolean }> {
  const names: string[] = [];
  let seen = 0;
  // opendir reads the folder in small batches; breaking out of the loop closes it
  for await (const e of await fs.opendir(base, { bufferSize: 64 })) {
    if (++seen > MAX_THERMAL_ENTRIES) return { names, more: true };
    if (ZONE_NAME.test(e.name)) names.push(e.name);
  }
  return { names, more: false };
}

/**
 * The zones under <sysRoot>/class/thermal, in zone-number order: the one named `wanted` (thermal_zoneN) alone, or
 * the MAX_ZONES lowest-numbered. A folder of more than MAX_THERMAL_ENTRIES entries is no board's: SENSOR_FAILED
 * (the SoC's zone may be past the listing, and another sensor read in its place). A zone that cannot be read stays
 * in the list with its error, so choosing the SoC zone never silently lands on another sensor when the SoC's is broken.
 */
export async function readThermalZones(sysRoot: string, wanted = ''): Promise<ZoneListing> {
  const base = path.join(sysRoot, 'class', 'thermal');
  if (ZONE_NAME.test(wanted)) return { zones: (await isFolder(path.join(base, wanted))) ? [await readZone(base, wanted)] : [] };
  const { names, more } = await withTimeout(zoneNames(base), READ_TIMEOUT_MS, base);
  if (more) throw new YoloEdgeError(`${base} holds over ${MAX_THERMAL_ENTRIES} entries, more than a board's; set the zone to read by its name (thermal_zoneN)`, 'SENSOR_FAILED');
  names.sort((a, b) => Number(a.slice(12)) - Number(b.slice(12)));
  const kept = names.slice(0, MAX_ZONES);
  const leftOut = names.length > MAX_ZONES ? `${names.length - MAX_ZONES} of the ${names.length} thermal zones under ${base} are not read: at most ${MAX_ZONES} are, the lowest-numbered (set the zone to read another)` : undefined;
  return { zones: await Promise.all(kept.map((zone) => readZone(base, zone))), leftOut };
}

/** Whether `dir` is there (a folder or a link to one); other errors (EACCES, a timeout) are thrown. */
async function isFolder(dir: string): Promise<boolean> {
  try {
    return (await withTimeout(fs.stat(dir), READ_TIMEOUT_MS, dir)).isDirectory();
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT' || (e as NodeJS.ErrnoException).code === 'ENOTDIR') return false;
    throw e;
  }
}

async function readZone(base: string, zone: string): Promise<ThermalZone> {
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
