// Editor preview: a thumbnail of the last annotated frame, published over the editor websocket.
import type { Node, NodeAPI } from 'node-red';
import { annotatedThumbnail } from '../../lib/image/thumbnail';
import { TOPICS } from '../../lib/topics';
import { Detection, ImageInput } from '../../lib/types';

export interface Preview {
  /** Whether a frame offered now would be shown (so its pixels are worth keeping). */
  due(): boolean;
  /** Offers a frame; it is shown only when the last one is older than the interval and none is being made. */
  offer(image: ImageInput, width: number, height: number, detections: readonly Detection[]): void;
  /** Removes the thumbnail from open editors and from the retained message new editors get. */
  clear(): void;
}

export function createPreview(RED: NodeAPI, node: Node, enabled: boolean, intervalMs = 1000, maxWidth = 160): Preview {
  const topic = TOPICS.preview + node.id;
  let lastAt = -Infinity;
  let busy = false;
  let warned = false;
  const due = (): boolean => enabled && !busy && Date.now() - lastAt >= intervalMs;
  return {
    due,
    offer(image, width, height, detections) {
      const now = Date.now();
      if (!due()) return;
      busy = true;
      lastAt = now;
      annotatedThumbnail(image, width, height, detections, maxWidth)
        .then((jpeg) => {
          // Retained, so an editor opened later shows the last frame too; small enough not to choke the socket.
          RED.comms.publish(topic, { image: `data:image/jpeg;base64,${jpeg.toString('base64')}`, objects: detections.length, at: now }, true);
        })
        .catch((err: Error) => {
          if (!warned) node.warn(`preview: ${err.message}`);
          warned = true;
        })
        .finally(() => { busy = false; });
    },
    clear() {
      RED.comms.publish(topic, { image: null }, false);
    },
  };
}
