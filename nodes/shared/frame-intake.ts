// Shared by the nodes that take frames: guard control messages, the rate gate and the busy queue.
import type { NodeMessage } from 'node-red';
import { BusyQueue } from '../../lib/pipeline/busy-queue';
import { ControlPayload, parseControl } from '../../lib/pipeline/control';
import { RateGate } from '../../lib/pipeline/rate-gate';
import { TOPICS } from '../../lib/topics';
import { isRawImage } from '../../lib/types';
import { YoloEdgeError } from '../../lib/errors';
import { Msg } from './detect-message';

export interface FrameJob {
  msg: Msg;
  send: (msg: NodeMessage | Array<NodeMessage | null>) => void;
  done: (err?: Error) => void;
}

/** How the intake reports to its node: a status refresh, and a control message it refused. */
export interface IntakeReport {
  status: (force?: boolean) => void;
  refused: (err: Error) => void;
}

/**
 * Applies a `yolo-edge/control` message, or lets a frame through the rate gate into the queue.
 * Every frame ends in done(): run, dropped (counted, and marked in msg.dropped for Complete nodes, which get the
 * msg as done() leaves it) or refused with an error.
 */
export function takeFrame(job: FrameJob, gate: RateGate, queue: BusyQueue<FrameJob>, report: IntakeReport): void {
  const { msg, done } = job;
  const { status } = report;
  let topic: unknown;
  let bytes: number;
  try {
    // read once, up front: a msg built with a getter that throws must still end in done(err), not vanish
    topic = msg.topic;
    bytes = heldBytes(msg.payload);
  } catch (err) {
    const unreadable = new YoloEdgeError(`the msg could not be read: ${(err as Error).message}`, 'BAD_PAYLOAD');
    report.refused(unreadable);
    done(unreadable);
    return;
  }
  if (topic === TOPICS.control) {
    let control: ControlPayload | undefined;
    try {
      control = parseControl(msg.payload);
      if (control) gate.apply(control);
    } catch (err) {
      report.refused(err as Error);
      done(err as Error);
      return;
    }
    if (control) {
      status(true);
      done();
      return;
    }
  }
  const turnedAway = gate.turnAway(Date.now());
  if (turnedAway) {
    msg.dropped = turnedAway;
    status();
    done();
    return;
  }
  queue.push({
    item: job,
    bytes,
    discard: (reason) => {
      if (reason === 'rejected') done(new YoloEdgeError(`busy: ${queue.describeFull()}; frame refused`, 'BUSY'));
      // a Catch node must hear of it: an http-in flow would otherwise never answer the request
      else if (reason === 'closed') done(new YoloEdgeError('the node closed before this frame ran', 'CLOSED'));
      else {
        msg.dropped = 'busy';
        done();
      }
      status();
    },
  });
}

/** The bytes a waiting frame holds: its encoded image or its pixels (a file path holds next to nothing). */
function heldBytes(payload: unknown): number {
  if (ArrayBuffer.isView(payload)) return payload.byteLength;
  return isRawImage(payload) ? payload.data.byteLength : 0;
}
