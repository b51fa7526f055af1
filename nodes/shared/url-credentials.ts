import type { NodeAPI } from 'node-red';
import { splitUrlCredentials } from '../../lib/camera/redact';

/**
 * Flows saved before camera credentials were node credentials carry user:password in a node's url. Each time
 * flows start, the stored flow (what GET /flows and exports return, and what the next deploy saves) loses
 * them, and the node's credentials get them when their fields are empty. flows.json keeps them until the
 * next deploy; the node warns about that.
 */
const watched = new WeakSet<object>();

interface FlowsStarting {
  config?: { flows?: unknown };
}

interface UrlNode {
  id: string;
  type: string;
  url: string;
}

function isUrlNode(n: unknown, type: string): n is UrlNode {
  const o = n as Partial<UrlNode> | null;
  return !!o && o.type === type && typeof o.id === 'string' && typeof o.url === 'string';
}

export function moveUrlCredentialsOnStart(RED: NodeAPI, type: string): void {
  const events = RED.events;
  if (!events || watched.has(events)) return;
  watched.add(events);
  events.on('flows:starting', (e: FlowsStarting) => {
    const flows = e?.config?.flows;
    if (!Array.isArray(flows)) return;
    for (const n of flows) {
      if (!isUrlNode(n, type)) continue;
      const inline = splitUrlCredentials(n.url);
      if (!inline.user && !inline.password) continue;
      n.url = inline.url;
      const have = (RED.nodes.getCredentials(n.id) ?? {}) as { user?: string; password?: string };
      void RED.nodes.addCredentials(n.id, { ...have, user: have.user || inline.user, password: have.password || inline.password });
    }
  });
}
