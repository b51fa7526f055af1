import * as path from 'path';
import { SourceAvailability } from './availability';
import { readBounded } from './bounded-read';
import { ControlPayload } from '../pipeline/control';
import { DEFAULT_GUARD, GuardPolicy, GuardSender, validateGuard } from './guard';
import { CpuLoadMeter, MemoryInfo, parseCpuTimes, parseMeminfo } from './proc';
import { DEFAULT_THRESHOLDS, StateChange, ThermalState, ThermalStateMachine, Thresholds } from './state';
import { chooseZone, readCpuFreqHz, readThermalZones } from './sysfs';
import { parseThrottled, ThrottledStatus } from './throttled';
import { isNotFound, parseMeasureClock, parseMeasureTemp, runVcgencmd, VCGENCMD_LIMITS } from './vcgencmd';
import { TemperatureWindow, WindowStats } from './window';
import { YoloEdgeError } from '../errors';

export type TemperatureSource = 'auto' | 'sysfs' | 'vcgencmd';

export interface MonitorOptions {
  /** Root of sysfs (thermal zones, cpufreq); tests point it at a fake tree. */
  sysRoot: string;
  /** Root of procfs (stat, meminfo). */
  procRoot: string;
  /** vcgencmd executable; empty disables it (throttle flags are then unavailable). */
  vcgencmd: string;
  temperatureSource: TemperatureSource;
  /** `thermal_zoneN` or a zone type such as `cpu-thermal`; empty picks the SoC zone. */
  thermalZone: string;
  thresholds: Thresholds;
  /** Temperature (C) the time-to-throttle estimate aims at; the Pi 5 starts throttling at 80 C. */
  throttleAt: number;
  windowSeconds: number;
  /** Null turns the guard off. */
  guard: GuardPolicy | null;
  /** Wall-clock ms: each reading's timestamp. */
  now: () => number;
  /**
   * Ms that only go forward, for the window and the guard's repeat: the wall clock jumps when NTP or a person sets
   * it (a Pi without an RTC battery boots with a stale one), and a jump back would stop the repeat for as long.
   */
  clock: () => number;
  /** How long a vcgencmd found missing stays unused, as its warning says: the node's monitor lives until a redeploy. */
  notFoundFor: string;
}

export const DEFAULT_MONITOR: MonitorOptions = {
  sysRoot: '/sys',
  procRoot: '/proc',
  vcgencmd: 'vcgencmd',
  temperatureSource: 'auto',
  thermalZone: '',
  thresholds: DEFAULT_THRESHOLDS,
  throttleAt: 80,
  windowSeconds: 60,
  guard: DEFAULT_GUARD,
  now: Date.now,
  clock: () => performance.now(),
  notFoundFor: 'until the node is redeployed',
};

export interface Reading {
  timestamp: number;
  /** Degrees C, null when no source could be read. */
  temperature: number | null;
  temperatureSource: string | null;
  state: ThermalState;
  throttled: ThrottledStatus | null;
  armClockHz: number | null;
  /** Percent of all cores busy since the previous reading. */
  cpuLoad: number | null;
  memory: MemoryInfo | null;
  rssBytes: number;
  stats: WindowStats | null;
  /** Sources that are currently down, with the reason. */
  unavailable: Record<string, string>;
}

export interface SampleResult {
  reading: Reading;
  change?: StateChange;
  controls: ControlPayload[];
  /** Sources that went down with this reading (report once). */
  lost: { source: string; reason: string }[];
  /** Sources that came back with this reading. */
  restored: string[];
}

type Outcome<T> = { ok: true; value: T; source?: string } | { ok: false; reason: string };

/** A temperature, and in auto mode why the thermal zone was passed over for vcgencmd. */
type TemperatureOutcome = (Outcome<number> & { ok: true; zoneFailure?: string }) | { ok: false; reason: string; noZones?: boolean };

/** Readings outside this range (C) are a broken sensor or driver, never acted on. */
export const PLAUSIBLE_CELSIUS = { min: -40, max: 150 } as const;

/** Source name when auto mode reads vcgencmd because the thermal zone failed. */
export const ZONE_SOURCE = 'thermalZone';

/** Source name of the zones left unread (more than MAX_ZONES): warned once, listed while it lasts. */
export const ZONES_LEFT_OUT = 'thermalZones';

class NoThermalZones extends Error {}

/** The reading, or an error naming its source when it cannot be a SoC temperature. */
export function plausible(r: { celsius: number; source: string }): { celsius: number; source: string } {
  const { min, max } = PLAUSIBLE_CELSIUS;
  if (!(r.celsius >= min && r.celsius <= max)) throw new YoloEdgeError(`${r.source}: implausible temperature ${r.celsius} C (expected ${min}..${max} C)`, 'SENSOR_FAILED');
  return r;
}

/** ARM clocks (Hz) a core can run at: 0, a negative value or one of many GHz is a broken driver or tool, never a reading. */
export const PLAUSIBLE_CLOCK_HZ = { min: 1e6, max: 10e9 } as const;

function plausibleClock(hz: number, source: string): number {
  const { min, max } = PLAUSIBLE_CLOCK_HZ;
  if (!(hz >= min && hz <= max)) throw new YoloEdgeError(`${source}: implausible ARM clock ${hz} Hz (expected ${min / 1e6} MHz..${max / 1e9} GHz)`, 'SENSOR_FAILED');
  return hz;
}

const message = (e: unknown): string => (e instanceof Error ? e.message : String(e));

async function attempt<T>(fn: () => Promise<T>): Promise<Outcome<T>> {
  try {
    return { ok: true, value: await fn() };
  } catch (e) {
    return { ok: false, reason: message(e) };
  }
}

/** Collects one reading from every source, feeds the state machine, window and guard. */
export class TemperatureMonitor {
  readonly options: MonitorOptions;
  private readonly machine: ThermalStateMachine;
  private readonly window: TemperatureWindow;
  private readonly cpu = new CpuLoadMeter();
  private readonly availability = new SourceAvailability();
  /** Ends vcgencmd runs in flight on close. */
  private readonly abort = new AbortController();
  private readonly guard: GuardSender | null;
  /**
   * The vcgencmd that was not found: each spawn costs the event loop milliseconds, so a machine without it does not
   * try it again with every reading. A timeout or a failed run is no reason to give up and is retried.
   */
  private vcgencmdMissing: string | undefined;
  /** Why the last zone listing left zones out; undefined when it read them all, or no zone was listed. */
  private zonesLeftOut: string | undefined;

  constructor(options: Partial<MonitorOptions> = {}) {
    this.options = { ...DEFAULT_MONITOR, ...options };
    this.machine = new ThermalStateMachine(this.options.thresholds);
    this.window = new TemperatureWindow(this.options.windowSeconds);
    this.guard = this.options.guard ? new GuardSender(validateGuard(this.options.guard)) : null;
  }

  get state(): ThermalState {
    return this.machine.state;
  }

  async sample(): Promise<SampleResult> {
    const timestamp = this.options.now();
    const t = this.options.clock();
    const [temp, throttled, clock, load, memory] = await Promise.all([
      this.readTemperature(),
      attempt(() => this.vc(['get_throttled']).then(parseThrottled)),
      this.readClock(),
      attempt(() => readBounded(path.join(this.options.procRoot, 'stat')).then((t) => this.cpu.update(parseCpuTimes(t)))),
      attempt(() => readBounded(path.join(this.options.procRoot, 'meminfo')).then(parseMeminfo)),
    ]);
    const lost: SampleResult['lost'] = [];
    const restored: string[] = [];
    const value = <T>(source: string, o: Outcome<T>): T | null => {
      if (o.ok) {
        if (this.availability.ok(source)) restored.push(source);
        return o.value;
      }
      if (this.availability.fail(source, o.reason)) lost.push({ source, reason: o.reason });
      return null;
    };
    const celsius = value('temperature', temp);
    // Auto mode reading vcgencmd because the zone broke is an outage of its own: warned once, listed, ended visibly.
    if (temp.ok) value(ZONE_SOURCE, temp.zoneFailure === undefined ? { ok: true, value: true } : { ok: false, reason: `${temp.zoneFailure}; using ${temp.source}` });
    value(ZONES_LEFT_OUT, this.zonesLeftOut === undefined ? { ok: true, value: true } : { ok: false, reason: this.zonesLeftOut });
    let change: StateChange | undefined;
    if (celsius !== null) {
      this.window.add(t, celsius);
      change = this.machine.update(celsius);
    }
    const controls = this.guard ? this.guard.next(t, this.machine.state, change, celsius !== null) : [];
    const reading: Reading = {
      timestamp,
      temperature: celsius,
      temperatureSource: temp.ok ? temp.source ?? null : null,
      state: this.machine.state,
      throttled: value('throttled', throttled),
      armClockHz: value('armClock', clock),
      cpuLoad: value('cpuLoad', load),
      memory: value('memory', memory),
      rssBytes: process.memoryUsage.rss(),
      stats: this.window.stats(t, this.options.throttleAt),
      unavailable: this.availability.snapshot(),
    };
    return { reading, change, controls, lost, restored };
  }

  /** Kills vcgencmd runs in flight: a sample running now ends soon after, without them. */
  close(): void {
    this.abort.abort();
  }

  private vc(args: string[]): Promise<string> {
    const command = this.options.vcgencmd;
    if (!command) return Promise.reject(new YoloEdgeError('vcgencmd is not configured', 'SENSOR_FAILED'));
    if (command === this.vcgencmdMissing) return Promise.reject(notFound(command, args, this.options.notFoundFor));
    return runVcgencmd(command, args, { ...VCGENCMD_LIMITS, signal: this.abort.signal }).catch((e: unknown) => {
      if (!isNotFound(e)) throw e;
      this.vcgencmdMissing = command;
      throw notFound(command, args, this.options.notFoundFor);
    });
  }

  private async fromZone(): Promise<{ celsius: number; source: string }> {
    const { sysRoot, thermalZone } = this.options;
    const where = path.join(sysRoot, 'class', 'thermal');
    this.zonesLeftOut = undefined;
    const { zones, leftOut } = await readThermalZones(sysRoot, thermalZone).catch((e: NodeJS.ErrnoException) => {
      throw !thermalZone && e.code === 'ENOENT' ? new NoThermalZones(e.message) : e;
    });
    this.zonesLeftOut = leftOut;
    const zone = chooseZone(zones, thermalZone);
    if (!zone) {
      if (thermalZone) throw new YoloEdgeError(`thermal zone '${thermalZone}' not found under ${where}`, 'SENSOR_FAILED');
      throw new NoThermalZones(`no thermal zone under ${where}`);
    }
    const source = `${zone.zone}${zone.type ? ` (${zone.type})` : ''}`;
    if (zone.celsius === null) throw new YoloEdgeError(`${source}: ${zone.error ?? 'unreadable'}`, 'SENSOR_FAILED');
    return { celsius: zone.celsius, source };
  }

  private async fromVcgencmd(): Promise<{ celsius: number; source: string }> {
    return { celsius: parseMeasureTemp(await this.vc(['measure_temp'])), source: 'vcgencmd measure_temp' };
  }

  /**
   * The configured sensor, checked for plausibility. Auto mode reads vcgencmd when the thermal zone fails and says
   * why (zoneFailure), unless the machine has no thermal zone at all; it never moves to another zone.
   */
  private async readTemperature(): Promise<TemperatureOutcome> {
    const read = async (from: () => Promise<{ celsius: number; source: string }>): Promise<TemperatureOutcome> => {
      try {
        const r = plausible(await from.call(this));
        return { ok: true, value: r.celsius, source: r.source };
      } catch (e) {
        return { ok: false, reason: message(e), noZones: e instanceof NoThermalZones };
      }
    };
    const mode = this.options.temperatureSource;
    if (mode === 'vcgencmd') return read(this.fromVcgencmd);
    const zone = await read(this.fromZone);
    if (zone.ok || mode === 'sysfs') return zone;
    const vc = await read(this.fromVcgencmd);
    if (!vc.ok) return { ok: false, reason: `${zone.reason}; ${vc.reason}` };
    return zone.noZones ? vc : { ...vc, zoneFailure: zone.reason };
  }

  private async readClock(): Promise<Outcome<number>> {
    const cpufreq = async (): Promise<number> => plausibleClock(await readCpuFreqHz(this.options.sysRoot), 'scaling_cur_freq');
    const vc = async (): Promise<number> => plausibleClock(parseMeasureClock(await this.vc(['measure_clock', 'arm'])), 'vcgencmd measure_clock arm');
    return firstOf([cpufreq, vc], (hz) => ({ value: hz }));
  }
}

function notFound(command: string, args: string[], until: string): YoloEdgeError {
  return new YoloEdgeError(`${command} ${args.join(' ')}: not found (not run again ${until})`, 'SENSOR_FAILED');
}

/** The first source that answers; otherwise every reason, so the one report says what was tried. */
async function firstOf<R, T>(sources: (() => Promise<R>)[], map: (r: R) => { value: T; source?: string }): Promise<Outcome<T>> {
  const reasons: string[] = [];
  for (const source of sources) {
    try {
      return { ok: true, ...map(await source()) };
    } catch (e) {
      reasons.push(message(e));
    }
  }
  return { ok: false, reason: reasons.join('; ') };
}
