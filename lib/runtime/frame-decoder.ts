import * as path from 'path';
import { setImmediate as nextTurn } from 'timers/promises';
import { types } from 'util';
import { Worker } from 'worker_threads';
import { isErrorCode, YoloEdgeError } from '../errors';
import { endWorker } from './end-worker';
import { checkFrame } from '../image/decode';
import type { KeepPixels } from '../image/preprocess';
import { ImageInput, isRawImage } from '../types';
import { DrawRequest, FrameReply, FrameRequest, PreparedFrame, SlotSpec } from './frame-protocol';

type Answer = Exclude<FrameReply, { type: 'failed' }>;

interface Pending {
  worker: Worker;
  resolve(r: Answer): void;
  reject(err: Error): void;
}

/** A prepared frame and the id its kept pixels are drawn by. */
export interface DecodedFrame extends PreparedFrame {
  frame: number;
}

/** JPEGs drawn in the image worker. */
export interface DrawnImages {
  annotated?: Buffer;
  thumbnail?: Buffer;
}

const WORKER_FILE = path.join(__dirname, 'frame-worker.js');
// the worker exits by itself once its frames are done; this is for one stuck in a decode
const CLOSE_GRACE_MS = 5_000;
/**
 * An image worker with nothing to do is ended after this long: the garbage of its last frames is collected only when
 * it allocates more, so after a few 50-megapixel uploads (150 MB of pixels each) Node-RED kept 300 MB it no longer
 * used, for as long as no other frame came. The next frame starts a new worker, about 40 ms later than a warm one
 * on the Zen 4 VM: five minutes spare that to a line triggered now and then (a part every few minutes).
 */
export const IDLE_END_MS = 5 * 60_000;

/**
 * The image worker every detector in the process shares (libvips runs on libuv's pool, shared by all threads,
 * so one worker is enough). Started with its first user, ended with its last. A worker that dies fails the
 * frames in it with WORKER_DIED; the next frame starts a new one.
 */
export class FrameDecoder {
  private worker?: Worker;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private users = 0;
  /** Frames whose pixels the worker keeps for draw() or drop(), and the worker keeping them. */
  private readonly kept = new Map<number, Worker>();
  private idleTimer?: NodeJS.Timeout;

  constructor(private readonly idleEndMs = IDLE_END_MS) {}

  acquire(): void {
    this.users++;
  }

  /** Ends the worker when the last user is gone. */
  async release(): Promise<void> {
    if (--this.users > 0) return;
    this.users = 0;
    clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
    const w = this.worker;
    this.worker = undefined;
    if (!w) return;
    await endWorker(w, CLOSE_GRACE_MS);
  }

  /**
   * Decodes and letterboxes a frame into its slot, in the image worker. Pixels kept ('model', 'full') stay there
   * for draw() or drop() with the frame id.
   */
  async prepare(slot: SlotSpec, image: ImageInput, keep: KeepPixels): Promise<DecodedFrame> {
    const checked = checkFrame(image, slot.limits);
    const frame = this.nextId++;
    const { image: own, transfer } = await forWorker(image);
    const m = await this.request(frame, { type: 'prepare', id: frame, slot, image: own, keep, checked }, transfer);
    if (m.type !== 'prepared') throw new YoloEdgeError(`image worker answered '${m.type}' to a frame`, 'BAD_IMAGE');
    if (keep !== 'none' && this.worker) this.kept.set(frame, this.worker);
    this.endWhenIdle();
    const { type: _type, id: _id, ...prepared } = m;
    return { ...prepared, frame };
  }

  /** Draws boxes on a frame's kept pixels, JPEG-encoded, and drops the pixels. */
  async draw(frame: number, what: DrawRequest): Promise<DrawnImages> {
    const id = this.nextId++;
    this.kept.delete(frame); // the worker lets them go with this request
    const m = await this.request(id, { type: 'draw', id, frame, ...what });
    if (m.type !== 'drawn') throw new YoloEdgeError(`image worker answered '${m.type}' to a drawing`, 'BAD_IMAGE');
    const buf = (a?: Uint8Array): Buffer | undefined => (a ? Buffer.from(a.buffer, a.byteOffset, a.byteLength) : undefined);
    return { annotated: buf(m.annotated), thumbnail: buf(m.thumbnail) };
  }

  /** Drops a frame's kept pixels that will not be drawn on (its run failed). */
  drop(frame: number): void {
    this.kept.delete(frame);
    this.worker?.postMessage({ type: 'drop', frame });
    this.endWhenIdle();
  }

  /** `transfer`: buffers that go to the worker as they are (detached here), not copied. */
  private request(id: number, req: FrameRequest, transfer: ArrayBuffer[] = []): Promise<Answer> {
    // a worker started with no user would outlive every detector
    if (this.users === 0) return Promise.reject(new YoloEdgeError('image worker is closed: no detector uses it', 'CLOSED'));
    const worker = this.worker ?? this.spawn();
    return new Promise<Answer>((resolve, reject) => {
      this.pending.set(id, { worker, resolve, reject });
      try {
        worker.postMessage(req, transfer);
      } catch (err) {
        // never sent: nothing will answer it
        this.pending.delete(id);
        this.endWhenIdle();
        reject(new YoloEdgeError(`the frame cannot be sent to the image worker: ${(err as Error).message}`, 'BAD_PAYLOAD'));
      }
    });
  }

  /** Drops the worker's state for a closed detector's slots. */
  forget(keys: number[]): void {
    this.worker?.postMessage({ type: 'forget', keys });
  }

  /** The worker's thread id, if one runs (tests). */
  get threadId(): number | undefined {
    return this.worker?.threadId;
  }

  /** Makes the worker die of an uncaught error (tests). */
  simulateCrash(): void {
    this.worker?.postMessage({ type: 'crash' });
  }

  /**
   * Starts the idle clock again as the worker goes idle: it is ended idleEndMs later unless it is busy then (a frame
   * in it, or pixels kept), in which case the clock starts again when it next goes idle. One timer, refreshed: this
   * runs for every frame.
   */
  private endWhenIdle(): void {
    if (!this.worker || this.pending.size > 0 || this.kept.size > 0) return;
    if (this.idleTimer) {
      this.idleTimer.refresh();
      return;
    }
    this.idleTimer = setTimeout(() => this.endIfIdle(), this.idleEndMs);
    this.idleTimer.unref();
  }

  private endIfIdle(): void {
    const w = this.worker;
    if (!w || this.pending.size > 0 || this.kept.size > 0) return;
    this.worker = undefined;
    void endWorker(w, CLOSE_GRACE_MS);
  }

  private spawn(): Worker {
    const worker = new Worker(WORKER_FILE);
    this.worker = worker;
    worker.on('message', (m: FrameReply) => this.answer(m));
    worker.on('error', (err) => this.died(worker, err.message));
    worker.on('exit', (code) => this.died(worker, `exited with code ${code}`));
    return worker;
  }

  private answer(m: FrameReply): void {
    const p = this.pending.get(m.id);
    if (!p) return;
    this.pending.delete(m.id);
    // a prepared frame's kept pixels are counted in prepare(), after this: ending meanwhile would lose them
    if (m.type !== 'prepared') this.endWhenIdle();
    if (m.type === 'failed') p.reject(new YoloEdgeError(m.message, isErrorCode(m.code) ? m.code : 'BAD_IMAGE'));
    else p.resolve(m);
  }

  private died(worker: Worker, reason: string): void {
    if (this.worker === worker) this.worker = undefined;
    for (const [frame, w] of this.kept) if (w === worker) this.kept.delete(frame);
    // a worker ended by release() has nothing pending; a new one may have frames already
    for (const [id, p] of this.pending) {
      if (p.worker !== worker) continue;
      this.pending.delete(id);
      p.reject(new YoloEdgeError(`image worker stopped (${reason}); the next frame starts a new one`, 'WORKER_DIED'));
    }
  }
}

/** About 0.2 ms of copying: the event loop runs between slices. */
const COPY_SLICE = 1 << 20;

/**
 * Frames from this size on are copied in slices. A smaller one is posted as it is: the clone is short (about 2 ms of
 * CPU for a 6 MB raw 1080p frame), and a copy of its own made it longer (about 4 ms), likely from the garbage
 * collection the new buffer brings on.
 */
export const SLICED_FROM = 8 << 20;

/** A frame as it goes to the worker, and the buffers handed over rather than cloned. */
async function forWorker(image: ImageInput): Promise<{ image: ImageInput; transfer: ArrayBuffer[] }> {
  if (pixelsOf(image).byteLength < SLICED_FROM) return { image: ownBytes(image), transfer: [] };
  const own = await ownCopy(image);
  return { image: own, transfer: [pixelsOf(own).buffer as ArrayBuffer] };
}

/**
 * A frame's bytes as a view on exactly their own buffer: posting a view clones its whole ArrayBuffer, and a frame
 * cut out of a larger chunk (a stream's) would take the chunk along. A SharedArrayBuffer is not cloned but shared by
 * posting: the worker draws the boxes on raw RGB pixels in place, which then showed in the caller's frame.
 */
function ownBytes(image: ImageInput): ImageInput {
  const whole = (a: Uint8Array): boolean => a.byteOffset === 0 && a.byteLength === a.buffer.byteLength && !types.isSharedArrayBuffer(a.buffer);
  return withPixels(image, whole(pixelsOf(image)) ? pixelsOf(image) : new Uint8Array(pixelsOf(image)));
}

/**
 * A copy of a large frame's bytes in a buffer of their own, made in slices across turns of the event loop, to be
 * transferred to the worker. Posted as it was, a frame was cloned in one go on the event loop: 23 ms for a 48 MB
 * JPEG, 30 ms at the 64 MB cap. The caller's bytes are only read: its Buffer stays as it was.
 */
async function ownCopy(image: ImageInput): Promise<ImageInput> {
  return withPixels(image, await copyAcrossTurns(pixelsOf(image)));
}

/**
 * The frame with `data` for its bytes. Of raw pixels only the fields the worker reads go: anything else a source
 * attached would be copied too, and a method cannot be copied at all.
 */
function withPixels(image: ImageInput, data: Uint8Array): ImageInput {
  if (!isRawImage(image)) return data;
  const { width, height, channels } = image;
  return { width, height, channels, data };
}

/**
 * The first slice is copied in the turn the caller checked the frame in, so the worker's copy has the first bytes
 * checkFrame read. Zeroed first: a source that shrinks meanwhile (a resizable buffer) leaves zeros, not old memory.
 */
async function copyAcrossTurns(src: Uint8Array): Promise<Uint8Array> {
  const dst = new Uint8Array(src.byteLength);
  for (let at = 0; at < src.byteLength; at += COPY_SLICE) {
    if (at > 0) await nextTurn();
    dst.set(src.subarray(at, at + COPY_SLICE), at);
  }
  return dst;
}

function pixelsOf(image: ImageInput): Uint8Array {
  return isRawImage(image) ? image.data : image;
}

/** The process's one image worker host. */
export const frameDecoder = new FrameDecoder();
