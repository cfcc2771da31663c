// Test support: a TCP proxy in front of PostgreSQL that forwards a chosen message (a COMMIT, a
// one-statement batch) and then cuts both connections before the server's answer comes back — what
// a leader crash right after a commit looks like to the client. The statement still runs and commits.
import { createServer, connect, type Server, type Socket } from 'node:net';

export interface CuttingProxy {
  readonly port: number;
  /** The next message holding `marker` (default: a COMMIT) is forwarded, then both connections are
   *  cut before its answer returns. */
  cutAfterNextCommit(marker?: string): void;
  /** The next message holding `marker` is never forwarded: both connections are cut at once (the
   *  transaction it belonged to dies uncommitted). */
  cutBeforeNext(marker: string): void;
  cuts(): number;
  close(): Promise<void>;
}

export async function cuttingProxy(target: URL): Promise<CuttingProxy> {
  let armed: Buffer | undefined;
  let dropping: Buffer | undefined;
  let cuts = 0;
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = connect(Number(target.port || 5432), target.hostname);
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('error', () => undefined);
      socket.on('close', () => sockets.delete(socket));
    }
    client.on('data', (chunk: Buffer) => {
      if (dropping !== undefined && chunk.includes(dropping)) {
        dropping = undefined;
        cuts++;
        client.destroy();
        upstream.destroy();
        return;
      }
      upstream.write(chunk);
      if (armed !== undefined && chunk.includes(armed)) {
        armed = undefined;
        cuts++;
        // The rest of the request (Bind/Execute/Sync may follow in later chunks) still reaches the
        // server; the server's answer is never read back to the client.
        upstream.pause();
        setTimeout(() => { client.destroy(); upstream.destroy(); }, 300);
      }
    });
    upstream.on('data', (chunk: Buffer) => client.write(chunk));
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (typeof address !== 'object' || address === null) throw new Error('proxy has no port');
  return {
    port: address.port,
    cutAfterNextCommit: (marker = 'COMMIT\0') => { armed = Buffer.from(marker); },
    cutBeforeNext: (marker: string) => { dropping = Buffer.from(marker); },
    cuts: () => cuts,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

