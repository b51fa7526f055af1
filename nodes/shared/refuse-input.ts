import type { Node, NodeStatus } from 'node-red';

/** An error as a red status, cut to fit the badge. */
export function errorStatus(err: Error): NodeStatus {
  return { fill: 'red', shape: 'ring', text: err.message.slice(0, 60) };
}

/** A node whose settings are wrong: red status, one log line, and every msg fails with the same error. */
export function refuseInput(node: Node, err: Error): void {
  node.status(errorStatus(err));
  node.error(`configuration: ${err.message}`);
  node.on('input', (_msg: unknown, _send: unknown, done: (e?: Error) => void) => done(err));
}
