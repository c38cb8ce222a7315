/**
 * Reading a running vault's `GET /api/health` (key ids only, never keys), the
 * one place the scripts fetch it (verify-backup through known-keys.ts, the two
 * rotate scripts), and waiting until it says something, for the scripts that
 * change a Worker's keys and must see the vault run under them. Also their
 * shared `--url` and `--wait-seconds` options.
 *
 * @example
 *   await waitForHealth('https://vault.example.org', 'under the new key', (h) => h.keys?.secret_key?.current_kid === kid, { waitMs: 300_000, remote: true });
 */
import { CliError } from './cli.ts';

export interface SecretKeyHealth {
  current_kid?: string;
  previous_kids?: string[];
  previous_key_removable_after?: string | null;
  previous_key_removable_now?: boolean | null;
  previous_key_removal_basis?: string;
}

export interface Health {
  status?: string;
  config?: { valid?: boolean; bindings?: Record<string, { valid?: boolean; problem?: string }> };
  d1?: { reachable?: boolean; error?: string };
  keys?: { secret_key?: SecretKeyHealth; credential_key?: { current_key_id?: string; previous_key_ids?: string[] } } | null;
  credential_rows?: { missing_keys?: { key_id: string; rows: number }[] } | null;
}

/** One answer of the health endpoint: its HTTP status and body. */
export interface HealthResponse {
  status: number;
  body: Health;
}

/** The vault `npm run dev` serves: the scripts' default `--url`. */
export const LOCAL_VAULT_URL = 'http://127.0.0.1:8787';

/** A script's `--url`: the vault's base URL without trailing slashes (default the local vault); not http(s): a usage error. */
export function vaultUrlOption(value: string | undefined): string {
  const url = (value ?? LOCAL_VAULT_URL).replace(/\/+$/, '');
  if (!/^https?:\/\/[^\s/]+/.test(url)) throw new CliError('--url must be an http(s) URL such as https://vault.example.org');
  return url;
}

/** A script's `--wait-seconds` in milliseconds (default `defaultSeconds`); not a number of seconds: a usage error. */
export function waitMsOption(value: string | undefined, defaultSeconds: number): number {
  const wait = value === undefined ? defaultSeconds : Number(value);
  if (!Number.isFinite(wait) || wait < 0) throw new CliError('--wait-seconds must be a number of seconds');
  return wait * 1000;
}

/** `base`'s health URL (`base` may be the vault's origin or the health URL itself). */
export function healthUrl(base: string): string {
  const trimmed = base.replace(/\/+$/, '');
  return trimmed.endsWith('/api/health') ? trimmed : `${trimmed}/api/health`;
}

/** The vault's health status and body; throws what fetch or the JSON parse threw (no answer, or not JSON). */
export async function fetchHealthResponse(base: string): Promise<HealthResponse> {
  const res = await fetch(healthUrl(base), { headers: { accept: 'application/json' }, signal: AbortSignal.timeout(15_000) });
  return { status: res.status, body: (await res.json()) as Health };
}

/** The vault's health body; throws what fetch or the JSON parse threw (no answer, or not JSON). */
export async function fetchHealth(base: string): Promise<Health> {
  return (await fetchHealthResponse(base)).body;
}

/** The vault's health body, or null when it does not answer (yet). */
export async function readHealth(base: string): Promise<Health | null> {
  return (await readHealthResponse(base))?.body ?? null;
}

/** The vault's health status and body, or null when it does not answer (yet). */
export async function readHealthResponse(base: string): Promise<HealthResponse | null> {
  try {
    return await fetchHealthResponse(base);
  } catch {
    return null;
  }
}

/**
 * Polls health until `ok(health)`. Locally (`remote` false) it tells the
 * operator once to restart `wrangler dev`, which does not reload .dev.vars.
 * `progress(health)` may print a line while waiting (printed when it changes).
 */
export async function waitForHealth(
  base: string,
  what: string,
  ok: (h: Health, status: number) => boolean,
  opts: { waitMs: number; remote: boolean; pollMs?: number; progress?: (h: Health, status: number) => string | null; restartHint?: boolean },
): Promise<Health> {
  const started = Date.now();
  let told = false;
  let shown = '';
  for (;;) {
    const res = await readHealthResponse(base);
    const h = res?.body;
    if (res && h && ok(h, res.status)) return h;
    const line = res && h && opts.progress?.(h, res.status);
    if (line && line !== shown) {
      shown = line;
      process.stderr.write(`${line}\n`);
    }
    if (!told && Date.now() - started > 3000) {
      told = true;
      process.stderr.write(
        !opts.remote && opts.restartHint !== false
          ? `wrangler dev does not reload .dev.vars: restart it now (stop it, then \`npm run dev\`). Waiting for the vault to run ${what}...\n`
          : `Waiting for the vault at ${base} to run ${what}...\n`,
      );
    }
    if (Date.now() - started > opts.waitMs) {
      throw new CliError(`the vault at ${base} does not run ${what} after ${Math.round(opts.waitMs / 1000)} s; run the same command again to carry on`, 1);
    }
    await new Promise((r) => setTimeout(r, opts.pollMs ?? 1000));
  }
}
