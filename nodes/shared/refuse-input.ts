import type { Node, NodeStatus } from 'node-red';

/** An error as a red status, cut to fit the badge. */
export function errorStatus(err: Error): NodeStatus {
  return { fill: 'red', shape: 'ring', text: err.message.slice(0, 60) };
}

/** Red status and one log line saying what was refused. */
export function showRefused(node: Node, what: string, err: Error): void {
  node.status(errorStatus(err));
  node.error(`${what}: ${err.message}`);
}

/** A node whose settings are wrong: red status, one log line, and every msg fails with the same error. */
export function refuseInput(node: Node, err: Error): void {
  showRefused(node, 'configuration', err);
  node.on('input', (_msg: unknown, _send: unknown, done: (e?: Error) => void) => done(err));
}
