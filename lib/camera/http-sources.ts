import * as http from 'http';
import * as https from 'https';
import { wholeJpeg } from './mjpeg-splitter';
import { boundaryOf, MultipartMjpegParser } from './multipart-parser';
import { redactUrl, splitUrlCredentials } from './redact';
import { SourceEvents, SupervisionOptions } from './source';
import { Connection, SupervisedSource } from './supervised-source';
import { YoloEdgeError } from '../types';

export interface HttpTarget {
  url: URL;
  user: string;
  password: string;
}

function request(target: HttpTarget, timeoutMs: number | undefined, onResponse: (res: http.IncomingMessage) => void): http.ClientRequest {
  // Credentials go in the Authorization header only: a URL that still carries some is stripped, never sent or shown.
  const inline = splitUrlCredentials(target.url.href);
  const user = target.user || inline.user;
  const password = target.password || inline.password;
  const headers: http.OutgoingHttpHeaders = { 'user-agent': 'node-red-contrib-yolo-edge', accept: 'image/jpeg, multipart/x-mixed-replace' };
  if (user || password) headers.authorization = 'Basic ' + Buffer.from(`${user}:${password}`).toString('base64');
  const get = target.url.protocol === 'https:' ? https.get : http.get;
  return get(new URL(inline.url), { headers, timeout: timeoutMs }, onResponse);
}

function statusReason(res: http.IncomingMessage): string {
  const hint = res.statusCode === 401 ? ' (check user and password)' : '';
  return `HTTP ${res.statusCode} ${res.statusMessage ?? ''}`.trim() + hint;
}

/** An IP camera's multipart/x-mixed-replace MJPEG stream, reconnected with backoff when it ends or stalls. */
export class MjpegHttpSource extends SupervisedSource {
  constructor(
    private readonly target: HttpTarget,
    events: SourceEvents,
    options: SupervisionOptions,
  ) {
    super(redactUrl(target.url.href), events, options);
  }

  protected connect(): Connection {
    return new HttpRun(this.target, this.options.maxFrameBytes, {
      frame: (run, jpeg) => this.deliver(run, jpeg),
      ended: (run, reason) => this.ended(run, reason),
    });
  }
}

interface RunEvents {
  frame(run: HttpRun, jpeg: Buffer): void;
  ended(run: HttpRun, reason: string): void;
}

class HttpRun implements Connection {
  private readonly req: http.ClientRequest;
  private parser?: MultipartMjpegParser;
  private done = false;

  constructor(target: HttpTarget, maxFrameBytes: number, private readonly events: RunEvents) {
    this.req = request(target, undefined, (res) => {
      const type = res.headers['content-type'] ?? '';
      if (res.statusCode !== 200) return this.finish(statusReason(res), res);
      if (/^image\//i.test(type)) return this.finish(`the URL sends single images (${type}); use the snapshot source`, res);
      this.parser = new MultipartMjpegParser(boundaryOf(type), (jpeg) => events.frame(this, jpeg), maxFrameBytes);
      res.on('data', (chunk: Buffer) => this.parser?.push(chunk));
      res.on('end', () => this.finish('the server ended the stream'));
      res.on('error', (err) => this.finish(err.message));
    });
    this.req.on('error', (err) => this.finish(err.message));
  }

  progress(): string {
    const p = this.parser;
    return p ? `${p.bytes} bytes received, ${p.garbageBytes} not JPEG, ${p.rejectedParts} parts rejected` : 'no response';
  }

  close(): Promise<void> {
    this.done = true;
    this.req.destroy();
    return Promise.resolve();
  }

  private finish(reason: string, res?: http.IncomingMessage): void {
    res?.resume();
    if (this.done) return;
    this.done = true;
    this.req.destroy();
    this.events.ended(this, reason);
  }
}

/** One JPEG from a camera's snapshot URL, bounded in size and time. */
export function fetchSnapshot(target: HttpTarget, timeoutMs: number, maxBytes: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const fail = (why: string): void => reject(new YoloEdgeError(`snapshot ${redactUrl(target.url.href)}: ${why}`, 'SNAPSHOT_FAILED'));
    const req = request(target, timeoutMs, (res) => {
      if (res.statusCode !== 200) {
        res.resume();
        return fail(statusReason(res));
      }
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > maxBytes) {
          req.destroy();
          return fail(`image larger than ${maxBytes} bytes`);
        }
        chunks.push(chunk);
      });
      res.on('end', () => {
        const jpeg = wholeJpeg(Buffer.concat(chunks, size));
        if (jpeg) resolve(jpeg);
        else fail(`not a whole JPEG (${size} bytes, ${res.headers['content-type'] ?? 'no content type'})`);
      });
      res.on('error', (err) => fail(err.message));
    });
    req.on('timeout', () => {
      req.destroy();
      fail(`no answer within ${(timeoutMs / 1000).toFixed(1)} s`);
    });
    req.on('error', (err) => fail(err.message));
  });
}
