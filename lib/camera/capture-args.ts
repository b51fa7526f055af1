import { CameraConfig } from './config';
import { YoloEdgeError } from '../errors';
import { hasSecretParams } from './redact';

/** Argument lists of the capture programs. Arrays only: they are passed to spawn, never to a shell. */

/** rpicam-vid / libcamera-vid streaming MJPEG to stdout until killed. */
export function rpicamArgs(c: CameraConfig): string[] {
  const r = c.rpicam;
  const args = ['-t', '0', '-n', '--codec', 'mjpeg', '--width', String(c.width), '--height', String(c.height)];
  args.push('--framerate', String(c.fps), '-q', String(r.quality), '--flush');
  if (r.camera !== undefined) args.push('--camera', String(r.camera));
  if (r.rotation === 180) args.push('--rotation', '180');
  if (r.hflip) args.push('--hflip');
  if (r.vflip) args.push('--vflip');
  if (r.shutterUs !== undefined) args.push('--shutter', String(r.shutterUs));
  if (r.gain !== undefined) args.push('--gain', String(r.gain));
  if (r.ev !== undefined) args.push('--ev', String(r.ev));
  if (r.exposure) args.push('--exposure', r.exposure);
  if (r.awb) args.push('--awb', r.awb);
  if (r.denoise) args.push('--denoise', r.denoise);
  if (r.afMode) args.push('--autofocus-mode', r.afMode);
  if (r.lensPosition !== undefined) args.push('--lens-position', String(r.lensPosition));
  return [...args, ...c.extraArgs, '-o', '-'];
}

/** ffmpeg's JPEG quality scale: 2 (best) .. 31 (worst), from 1..100. */
export function ffmpegQuality(quality: number): number {
  return Math.round(31 - ((Math.min(100, Math.max(1, quality)) - 1) / 99) * 29);
}

/** ffmpeg reading a V4L2 device, an RTSP stream or its lavfi test source, writing MJPEG to stdout. */
export function ffmpegArgs(c: CameraConfig): string[] {
  const head = ['-hide_banner', '-nostdin', '-loglevel', 'error'];
  // One encoder thread: the MJPEG encoder's frame threads hold each frame until the next comes in, a whole period
  // at the target fps (5 s at 0.2 fps). Slice threads would not, but give up the optimal Huffman tables (+20% bytes).
  const encode = ['-an', '-c:v', 'mjpeg', '-pix_fmt', 'yuvj420p', '-q:v', String(ffmpegQuality(c.quality)), '-threads', '1'];
  const tail = [...c.extraArgs, '-f', 'mjpeg', '-'];
  switch (c.source) {
    case 'v4l2': {
      const size = `${c.width}x${c.height}`;
      const input = ['-f', 'v4l2', '-input_format', c.v4l2.inputFormat, '-video_size', size, '-framerate', String(c.fps), '-i', c.v4l2.device];
      // MJPEG from the camera is copied as is; many UVC cameras omit Huffman tables, which mjpeg2jpeg adds.
      const output = c.v4l2.inputFormat === 'mjpeg' ? ['-an', '-c:v', 'copy', ...(c.v4l2.mjpeg2jpeg ? ['-bsf:v', 'mjpeg2jpeg'] : [])] : encode;
      return [...head, ...input, ...output, ...tail];
    }
    case 'rtsp': {
      // With credentials ffmpeg reads the URL from stdin (a concat list): argv is readable by every local user.
      // The concat input opens only the protocols listed: UDP transport also needs udp and rtp (checked with ffmpeg 5.1).
      const whitelist = c.rtspTransport === 'udp' ? 'pipe,tcp,tls,udp,rtp' : 'pipe,tcp,tls';
      const input = rtspStdin(c) === undefined ? ['-rtsp_transport', c.rtspTransport, '-i', c.url!.href] : ['-f', 'concat', '-safe', '0', '-protocol_whitelist', whitelist, '-i', 'pipe:0'];
      return [...head, ...input, ...encode, ...withRateLimit(c.extraArgs, c.fps), '-r', String(c.fps), '-f', 'mjpeg', '-'];
    }
    case 'test':
      // -re: lavfi would otherwise generate frames as fast as the CPU allows.
      return [...head, '-re', '-f', 'lavfi', '-i', `testsrc2=size=${c.width}x${c.height}:rate=${c.fps}`, ...encode, ...tail];
    default:
      throw new YoloEdgeError(`ffmpeg does not handle the ${c.source} source`, 'BAD_CONFIG');
  }
}

/**
 * The target fps as filters that only ever drop frames (the fps filter would also repeat frames to fill up a camera
 * slower than the target, each sent again as a new one). A frame passes once its time reaches the next slot (less a
 * tenth of a period, for jitter); slots are a period apart, and after a gap they start again from the frame that
 * passed. The frames that pass are stamped a period apart, so that the constant rate -r sets for the output finds
 * no gap to fill with repeats either. No -vsync or -fps_mode: -fps_mode is missing before ffmpeg 5.1, and -vsync is
 * deprecated from then on (checked on 4.1, 5.1 and 7.0).
 */
function rateLimitFilter(fps: number): string {
  const n = String(fps);
  return `select=if(isnan(prev_selected_t)+gte(t+0.1/${n}\\,ld(0))\\,st(0\\,max(ld(0)+1/${n}\\,t+0.5/${n}))),setpts=N/(${n}*TB)`;
}

/** The options that set ffmpeg's video filter; of several, ffmpeg uses only the last. */
const VIDEO_FILTER_OPTIONS = new Set(['-vf', '-filter', '-filter:v', '-filter:v:0']);

/**
 * Extra args with the rate limit as the first video filters. A filter of theirs (a scale: the size fields are not
 * used for RTSP) after our own -vf would replace it; chained after it, it also works only on the frames sent.
 */
function withRateLimit(extra: string[], fps: number): string[] {
  const limit = rateLimitFilter(fps);
  let chained = false;
  const out = extra.map((arg, i) => {
    if (i === 0 || !VIDEO_FILTER_OPTIONS.has(extra[i - 1])) return arg;
    chained = true;
    return `${limit},${arg}`;
  });
  return chained ? out : ['-vf', limit, ...extra];
}

/**
 * What ffmpeg reads on stdin for an RTSP camera with credentials: an ffconcat list of one entry, the URL with
 * user and password, and the transport that would otherwise be a command-line option. Undefined without
 * credentials (user, password or a secret query parameter such as token=): then the URL holds no secret and goes
 * on the command line. Needs ffmpeg 5.0 or newer.
 */
export function rtspStdin(c: CameraConfig): string | undefined {
  if (c.source !== 'rtsp' || !c.url || (!c.user && !c.password && !hasSecretParams(c.url.href))) return undefined;
  const u = new URL(c.url.href);
  if (c.user || c.password) {
    u.username = encodeURIComponent(c.user);
    u.password = encodeURIComponent(c.password);
  }
  // In ffconcat a quoted token ends at the next quote: a quote inside is closed, escaped and reopened.
  const quoted = `'${u.href.replace(/'/g, "'\\''")}'`;
  return `ffconcat version 1.0\nfile ${quoted}\noption rtsp_transport ${c.rtspTransport}\n`;
}
