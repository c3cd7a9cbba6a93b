// Whether a network camera's port takes connections: a TCP connect, closed at once. LiveSource uses it while it
// waits out a backoff delay, to see a server that was refusing connections come back without waiting for the delay.
import { connect } from 'node:net';

/** `refused`: the host answered that nothing listens; `other`: no answer, a name that does not resolve, a timeout. */
export type PortState = 'open' | 'refused' | 'other';

export interface Endpoint {
  host: string;
  port: number;
}

const DEFAULT_PORTS: Record<string, number> = { rtsp: 554, rtsps: 322, http: 80, https: 443 };

/** The host and port a network camera URL connects to; undefined for anything else (a file, a device). */
export function endpointOf(url: string): Endpoint | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return undefined;
  }
  const scheme = parsed.protocol.replace(/:$/, '').toLowerCase();
  const fallback = DEFAULT_PORTS[scheme];
  if (fallback === undefined || !parsed.hostname) return undefined;
  const host = parsed.hostname.replace(/^\[(.*)\]$/, '$1');
  return { host, port: parsed.port ? Number(parsed.port) : fallback };
}

/** One TCP connect, closed as soon as it is made; never rejects. */
export function checkPort(endpoint: Endpoint, timeoutMs = 1000): Promise<PortState> {
  return new Promise((resolve) => {
    const socket = connect({ host: endpoint.host, port: endpoint.port });
    const done = (state: PortState) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(state);
    };
    const timer = setTimeout(() => done('other'), timeoutMs);
    socket.once('connect', () => done('open'));
    socket.once('error', (err: NodeJS.ErrnoException) => done(err.code === 'ECONNREFUSED' ? 'refused' : 'other'));
  });
}
