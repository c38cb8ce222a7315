/**
 * The self-hosted arena-vault under Deno: `npm run start:deno`.
 * Serves the Worker's app with Deno.serve over a local SQLite file; see
 * docs/deno.md. Everything but Deno's own listen, signal and exit calls is
 * shared with the Node edition in selfhost/ (start.ts, vault.ts).
 *
 * Settings (environment): every binding of the Worker (SECRET_KEY,
 * CREDENTIAL_ENCRYPTION_KEY, their _PREVIOUS lists, ACCESS_TOKEN_EXPIRE_MINUTES)
 * as a variable or as `<NAME>_FILE`; DATABASE_PATH (default
 * data/arena-vault.sqlite), HOST (default 127.0.0.1), PORT (default 8787),
 * PUBLIC_URL (the https origin users reach, when behind a TLS proxy),
 * TRUST_PROXY=1 (client address from X-Forwarded-For; only behind a proxy).
 *
 * On start it prints one line `listening on http://HOST:PORT`; on SIGINT or
 * SIGTERM it stops accepting, lets calls in flight finish and closes the files.
 */
import { outsidePermissions } from '../selfhost/secrets.ts';
import { incomingRequest, listeningLine, StartError, startVault } from '../selfhost/start.ts';

function fail(message: string): never {
  console.error(message);
  Deno.exit(2);
}

async function main(): Promise<void> {
  const env = Deno.env.toObject();
  let started;
  try {
    started = await startVault(env);
  } catch (e) {
    if (e instanceof StartError) fail(e.message);
    throw e;
  }
  const { vault, server: settings, notes } = started;
  for (const line of notes) console.log(line);

  const serve = (...args: Parameters<typeof Deno.serve>) => {
    try {
      return Deno.serve(...args);
    } catch (e) {
      const refused = outsidePermissions(e);
      if (refused) fail(`HOST=${settings.hostname} PORT=${settings.port}: ${refused}`);
      throw e;
    }
  };
  const server = serve(
    {
      hostname: settings.hostname,
      port: settings.port,
      onListen: ({ hostname, port }) => console.log(listeningLine('Deno', hostname, port, vault)),
    },
    (request, info) => vault.fetch(incomingRequest(request, info.remoteAddr.hostname, settings)),
  );

  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    await server.shutdown();
    await vault.close();
    Deno.exit(0);
  };
  Deno.addSignalListener('SIGINT', stop);
  Deno.addSignalListener('SIGTERM', stop);
}

if (import.meta.main) await main();
