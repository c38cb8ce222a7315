/**
 * What the two self-hosted servers (node/server.ts on @hono/node-server,
 * deno/server.ts on Deno.serve) share around the socket: reading the server's
 * own settings (HOST, PORT, PUBLIC_URL, TRUST_PROXY, ALERT_CHECK_INTERVAL_SECONDS
 * for the alert checks' timer, scheduler.ts), opening the vault with
 * every start-up refusal turned into one line, and the request the Worker
 * sees. Each entry point keeps only its runtime's listen, signal and exit calls.
 *
 * @example
 *   const { vault, server, notes } = await startVault(process.env);  // StartError: print, exit 2
 *   // serve: (request, peerIp) => vault.fetch(incomingRequest(request, peerIp, server))
 */
import { outsidePermissions, SettingsError } from './secrets.ts';
import { databasePathFrom, openVault, type Vault } from './vault.ts';
import { WranglerConfigError } from './wrangler-config.ts';
import { ALERT_CHECK_INTERVAL_VAR, alertCheckIntervalMs } from './scheduler.ts';

/** A refusal to start: its message is one safe line (or block) for stderr; the server exits 2. */
export class StartError extends Error {
  override name = 'StartError';
}

export interface IncomingOptions {
  /** The origin users reach (PUBLIC_URL), when a TLS proxy sits in front. */
  publicUrl: URL | null;
  /** TRUST_PROXY=1: take the client address from the last X-Forwarded-For hop. */
  trustProxy: boolean;
}

export interface ServerSettings extends IncomingOptions {
  hostname: string;
  port: number;
  /** How often the Worker's `scheduled` handler runs (the alert checks); null: off. */
  alertCheckIntervalMs: number | null;
}

/**
 * HOST (default 127.0.0.1), PORT (8787), PUBLIC_URL, TRUST_PROXY=1,
 * ALERT_CHECK_INTERVAL_SECONDS (300; 0 or off: none); a bad value is a StartError naming it.
 */
export function serverSettings(env: Record<string, string | undefined>): ServerSettings {
  const port = Number(env.PORT ?? '8787');
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new StartError('PORT must be a whole number from 0 to 65535');
  let publicUrl: URL | null = null;
  if (env.PUBLIC_URL) {
    try {
      publicUrl = new URL(env.PUBLIC_URL);
    } catch {
      throw new StartError('PUBLIC_URL must be an absolute URL such as https://vault.example.org');
    }
  }
  let interval: number | null;
  try {
    interval = alertCheckIntervalMs(env);
  } catch (e) {
    throw new StartError((e as Error).message);
  }
  return { hostname: env.HOST ?? '127.0.0.1', port, publicUrl, trustProxy: env.TRUST_PROXY === '1', alertCheckIntervalMs: interval };
}

/**
 * Reads the server settings and opens the vault (secrets checked as the
 * Worker checks them, migrations applied, stored alarms re-armed). `notes`
 * are the lines to print before listening.
 */
export async function startVault(env: Record<string, string | undefined>): Promise<{ vault: Vault; server: ServerSettings; notes: string[] }> {
  const server = serverSettings(env);
  let vault: Vault;
  try {
    vault = await openVault({ env, refuseInvalidSecrets: true, alertCheckIntervalMs: server.alertCheckIntervalMs });
  } catch (e) {
    if (e instanceof SettingsError || e instanceof WranglerConfigError) throw new StartError(e.message);
    const refused = outsidePermissions(e);
    if (refused) throw new StartError(`DATABASE_PATH=${databasePathFrom(env)}: ${refused}`);
    throw e;
  }
  const notes: string[] = [];
  if (vault.migrationsApplied.length) notes.push(`applied migrations: ${vault.migrationsApplied.join(', ')}`);
  if (vault.alarmsRearmed) notes.push(`resumed ${vault.alarmsRearmed} scheduled object alarm(s)`);
  notes.push(
    server.alertCheckIntervalMs === null
      ? `alert checks: off (${ALERT_CHECK_INTERVAL_VAR}); run them with POST /api/alerts/check`
      : `alert checks: every ${server.alertCheckIntervalMs / 1000} s (${ALERT_CHECK_INTERVAL_VAR})`,
  );
  return { vault, server, notes };
}

/** The one line both servers print once they listen (tests wait for `listening on`). */
export function listeningLine(runtime: 'Node' | 'Deno', hostname: string, port: number, vault: Vault): string {
  return `arena-vault (${runtime}) listening on http://${hostname}:${port} — database ${vault.databasePath}`;
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
    const hops = (request.headers.get('x-forwarded-for') ?? '')
      .split(',')
      .map((h) => h.trim())
      .filter(Boolean);
    ip = hops.at(-1) ?? peerIp;
  }
  const headers = new Headers(request.headers);
  headers.set('cf-connecting-ip', ip);
  // Not `new Request(url, request)`: that would read request.signal, which Deno.serve aborts after every response.
  const hasBody = request.body !== null && !['GET', 'HEAD'].includes(request.method);
  return new Request(url, {
    method: request.method,
    headers,
    body: hasBody ? request.body : null,
    redirect: request.redirect,
    // Node's fetch Request needs this to take a streamed body; Deno ignores it.
    ...(hasBody ? { duplex: 'half' } : {}),
  } as RequestInit);
}
