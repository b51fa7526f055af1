// Worker thread entry: decodes and letterboxes frames and writes them as the model's input tensor into their
// detectors' shared slot buffers, and draws the boxes on the pixels kept for that. libvips does the work on libuv's
// pool; what is here is the per-frame garbage (decoded pixels, sharp's buffers), whose collection paused the event
// loop for 5-15 ms about every 1.5 s at 10 fps inside Node-RED, and the tensor layout, which here overlaps the
// session's run of the frame before instead of delaying the next run in the inference worker.
import { MessagePort, parentPort } from 'worker_threads';
import { YoloEdgeError } from '../errors';
import { annotateImage, annotatePixels } from '../image/annotate';
import { Preprocessor } from '../image/preprocess';
import { annotatedThumbnail } from '../image/thumbnail';
import { RawImage } from '../types';
import { Drawn, FrameReply, FrameRequest, SlotSpec } from './frame-protocol';
import { cutMiddle } from '../config/fields';

if (!parentPort) throw new Error('frame-worker must run in a worker thread');
const port: MessagePort = parentPort;

/** Frames whose pixels wait for their boxes: two per detector are in progress; more means a caller forgot some. */
const MAX_KEPT = 32;

const slots = new Map<number, Preprocessor>();
const kept = new Map<number, RawImage>();
let inFlight = 0;
let closing = false;

function slotFor(s: SlotSpec): Preprocessor {
  let pre = slots.get(s.key);
  if (!pre) {
    pre = new Preprocessor(s.buffer, s.tensor, s.width, s.height, s.limits, s.stride);
    slots.set(s.key, pre);
  }
  return pre;
}

function keep(frame: number, pixels: RawImage): void {
  if (kept.size >= MAX_KEPT) kept.delete(kept.keys().next().value as number);
  kept.set(frame, pixels);
}

async function draw(req: Extract<FrameRequest, { type: 'draw' }>): Promise<Drawn> {
  const pixels = kept.get(req.frame);
  kept.delete(req.frame);
  if (!pixels) throw new YoloEdgeError(`the frame's pixels are gone (the image worker was restarted, or over ${MAX_KEPT} frames waited to be drawn)`, 'WORKER_DIED');
  // the pixels are dropped after this: annotation draws on them in place unless the thumbnail reads them too
  const annotate = req.thumbnail > 0 ? annotateImage : annotatePixels;
  const [thumbnail, annotated] = await Promise.all([
    // a preview is not worth failing the frame for
    req.thumbnail > 0 ? annotatedThumbnail(pixels, req.width, req.height, req.detections, req.thumbnail).catch(() => undefined) : undefined,
    req.annotate ? annotate(pixels, req.width, req.height, req.detections) : undefined,
  ]);
  return { annotated, thumbnail };
}

async function answer(req: Extract<FrameRequest, { type: 'prepare' | 'draw' }>): Promise<void> {
  inFlight++;
  let reply: FrameReply;
  try {
    if (req.type === 'draw') {
      reply = { type: 'drawn', id: req.id, ...(await draw(req)) };
    } else {
      const pre = slotFor(req.slot);
      const r = await pre.run(req.image, req.keep, req.checked);
      if (r.pixels) keep(req.id, r.pixels);
      reply = { type: 'prepared', id: req.id, width: pre.width, height: pre.height, geometry: r.geometry, decodeMs: r.decodeMs, preprocessMs: r.preprocessMs };
    }
  } catch (err) {
    reply = { type: 'failed', id: req.id, message: cutMiddle((err as Error).message), code: (err as { code?: string }).code };
  }
  port.postMessage(reply);
  if (--inFlight === 0 && closing) port.close();
}

port.on('message', (req: FrameRequest) => {
  if (req.type === 'prepare' || req.type === 'draw') void answer(req);
  else if (req.type === 'drop') kept.delete(req.frame);
  else if (req.type === 'forget') for (const k of req.keys) slots.delete(k);
  else if (req.type === 'close') {
    closing = true;
    if (inFlight === 0) port.close();
  } else if (req.type === 'crash') {
    setImmediate(() => {
      throw new Error('crash requested');
    });
  }
});
