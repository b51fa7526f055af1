import type { Node, NodeStatus } from 'node-red';
import { STATUS_MAX, statusText } from '../../lib/config/fields';

/**
 * An error as a red status, cut to fit the badge. A path is shown by its file name: a model's folders filled the
 * badge, and 'changed since it was loaded; redeploy' was cut off.
 */
export function errorStatus(err: Error): NodeStatus {
  return { fill: 'red', shape: 'ring', text: briefReason(err.message, STATUS_MAX) };
}

/** A reason as a status shows it: paths by their file name, cut to `max`. */
export function briefReason(text: string, max = 60): string {
  return statusText(text.replace(/(^|[\s'"(=])\/(?:[^\s/'"]+\/)+/g, '$1…/'), max);
}

/** A node whose settings are wrong: red status, one log line, and every msg fails with the same error. */
export function refuseInput(node: Node, err: Error): void {
  node.status(errorStatus(err));
  node.error(`configuration: ${err.message}`);
  node.on('input', (_msg: unknown, _send: unknown, done: (e?: Error) => void) => done(err));
}
