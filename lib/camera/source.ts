/** What every frame source (camera process, HTTP stream, snapshot poller, folder) reports to its owner. */
/** failed: a fetch on request (trigger mode) failed; nothing retries it, the next request tries again. */
export type SourceStateKind = 'starting' | 'running' | 'retrying' | 'failed' | 'stopped' | 'ended';

export interface SourceState {
  kind: SourceStateKind;
  /** Short, user-facing, credentials removed. */
  message: string;
}

export interface SourceEvents {
  /** One whole JPEG; origin names where it came from when that varies per frame (a file name). */
  frame(jpeg: Buffer, origin?: string): void;
  state(state: SourceState): void;
  /** A failure worth a warning in the log (the source retries by itself); detail: e.g. the last stderr lines. */
  warn(message: string, detail?: string): void;
}

export interface FrameSource {
  /** For msg.frame.source, without credentials. */
  readonly name: string;
  /** Sources that fetch one image on demand (snapshot, folder) rather than streaming. */
  readonly pullable: boolean;
  start(): void;
  /** Stops producing and ends every process or connection; resolves when they are gone. */
  stop(): Promise<void>;
  /** One frame now (pullable sources only). */
  pull(): Promise<{ jpeg: Buffer; origin?: string }>;
  /** Called on msg.command start: a source that ended (a folder read to its end) goes back to its first image. */
  rewind?(): void;
}

export interface SupervisionOptions {
  /** First retry delay after a failure. */
  retryMinMs: number;
  /** Longest retry delay. */
  retryMaxMs: number;
  /** No frame for this long means the source is stuck: it is restarted. */
  stallMs: number;
  /** A run that delivered frames for this long resets the backoff. */
  stableMs: number;
  /** Largest frame accepted; bounds every buffer. */
  maxFrameBytes: number;
}

export const DEFAULT_SUPERVISION: SupervisionOptions = {
  retryMinMs: 1000,
  retryMaxMs: 30000,
  stallMs: 10000,
  stableMs: 10000,
  maxFrameBytes: 8 * 1024 * 1024,
};
