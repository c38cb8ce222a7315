/**
 * The self-hosted arena-vault under Deno: `npm run start:deno`.
 * Serves the Worker's app with Deno.serve
 * over a local SQLite file; see docs/deno.md.
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
import { databasePathFrom, openVault } from './vault.ts';
import { outsidePermissions, SettingsError } from './secrets.ts';
import { WranglerConfigError } from './wrangler-config.ts';

function fail(message: string): never {
  console.error(message);
  Deno.exit(2);
}

export interface IncomingOptions {
  /** The origin users reach (PUBLIC_URL), when a TLS proxy sits in front. */
  publicUrl: URL | null;
  /** TRUST_PROXY=1: take the client address from the last X-Forwarded-For hop. */
  trustProxy: boolean;
}

/**
 * The request as the Worker would see it on Cloudflare: the public origin
 * (so same-origin CSRF checks compare what the browser saw) and
 * `cf-connecting-ip` set by us from the socket — never the client's own
 * header, which anyone could forge to dodge the per-client login limit.
 */
export function incomingRequest(request: Request, peerIp: string, opts: IncomingOptions): Request {
  const seen = new URL(request.url);
  // Origin only (scheme, host, port): the app is served at the root of PUBLIC_URL.
  const url = opts.publicUrl ? new URL(seen.pathname + seen.search, opts.publicUrl.origin) : seen;
  let ip = peerIp;
  if (opts.trustProxy) {
    const hops = (request.headers.get('x-forwarded-for') ?? '').split(',').map((h) => h.trim()).filter(Boolean);
    ip = hops.at(-1) ?? peerIp;
  }
  const headers = new Headers(request.headers);
  headers.set('cf-connecting-ip', ip);
  // Not `new Request(url, request)`: that would read request.signal, which Deno.serve aborts after every response.
  const hasBody = request.body !== null && !['GET', 'HEAD'].includes(request.method);
  return new Request(url, { method: request.method, headers, body: hasBody ? request.body : null, redirect: request.redirect });
}

async function main(): Promise<void> {
  const env = Deno.env.toObject();
  const port = Number(env.PORT ?? '8787');
  if (!Number.isInteger(port) || port < 0 || port > 65535) fail('PORT must be a whole number from 0 to 65535');
  const trustProxy = env.TRUST_PROXY === '1';
  let publicUrl: URL | null = null;
  if (env.PUBLIC_URL) {
    try {
      publicUrl = new URL(env.PUBLIC_URL);
    } catch {
      fail('PUBLIC_URL must be an absolute URL such as https://vault.example.org');
    }
  }

  let vault;
  try {
    vault = await openVault({ env, refuseInvalidSecrets: true });
  } catch (e) {
    if (e instanceof SettingsError || e instanceof WranglerConfigError) fail(e.message);
    const refused = outsidePermissions(e);
    if (refused) fail(`DATABASE_PATH=${databasePathFrom(env)}: ${refused}`);
    throw e;
  }
  if (vault.migrationsApplied.length) console.log(`applied migrations: ${vault.migrationsApplied.join(', ')}`);
  if (vault.alarmsRearmed) console.log(`resumed ${vault.alarmsRearmed} scheduled object alarm(s)`);

  const serve = (...args: Parameters<typeof Deno.serve>) => {
    try {
      return Deno.serve(...args);
    } catch (e) {
      const refused = outsidePermissions(e);
      if (refused) fail(`HOST=${env.HOST ?? '127.0.0.1'} PORT=${port}: ${refused}`);
      throw e;
    }
  };
  const server = serve(
    {
      hostname: env.HOST ?? '127.0.0.1',
      port,
      onListen: ({ hostname, port }) => console.log(`arena-vault (Deno) listening on http://${hostname}:${port} — database ${vault.databasePath}`),
    },
    (request, info) => vault.fetch(incomingRequest(request, info.remoteAddr.hostname, { publicUrl, trustProxy })),
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
