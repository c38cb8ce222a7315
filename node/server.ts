/**
 * The self-hosted arena-vault under Node: `npm run start:node`, and the
 * Docker image (Dockerfile). Serves the Worker's app with @hono/node-server
 * over a local SQLite file (`node:sqlite`); see docs/node.md. Everything but
 * Node's own listen, signal and exit calls is shared with the Deno edition in
 * selfhost/ (start.ts, vault.ts). It runs as the bundle node/build.ts writes
 * (dist/node-server.mjs).
 *
 * Settings (environment): every binding of the Worker (SECRET_KEY,
 * CREDENTIAL_ENCRYPTION_KEY, their _PREVIOUS lists, ACCESS_TOKEN_EXPIRE_MINUTES)
 * as a variable or as `<NAME>_FILE`; DATABASE_PATH (default
 * data/arena-vault.sqlite), HOST (default 127.0.0.1), PORT (default 8787),
 * PUBLIC_URL (the https origin users reach, when behind a TLS proxy),
 * TRUST_PROXY=1 (client address from X-Forwarded-For; only behind a proxy).
 *
 * On start it prints one line `listening on http://HOST:PORT`; on SIGINT or
 * SIGTERM it stops accepting, lets requests in flight finish and closes the
 * files (exit 0). A refusal to start exits 2 with one message.
 */
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { incomingRequest, listeningLine, StartError, startVault } from '../selfhost/start.ts';

function fail(message: string): never {
  console.error(message);
  process.exit(2);
}

/** The socket's address as Deno.serve reports it: an IPv4 client of a dual-stack socket without its `::ffff:` prefix. */
function peerAddress(address: string | undefined): string {
  return (address ?? '').replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/, '');
}

async function main(): Promise<void> {
  let started;
  try {
    started = await startVault(process.env);
  } catch (e) {
    if (e instanceof StartError) fail(e.message);
    throw e;
  }
  const { vault, server: settings, notes } = started;
  for (const line of notes) console.log(line);

  const server = serve(
    {
      hostname: settings.hostname,
      port: settings.port,
      // Keep the standard Request/Response: the Worker's code is written against them.
      overrideGlobalObjects: false,
      fetch: (request, { incoming }) => vault.fetch(incomingRequest(request, peerAddress(incoming.socket.remoteAddress), settings)),
    },
    (info: AddressInfo) => console.log(listeningLine('Node', settings.hostname, info.port, vault)),
  );
  server.on('error', (e: NodeJS.ErrnoException) => {
    // EADDRINUSE, EACCES (a port below 1024), EADDRNOTAVAIL: the code says which.
    void vault.close().finally(() => fail(`HOST=${settings.hostname} PORT=${settings.port}: cannot listen (${e.code ?? e.name})`));
  });

  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    // Stop accepting; idle keep-alive connections close now, busy ones after their response.
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    if ('closeIdleConnections' in server) server.closeIdleConnections();
    await closed;
    await vault.close();
    process.exit(0);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

await main();
