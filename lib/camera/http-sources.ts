import * as http from 'http';
import * as https from 'https';
import type { ConnectionOptions } from 'tls';
import { droppedFramesNote, overMaxFrameSize, wholeJpeg } from './mjpeg-splitter';
import { boundaryOf, MultipartMjpegParser } from './multipart-parser';
import { redactUrl, splitUrlCredentials } from './redact';
import { SourceEvents, SupervisionOptions } from './source';
import { Connection, formatSeconds, parsingHandler, SupervisedSource } from './supervised-source';
import { ErrorCode, YoloEdgeError } from '../errors';

/** What a TLS configuration gives an https camera: its CA or client certificate, and whether to verify the server. */
export type TlsOptions = Pick<ConnectionOptions, 'ca' | 'cert' | 'key' | 'pfx' | 'passphrase' | 'rejectUnauthorized' | 'servername' | 'ALPNProtocols'>;

export interface HttpTarget {
  url: URL;
  user: string;
  password: string;
  /** For https URLs only; none means Node's defaults (the server's certificate must chain to a public CA). */
  tls?: TlsOptions;
}

/** What every request of one source sends: the URL without credentials and the headers carrying them. */
interface PreparedTarget {
  url: URL;
  headers: http.OutgoingHttpHeaders;
  tls: TlsOptions;
}

/**
 * Credentials go in the Authorization header only: a URL that still carries some is stripped, never sent or
 * shown. Worked out once per source, not per request.
 */
function prepare(target: HttpTarget): PreparedTarget {
  const inline = splitUrlCredentials(target.url.href);
  const user = target.user || inline.user;
  const password = target.password || inline.password;
  const headers: http.OutgoingHttpHeaders = { 'user-agent': 'node-red-contrib-yolo-edge', accept: 'image/jpeg, multipart/x-mixed-replace' };
  if (user || password) headers.authorization = 'Basic ' + Buffer.from(`${user}:${password}`).toString('base64');
  const url = new URL(inline.url);
  return { url, headers, tls: url.protocol === 'https:' ? { ...target.tls } : {} };
}

function request(target: PreparedTarget, agent: http.Agent | undefined, onResponse: (res: http.IncomingMessage) => void): http.ClientRequest {
  if (target.url.protocol !== 'https:') return http.get(target.url, agent ? { headers: target.headers, agent } : { headers: target.headers }, onResponse);
  return https.get(target.url, agent ? { headers: target.headers, agent } : { headers: target.headers, ...target.tls }, onResponse);
}

/** Node's codes for a server certificate it does not trust (self-signed, unknown CA, wrong name, expired). */
const UNTRUSTED_CERTIFICATE = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT', 'SELF_SIGNED_CERT_IN_CHAIN', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_GET_ISSUER_CERT', 'CERT_HAS_EXPIRED', 'CERT_NOT_YET_VALID', 'ERR_TLS_CERT_ALTNAME_INVALID',
]);

/** Why a connection failed; for a certificate Node does not trust, what to set (most cameras sign their own). */
function connectionError(err: NodeJS.ErrnoException): string {
  if (!err.code || !UNTRUSTED_CERTIFICATE.has(err.code)) return err.message;
  // Node's own hint (--use-system-ca) is for a CA installed on the machine, not for a camera's certificate.
  return `the camera's certificate is not trusted (${err.message.split(';')[0]}): use a TLS configuration with its CA certificate, or with "verify server certificate" off`;
}

/** Why a response is not the camera's image, with what to change when the answer says it. */
function statusReason(res: http.IncomingMessage, target: PreparedTarget): string {
  const status = `HTTP ${res.statusCode} ${res.statusMessage ?? ''}`.trim();
  const code = res.statusCode ?? 0;
  if (code === 401) return status + authHint(res.headers['www-authenticate'], target);
  const location = res.headers.location;
  // Redirects are not followed: the Authorization header would go wherever the camera points.
  if (code >= 300 && code < 400 && location) return `${status}: the camera sends it to ${redirectTarget(location, target.url)}; put that URL in the node`;
  return status;
}

/** A camera that only offers Digest gets Basic credentials it will never accept: "check the password" would mislead. */
function authHint(challenge: string | undefined, target: PreparedTarget): string {
  // Scheme names, not words inside quoted realms or parameter values.
  const bare = (challenge ?? '').replace(/"(?:[^"\\]|\\.)*"/g, '""');
  const offers = (scheme: string): boolean => new RegExp(`(?:^|[\\s,])${scheme}(?=\\s|,|$)`, 'i').test(bare);
  if (offers('digest') && !offers('basic')) {
    return ' (the camera wants Digest authentication; this node sends Basic only: allow Basic in the camera\'s settings, or use RTSP)';
  }
  return target.headers.authorization ? ' (check user and password)' : ' (the camera needs a user and password)';
}

/** Where a redirect points, absolute and without credentials. */
function redirectTarget(location: string, base: URL): string {
  try {
    return redactUrl(new URL(location, base).href);
  } catch {
    return redactUrl(location);
  }
}

/** Node says only 'aborted' when the camera drops the connection mid-response: say who did what. */
function responseError(err: Error): string {
  return err.message === 'aborted' ? 'the camera closed the connection in the middle of a response' : err.message;
}

/** An IP camera's multipart/x-mixed-replace MJPEG stream, reconnected with backoff when it ends or stalls. */
export class MjpegHttpSource extends SupervisedSource {
  private readonly target: PreparedTarget;

  constructor(target: HttpTarget, events: SourceEvents, options: SupervisionOptions) {
    super(redactUrl(target.url.href), events, options);
    this.target = prepare(target);
  }

  protected connect(): Connection {
    return new HttpRun(this.target, this.options.maxFrameBytes, {
      frame: (run, jpeg) => this.deliver(run, jpeg),
      oversize: (run) => this.frameTooLarge(run),
      ended: (run, reason) => this.ended(run, reason),
    });
  }
}

interface RunEvents {
  frame(run: HttpRun, jpeg: Buffer): void;
  oversize(run: HttpRun): void;
  ended(run: HttpRun, reason: string): void;
}

class HttpRun implements Connection {
  private readonly req: http.ClientRequest;
  private parser?: MultipartMjpegParser;
  private frames = 0;
  private done = false;

  constructor(target: PreparedTarget, private readonly maxFrameBytes: number, private readonly events: RunEvents) {
    this.req = request(target, undefined, (res) => {
      const type = res.headers['content-type'] ?? '';
      if (res.statusCode !== 200) return this.finish(statusReason(res, target), res);
      if (/^image\//i.test(type)) return this.finish(`the URL sends single images (${type}); use the snapshot source`, res);
      const parser = new MultipartMjpegParser(
        boundaryOf(type),
        (jpeg) => {
          this.frames++;
          events.frame(this, jpeg);
        },
        maxFrameBytes,
        () => events.oversize(this),
      );
      this.parser = parser;
      res.on('data', parsingHandler((chunk: Buffer) => parser.push(chunk), (reason) => this.finish(reason, res)));
      // A whole answer without a frame is not a stream that ended (a login page, an error text): say what came.
      res.on('end', () => this.finish(this.frames > 0 ? 'the server ended the stream' : `the server answered ${type ? type.split(';')[0] : 'with no content type'} without a JPEG frame (${this.progress()}); is it the camera's MJPEG URL?`));
      res.on('error', (err) => this.finish(responseError(err)));
    });
    this.req.on('error', (err) => this.finish(connectionError(err)));
  }

  progress(): string {
    const p = this.parser;
    return p ? `${droppedFramesNote(p, this.maxFrameBytes)}${p.bytes} bytes received, ${p.garbageBytes} not JPEG, ${p.rejectedParts} parts rejected` : 'no response';
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

/**
 * How long a connection may sit idle between snapshots before it is closed. One left open for minutes (a trigger
 * now and then) may have been dropped on the way by a firewall or NAT without a word: the next GET on it would hang
 * until the deadline and fail. Cameras themselves close idle connections after 5 to 60 s.
 */
export const SNAPSHOT_IDLE_MS = 5000;

/**
 * Single JPEGs from a camera's snapshot URL, bounded in size and in time: each fetch must complete within
 * deadlineMs from the request to the last byte, so a server trickling bytes cannot hold it (an idle timeout would
 * never fire). Connections are kept alive between fetches on this client's own agent, up to idleMs idle;
 * release() ends them.
 */
export class SnapshotClient {
  private agent: http.Agent;
  private readonly target: PreparedTarget;

  constructor(target: HttpTarget, private readonly deadlineMs: number, private readonly maxBytes: number, private readonly idleMs = SNAPSHOT_IDLE_MS) {
    this.target = prepare(target);
    this.agent = this.newAgent();
  }

  /** One JPEG; the signal aborts the fetch at once (the source stops) and destroys its socket. */
  next(signal?: AbortSignal): Promise<{ jpeg: Buffer }> {
    return fetchSnapshot(this.target, this.deadlineMs, this.maxBytes, this.agent, signal).then((jpeg) => ({ jpeg }));
  }

  /** Closes every connection, idle or in use; a later fetch opens a new one. */
  release(): void {
    this.agent.destroy();
    this.agent = this.newAgent();
  }

  private newAgent(): http.Agent {
    // the agent closes a socket that times out while free; in a fetch, the deadline rules
    const options = { keepAlive: true, maxSockets: 1, timeout: this.idleMs };
    return this.target.url.protocol === 'https:' ? new https.Agent({ ...options, ...this.target.tls }) : new http.Agent(options);
  }
}

/** One JPEG from a snapshot URL within deadlineMs (request to last byte) and maxBytes; aborted by the signal. */
function fetchSnapshot(target: PreparedTarget, deadlineMs: number, maxBytes: number, agent?: http.Agent, signal?: AbortSignal): Promise<Buffer> {
  const error = (why: string, code: ErrorCode = 'SNAPSHOT_FAILED'): YoloEdgeError => new YoloEdgeError(`snapshot ${redactUrl(target.url.href)}: ${why}`, code);
  if (signal?.aborted) return Promise.reject(error('aborted, the source stopped', 'STOPPED'));
  return new Promise((resolve, reject) => {
    let size = 0;
    let answered = false;
    let settled = false;
    const settle = (err: YoloEdgeError | undefined, jpeg?: Buffer): void => {
      if (settled) return;
      settled = true;
      clearTimeout(deadline);
      signal?.removeEventListener('abort', onAbort);
      if (err) {
        req.destroy();
        reject(err);
      } else {
        resolve(jpeg!);
      }
    };
    const onAbort = (): void => settle(error('aborted, the source stopped', 'STOPPED'));
    let response: http.IncomingMessage | undefined;
    const onResponse = (res: http.IncomingMessage): void => {
      answered = true;
      if (res.statusCode !== 200) {
        res.resume();
        return settle(error(statusReason(res, target)));
      }
      const type = res.headers['content-type'] ?? '';
      // A stream never ends: without this the fetch would read it until the deadline or the size limit.
      if (/^multipart\//i.test(type)) return settle(error(`the URL sends a stream (${type}), not one image; use the HTTP MJPEG source`));
      // Said up front: reading up to the limit first would only waste the time and the bytes.
      const declared = Number(res.headers['content-length']);
      if (declared > maxBytes) return settle(error(`image of ${declared} bytes, ${overMaxFrameSize(maxBytes)}`));
      response = res;
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > maxBytes) return settle(error(`image ${overMaxFrameSize(maxBytes)}`));
        chunks.push(chunk);
      });
      res.on('end', () => {
        const jpeg = wholeJpeg(Buffer.concat(chunks, size));
        if (jpeg) settle(undefined, jpeg);
        else settle(error(`not a whole JPEG (${size} bytes, ${res.headers['content-type'] ?? 'no content type'})`));
      });
      res.on('error', (err) => settle(error(responseError(err))));
    };
    const send = (again: boolean): http.ClientRequest => {
      const r = request(target, agent, onResponse);
      r.on('error', (err: NodeJS.ErrnoException) => {
        // A kept-alive connection the camera closed (its idle time up) just as this request went out on it: the
        // GET goes once more on a new connection, as a browser does, rather than failing the fetch.
        if (!again && !answered && r.reusedSocket && (err.code === 'ECONNRESET' || err.code === 'EPIPE')) {
          req = send(true);
          return;
        }
        // Bytes after the body the camera declared (a Content-Length short of what it sent) fail the parser once
        // the response is complete: its 'end' still comes with the whole body; only the connection is unusable.
        if (!response?.complete) settle(error(connectionError(err)));
      });
      return r;
    };
    let req = send(false);
    const deadline = setTimeout(() => {
      const got = answered ? `${size} byte${size === 1 ? '' : 's'} of the image received` : 'no answer';
      settle(error(`no whole image within ${formatSeconds(deadlineMs)} (${got})`));
    }, deadlineMs);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
