// Editor preview: a thumbnail of the last annotated frame, published over the editor websocket.
import type { Node, NodeAPI } from 'node-red';
import { TOPICS } from '../../lib/topics';

/** A frame's turn to be shown: the thumbnail width to ask the detector for, and when the turn was taken. */
export interface PreviewTurn {
  width: number;
  at: number;
}

export interface Preview {
  /**
   * This frame's turn, or undefined: at most one frame per interval gets one (the detector draws the thumbnail
   * in the image worker from the pixels decoded for the model).
   */
  claim(): PreviewTurn | undefined;
  /** Publishes a thumbnail the detector drew. */
  show(jpeg: Buffer, objects: number, turn: PreviewTurn): void;
  /**
   * Removes the thumbnail from open editors and from the retained message new editors get, for good: a frame still
   * in progress (a node deleted mid-frame) publishes nothing after it.
   */
  clear(): void;
}

export function createPreview(RED: NodeAPI, node: Node, enabled: boolean, intervalMs = 1000, maxWidth = 160): Preview {
  const topic = TOPICS.preview + node.id;
  let lastAt = -Infinity;
  return {
    claim() {
      const now = Date.now();
      if (!enabled || now - lastAt < intervalMs) return undefined;
      lastAt = now;
      return { width: maxWidth, at: now };
    },
    show(jpeg, objects, turn) {
      if (!enabled) return;
      // Retained, so an editor opened later shows the last frame too; small enough not to choke the socket.
      RED.comms.publish(topic, { image: `data:image/jpeg;base64,${jpeg.toString('base64')}`, objects, at: turn.at }, true);
    },
    clear() {
      enabled = false;
      RED.comms.publish(topic, { image: null }, false);
    },
  };
}
