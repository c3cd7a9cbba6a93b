// Binding a server socket, with the error a user can act on: which service, which address, why, and what to change.
import type { Server as NetServer } from 'node:net';
import { LookoutError } from '../core/errors.js';

/** Listens on `host:port` (port 0: any free one); fails with LOOKOUT_ERR_LISTEN naming `what`, the address and `hint`. */
export async function listen(server: NetServer, host: string, port: number, what: string, hint: string): Promise<void> {
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host, port }, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'EADDRINUSE' ? 'address already in use' : code === 'EACCES' ? 'permission denied' : (err as Error).message;
    throw new LookoutError('LOOKOUT_ERR_LISTEN', `${what}: cannot listen on ${host}:${port}: ${why} (${hint})`, { cause: err });
  }
}
