import * as fs from 'fs';
import { ffmpegArgs, rpicamArgs, rtspStdin } from './capture-args';
import { CameraConfig } from './config';
import { FolderReader } from './folder-source';
import { HttpTarget, MjpegHttpSource, SnapshotClient } from './http-sources';
import { PollingSource } from './polling-source';
import { ProcessSource } from './process-source';
import { redactor, redactUrl } from './redact';
import { FrameSource, SourceEvents } from './source';

/** The frame source a camera configuration describes. */
export function createSource(c: CameraConfig, events: SourceEvents): FrameSource {
  const s = c.supervision;
  const periodMs = 1000 / c.fps;
  switch (c.source) {
    case 'rpicam': {
      const commands = c.rpicam.command ? [c.rpicam.command] : ['rpicam-vid', 'libcamera-vid'];
      return new ProcessSource(`rpicam:${c.rpicam.camera ?? 0}`, { commands, args: rpicamArgs(c) }, events, s);
    }
    case 'v4l2': {
      const device = c.v4l2.device;
      const precheck = (): string | undefined => (fs.existsSync(device) ? undefined : `${device} not found (camera unplugged?)`);
      return new ProcessSource(`v4l2:${device}`, { commands: [c.ffmpeg], args: ffmpegArgs(c), precheck }, events, s);
    }
    case 'rtsp': {
      const name = redactUrl(c.url!.href);
      const secrets = redactor([c.password]);
      // Given the URL on stdin, ffmpeg names its input pipe:0 in its errors; the user knows the camera by its URL.
      const redact = (text: string): string => secrets(text).replace(/\bpipe:0(?=:)/g, () => name);
      return new ProcessSource(name, { commands: [c.ffmpeg], args: ffmpegArgs(c), stdin: rtspStdin(c), redact }, events, s);
    }
    case 'test':
      return new ProcessSource('ffmpeg:testsrc2', { commands: [c.ffmpeg], args: ffmpegArgs(c) }, events, s);
    case 'mjpeg':
      return new MjpegHttpSource(httpTarget(c), events, s);
    case 'snapshot': {
      const target = httpTarget(c);
      return new PollingSource(redactUrl(target.url.href), new SnapshotClient(target, c.timeoutMs, s.maxFrameBytes), periodMs, events, s);
    }
    case 'folder': {
      const reader = new FolderReader(c.folder.path, { loop: c.folder.loop, watch: c.folder.watch, maxFrameBytes: s.maxFrameBytes }, (m) => events.warn(m));
      return new PollingSource(`folder:${c.folder.path}`, reader, periodMs, events, s);
    }
  }
}

function httpTarget(c: CameraConfig): HttpTarget {
  return { url: c.url!, user: c.user, password: c.password, tls: c.tls };
}
