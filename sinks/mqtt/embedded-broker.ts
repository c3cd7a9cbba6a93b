// The MQTT broker Lookout starts when no `mqtt.url` is configured (aedes, in memory), so a first run works with
// nothing installed. Owned by the MQTT sink: created before its client, closed after it.
import { listen } from '../listen.js';
import { Aedes } from 'aedes';
import { createServer, type Server, type Socket } from 'node:net';

export class EmbeddedBroker {
  private closing: Promise<void> | undefined;

  private constructor(
    private readonly aedes: Aedes,
    private readonly server: Server,
    private readonly sockets: Set<Socket>,
    readonly host: string,
    readonly port: number,
  ) {}

  /** Listens on `host:port` (port 0: any free port; read `port` after). */
  static async create(opts: { host: string; port: number }): Promise<EmbeddedBroker> {
    const aedes = await Aedes.createBroker();
    const sockets = new Set<Socket>();
    const server = createServer((socket) => {
      sockets.add(socket);
      socket.once('close', () => sockets.delete(socket));
      aedes.handle(socket);
    });
    try {
      await listen(server, opts.host, opts.port, 'embedded MQTT broker', 'set mqtt.embedded.port, or mqtt.url to use another broker');
    } catch (err) {
      await new Promise<void>((resolve) => aedes.close(() => resolve()));
      throw err;
    }
    const address = server.address();
    const port = typeof address === 'object' && address !== null ? address.port : opts.port;
    return new EmbeddedBroker(aedes, server, sockets, opts.host, port);
  }

  get url(): string {
    const host = this.host.includes(':') ? `[${this.host}]` : this.host;
    return `mqtt://${host}:${this.port}`;
  }

  /** Idempotent: disconnects every client (no last wills are worth sending from a broker going away) and stops listening. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      const stopped = new Promise<void>((resolve) => this.server.close(() => resolve()));
      await new Promise<void>((resolve) => this.aedes.close(() => resolve()));
      for (const s of this.sockets) s.destroy();
      await stopped;
    })();
    return this.closing;
  }
}
