// Free loopback ports for servers a test starts (broker, HTTP, RTSP). The port is released before it is returned, so
// another process could take it in between; on loopback in a test run that race is rare enough to accept.
import { createServer } from 'node:net';

export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen({ port: 0, host, exclusive: true }, () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close((err) => (err ? reject(err) : port > 0 ? resolve(port) : reject(new Error(`no port from ${String(address)}`))));
    });
  });
}
