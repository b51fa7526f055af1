import { YoloEdgeError } from '../errors';
import { DEFAULT_SUPERVISION, SupervisionOptions } from './source';
import { checkPath, flag, numberField, oneOf, optionalFolderPath, optionalNumber, optionalOneOf, SHOWN_MAX, shownStart, text, textField } from '../config/fields';
import { argument, splitArgs, url } from './options';
import { splitUrlCredentials } from './redact';
import type { TlsOptions } from './http-sources';

export const SOURCE_KINDS = ['rpicam', 'v4l2', 'rtsp', 'mjpeg', 'snapshot', 'folder', 'test'] as const;
export type SourceKind = (typeof SOURCE_KINDS)[number];
export const MODES = ['continuous', 'trigger'] as const;
export type Mode = (typeof MODES)[number];

export const AWB_MODES = ['auto', 'incandescent', 'tungsten', 'fluorescent', 'indoor', 'daylight', 'cloudy', 'custom'] as const;
export const DENOISE_MODES = ['auto', 'off', 'cdn_off', 'cdn_fast', 'cdn_hq'] as const;
export const AF_MODES = ['manual', 'auto', 'continuous'] as const;
export const EXPOSURE_MODES = ['normal', 'sport'] as const;
/** ffmpeg's -rtsp_transport: tcp (interleaved, no lost packets: the default) or udp, for cameras that only offer it. */
export const RTSP_TRANSPORTS = ['tcp', 'udp'] as const;
export type RtspTransport = (typeof RTSP_TRANSPORTS)[number];

export interface RpicamOptions {
  /** Program to run; empty means rpicam-vid, falling back to libcamera-vid. */
  command: string;
  camera?: number;
  quality: number;
  rotation: 0 | 180;
  hflip: boolean;
  vflip: boolean;
  shutterUs?: number;
  gain?: number;
  ev?: number;
  exposure?: (typeof EXPOSURE_MODES)[number];
  awb?: (typeof AWB_MODES)[number];
  denoise?: (typeof DENOISE_MODES)[number];
  afMode?: (typeof AF_MODES)[number];
  lensPosition?: number;
}

export interface V4l2Options {
  device: string;
  /** v4l2 input format: mjpeg is copied, anything else (yuyv422) is encoded to JPEG. */
  inputFormat: string;
  mjpeg2jpeg: boolean;
}

export interface FolderOptions {
  path: string;
  loop: boolean;
  watch: boolean;
}

export interface CameraConfig {
  source: SourceKind;
  mode: Mode;
  autostart: boolean;
  /** Target frames per second: the most frames sent per second in continuous mode. */
  fps: number;
  width: number;
  height: number;
  quality: number;
  rpicam: RpicamOptions;
  v4l2: V4l2Options;
  /** Camera URL (rtsp, mjpeg, snapshot), without credentials. */
  url?: URL;
  rtspTransport: RtspTransport;
  user: string;
  password: string;
  /** Certificates and verification for an https camera (mjpeg, snapshot), from a TLS configuration. */
  tls?: TlsOptions;
  folder: FolderOptions;
  ffmpeg: string;
  /** Extra program arguments, from the node's configuration only. */
  extraArgs: string[];
  supervision: SupervisionOptions;
  /** HTTP request timeout for snapshots. */
  timeoutMs: number;
}

export interface Credentials {
  user?: string;
  password?: string;
}

/**
 * The sources each group of fields is for: the dialog shows those fields only for these (nodes/yolo-camera.html).
 * For another source a stale value there is not read (the default stands in), so it cannot stop that camera.
 */
export const FIELD_SOURCES = {
  size: ['rpicam', 'v4l2', 'test'],
  quality: ['rpicam', 'v4l2', 'rtsp', 'test'],
  rpicam: ['rpicam'],
  v4l2: ['v4l2'],
  ffmpeg: ['v4l2', 'rtsp', 'test'],
  rtsp: ['rtsp'],
  extraArgs: ['rpicam', 'v4l2', 'rtsp', 'test'],
  timeout: ['snapshot'],
} as const satisfies Record<string, readonly SourceKind[]>;

/** The shortest stall timeout at a target fps: this many frame periods without a frame. */
export const STALL_FRAME_PERIODS = 2;

function stallPeriods(fps: number): number {
  return (STALL_FRAME_PERIODS * 1000) / fps;
}

/** Validates a node configuration (editor strings or numbers) into a CameraConfig; throws BAD_CONFIG naming the field. */
export function parseCameraConfig(raw: Record<string, unknown>, creds: Credentials = {}, tls?: TlsOptions): CameraConfig {
  const source = oneOf('source', raw.source, SOURCE_KINDS, 'rpicam');
  // A field of a group that is not this source's: undefined, so its parser gives the default.
  const own = (group: keyof typeof FIELD_SOURCES, v: unknown): unknown => ((FIELD_SOURCES[group] as readonly SourceKind[]).includes(source) ? v : undefined);
  const quality = numberField('quality', own('quality', raw.quality), 80, { min: 1, max: 100, integer: true });
  const config: CameraConfig = {
    source,
    mode: oneOf('mode', raw.mode, MODES, 'continuous'),
    autostart: flag('autostart', raw.autostart, true),
    fps: numberField('fps', raw.fps, 5, { min: 0.01, max: 120 }),
    width: numberField('width', own('size', raw.width), 1280, { min: 16, max: 8192, integer: true }),
    height: numberField('height', own('size', raw.height), 720, { min: 16, max: 8192, integer: true }),
    quality,
    rpicam: {
      command: checkPath('command', argument('command', own('rpicam', raw.command))),
      camera: optionalNumber('camera index', own('rpicam', raw.camera), { min: 0, max: 15, integer: true }),
      quality,
      rotation: oneOf('rotation', String(own('rpicam', raw.rotation) ?? ''), ['0', '180'] as const, '0') === '180' ? 180 : 0,
      hflip: flag('hflip', own('rpicam', raw.hflip), false),
      vflip: flag('vflip', own('rpicam', raw.vflip), false),
      shutterUs: optionalNumber('shutter', own('rpicam', raw.shutter), { min: 1, max: 1e9, integer: true }),
      gain: optionalNumber('gain', own('rpicam', raw.gain), { min: 0, max: 64 }),
      ev: optionalNumber('EV', own('rpicam', raw.ev), { min: -10, max: 10 }),
      exposure: optionalOneOf('exposure', own('rpicam', raw.exposure), EXPOSURE_MODES),
      awb: optionalOneOf('AWB', own('rpicam', raw.awb), AWB_MODES),
      denoise: optionalOneOf('denoise', own('rpicam', raw.denoise), DENOISE_MODES),
      afMode: optionalOneOf('autofocus mode', own('rpicam', raw.afMode), AF_MODES),
      lensPosition: optionalNumber('lens position', own('rpicam', raw.lensPosition), { min: 0, max: 32 }),
    },
    v4l2: {
      device: checkPath('device', argument('device', own('v4l2', raw.device), '/dev/video0')),
      inputFormat: argument('input format', own('v4l2', raw.inputFormat), 'mjpeg'),
      mjpeg2jpeg: flag('mjpeg2jpeg', own('v4l2', raw.mjpeg2jpeg), true),
    },
    rtspTransport: oneOf('RTSP transport', own('rtsp', raw.rtspTransport), RTSP_TRANSPORTS, 'tcp'),
    user: text(creds.user),
    password: creds.password ?? '',
    tls,
    // hidden in the editor for other sources: a stale value there must not stop their camera
    folder: { path: source === 'folder' ? optionalFolderPath('folder', raw.folder, '/home/pi/images') : text(raw.folder), loop: flag('loop', raw.loop, false), watch: flag('watch', raw.watch, false) },
    ffmpeg: checkPath('ffmpeg command', argument('ffmpeg command', own('ffmpeg', raw.ffmpeg), 'ffmpeg')),
    extraArgs: splitArgs(own('extraArgs', raw.extraArgs)),
    supervision: {
      ...DEFAULT_SUPERVISION,
      retryMinMs: numberField('retry min', raw.retryMin, DEFAULT_SUPERVISION.retryMinMs / 1000, { min: 0.05, max: 3600 }) * 1000,
      retryMaxMs: numberField('retry max', raw.retryMax, DEFAULT_SUPERVISION.retryMaxMs / 1000, { min: 0.05, max: 3600 }) * 1000,
      stallMs: numberField('stall timeout', raw.stallTimeout, DEFAULT_SUPERVISION.stallMs / 1000, { min: 0.2, max: 3600 }) * 1000,
      // whole bytes: buffers are sized and indexed by it (0.1 MB is 104857.6 bytes)
      maxFrameBytes: Math.floor(numberField('max frame size', raw.maxFrameMB, DEFAULT_SUPERVISION.maxFrameBytes / 1048576, { min: 0.01, max: 256 }) * 1048576),
    },
    timeoutMs: numberField('timeout', own('timeout', raw.timeout), 10, { min: 0.1, max: 600 }) * 1000,
  };
  if (!/^[a-z0-9_]+$/i.test(config.v4l2.inputFormat)) throw new YoloEdgeError(`input format must be a v4l2 format name like mjpeg or yuyv422, got ${shownStart(config.v4l2.inputFormat, SHOWN_MAX)}`, 'BAD_CONFIG');
  if (source === 'v4l2' && !config.v4l2.device.startsWith('/')) throw new YoloEdgeError(`device must be an absolute path like /dev/video0, got ${shownStart(config.v4l2.device, SHOWN_MAX)}`, 'BAD_CONFIG');
  if (source === 'folder' && !config.folder.path) throw new YoloEdgeError('folder is required for the folder source', 'BAD_CONFIG');
  if (source === 'rtsp' || source === 'mjpeg' || source === 'snapshot') {
    // Credentials typed into the URL (flows saved before they were credentials) are used when the
    // credential fields are empty; the URL kept is always without them.
    const inline = splitUrlCredentials(textField('URL', raw.url));
    if (!config.user) config.user = inline.user;
    if (!config.password) config.password = inline.password;
    config.url = url('URL', inline.url, source === 'rtsp' ? ['rtsp:', 'rtsps:'] : ['http:', 'https:']);
  }
  if (config.supervision.retryMaxMs < config.supervision.retryMinMs) config.supervision.retryMaxMs = config.supervision.retryMinMs;
  // A camera asked for one frame every 15 s is not stuck after 10 s: restarting it each time loses the sensor's
  // settled exposure. Waiting for a frame (trigger mode) follows the same bound.
  config.supervision.stallMs = Math.max(config.supervision.stallMs, stallPeriods(config.fps));
  return config;
}
