import type { Node } from 'node-red';

/** Red status (cut to fit the badge) and one log line saying what was refused. */
export function showRefused(node: Node, what: string, err: Error): void {
  node.status({ fill: 'red', shape: 'ring', text: err.message.slice(0, 60) });
  node.error(`${what}: ${err.message}`);
}

/** A node whose settings are wrong: red status, one log line, and every msg fails with the same error. */
export function refuseInput(node: Node, err: Error): void {
  showRefused(node, 'configuration', err);
  node.on('input', (_msg: unknown, _send: unknown, done: (e?: Error) => void) => done(err));
}
