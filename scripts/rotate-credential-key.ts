/**
 * rotate-credential-key: the whole CREDENTIAL_ENCRYPTION_KEY rotation in one
 * command (docs/operations/secrets.md, "Rotating CREDENTIAL_ENCRYPTION_KEY").
 *
 *  1. installs the ring: the new key as CREDENTIAL_ENCRYPTION_KEY, the old one
 *     as CREDENTIAL_ENCRYPTION_KEY_PREVIOUS — locally in .dev.vars (wrangler
 *     dev does not reload it: restart `npm run dev` when asked), or with
 *     --remote in one `wrangler secret bulk`, after printing the D1 Time
 *     Travel bookmark as the undo point;
 *  2. waits until the vault runs under the new key, then starts the rotation
 *     through the admin API (admin-scope API key);
 *  3. shows a progress bar until it ends;
 *  4. checks health and prints the last step (`--finalize`: removes the
 *     previous key once no row needs it).
 *
 * Keys come from files or hidden prompts, never the command line (it lands in
 * shell history and the process list). Only key ids are ever printed.
 * Every failure is one line on stderr and a non-zero exit.
 *
 * Exit codes: 0 done, 1 failed (rotation failed, vault refused, timeout), 2 bad usage.
 */
import { readFileSync } from 'node:fs';
import { CliError, parseCli, runMain } from './lib/cli.ts';
import { devVarsPath, updateDevVars } from './lib/dev-vars.ts';
import { promptHidden } from './lib/prompt.ts';
import { keyIdsInHealth, type KeyIds } from './lib/known-keys.ts';
import { LOCAL_VAULT_URL, readHealth, vaultUrlOption, waitForHealth, waitMsOption } from './lib/vault-health.ts';
import { runWrangler, secretBulk, secretDelete } from './lib/wrangler.ts';
import { Fernet, InvalidFernetKey } from '../src/crypto/fernet.ts';
import { DEFAULT_OPTIONS, MAX_BATCH_SIZE } from '../src/rotation/state-machine.ts';

const spec = {
  usage:
    'npm run rotate-credential-key -- [--old-key-file FILE] [--new-key-file FILE] [--remote] [--url URL] [--api-key-file FILE] [--batch-size N] [--finalize]',
  description: [
    'Rotates CREDENTIAL_ENCRYPTION_KEY: installs new key + old key as previous (.dev.vars, or with --remote',
    'one `wrangler secret bulk` after printing the D1 Time Travel bookmark), starts the rotation through the',
    'admin API, shows progress, then checks health. --finalize removes CREDENTIAL_ENCRYPTION_KEY_PREVIOUS',
    'once no row needs it. Keys are read from files or hidden prompts, never from the command line.',
    'The admin API key comes from --api-key-file, else $ARENA_VAULT_API_KEY, else a hidden prompt.',
  ].join('\n'),
  flags: {
    'old-key-file': 'string',
    'new-key-file': 'string',
    remote: 'boolean',
    url: 'string',
    'api-key-file': 'string',
    'batch-size': 'string',
    finalize: 'boolean',
    'dev-vars': 'string',
    'wait-seconds': 'string',
  },
  help: {
    'old-key-file': 'file holding the key in use now, best a pipe from its backup: <(gpg --decrypt OLD.asc) (default: hidden prompt)',
    'new-key-file': 'file holding the new key, best a pipe from its backup: <(gpg --decrypt NEW.asc) (default: hidden prompt)',
    remote: 'production: `wrangler secret bulk` instead of .dev.vars (prints the Time Travel bookmark first)',
    url: `the vault's base URL (default ${LOCAL_VAULT_URL})`,
    'api-key-file': 'file holding an admin-scope API key (default: $ARENA_VAULT_API_KEY, else a hidden prompt)',
    'batch-size': `rows per re-encryption batch, 1-${MAX_BATCH_SIZE} (default: the vault's, ${DEFAULT_OPTIONS.batchSize})`,
    finalize: 'after a finished rotation: remove CREDENTIAL_ENCRYPTION_KEY_PREVIOUS (.dev.vars, or --remote)',
    'dev-vars': 'the .dev.vars file to write locally (default ./.dev.vars)',
    'wait-seconds': 'how long to wait for the vault to run under the new ring (default 300)',
  },
} as const;

const ROTATION = '/api/admin/rotations/credential-key';
const ENDED = new Set(['done', 'failed', 'aborted', 'idle']);

interface Ctx {
  url: string;
  apiKey?: string;
  remote: boolean;
  devVars: string;
  waitMs: number;
}

async function readKey(file: string | undefined, label: string): Promise<{ key: string; keyId: string }> {
  let key: string;
  if (file) {
    try {
      key = readFileSync(file, 'utf8').trim();
    } catch (e) {
      throw new CliError(`cannot read the ${label.toLowerCase()} key file ${file}: ${(e as NodeJS.ErrnoException).code ?? 'error'}`);
    }
  } else {
    key = (await promptHidden(`${label} CREDENTIAL_ENCRYPTION_KEY (input hidden): `)).trim();
  }
  try {
    return { key, keyId: (await Fernet.fromKey(key)).keyId };
  } catch (e) {
    if (e instanceof InvalidFernetKey) throw new CliError(`the ${label.toLowerCase()} key is not a Fernet key (32 bytes, url-safe base64, 44 characters)`);
    throw e;
  }
}

async function readApiKey(file: string | undefined): Promise<string> {
  if (file) {
    try {
      return readFileSync(file, 'utf8').trim();
    } catch (e) {
      throw new CliError(`cannot read the API key file ${file}: ${(e as NodeJS.ErrnoException).code ?? 'error'}`);
    }
  }
  const fromEnv = process.env.ARENA_VAULT_API_KEY?.trim();
  if (fromEnv) return fromEnv;
  return (await promptHidden('Admin API key (input hidden): ')).trim();
}

async function request(ctx: Ctx, method: string, path: string, body?: unknown): Promise<{ status: number; json: any }> {
  let res: Response;
  try {
    res = await fetch(ctx.url + path, {
      method,
      headers: {
        accept: 'application/json',
        ...(ctx.apiKey ? { authorization: `ApiKey ${ctx.apiKey}` } : {}),
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(15_000),
    });
  } catch {
    throw new CliError(`cannot reach the vault at ${ctx.url}${ctx.remote ? '' : ' (is `npm run dev` running?)'}`, 1);
  }
  const text = await res.text();
  let json: any = null;
  try {
    json = JSON.parse(text);
  } catch {
    json = null;
  }
  if (res.status === 401 || res.status === 403) {
    throw new CliError(`the vault refused the API key (HTTP ${res.status}): it must be an admin-scope API key`, 1);
  }
  return { status: res.status, json };
}

/** The credential key ring the vault reports in /api/health (key ids), or null when it does not answer or reports none. */
async function vaultRing(ctx: Ctx): Promise<KeyIds | null> {
  const health = await readHealth(ctx.url);
  return health && keyIdsInHealth(health, 'CREDENTIAL_ENCRYPTION_KEY');
}

/** Polls /api/health until `ok(ring)`; tells a local operator once to restart wrangler dev. */
async function waitForRing(ctx: Ctx, what: string, ok: (r: KeyIds) => boolean): Promise<void> {
  await waitForHealth(
    ctx.url,
    what,
    (h) => {
      const ring = keyIdsInHealth(h, 'CREDENTIAL_ENCRYPTION_KEY');
      return ring !== null && ok(ring);
    },
    { waitMs: ctx.waitMs, remote: ctx.remote },
  );
}

function timeTravelBookmark(): string {
  const out = runWrangler(['d1', 'time-travel', 'info', 'DB', '--json']);
  try {
    const parsed = JSON.parse(out.slice(out.indexOf('{'))) as { bookmark?: string };
    if (parsed.bookmark) return parsed.bookmark;
  } catch {
    // fall through
  }
  throw new CliError('could not read the D1 Time Travel bookmark from `wrangler d1 time-travel info DB --json`', 1);
}

function bar(s: { phase: string; total: number; done: number; verified: number }): string {
  const width = 30;
  const frac = s.total > 0 ? Math.min(1, s.done / s.total) : 0;
  const fill = Math.round(frac * width);
  const counts = s.phase === 'verifying' ? `${s.verified} verified` : `${s.done}/${s.total}`;
  return `[${'#'.repeat(fill)}${'-'.repeat(width - fill)}] ${String(Math.round(frac * 100)).padStart(3)}%  ${counts}  ${s.phase}`;
}

/** Follows the rotation until it has ended and released the lock; returns the final status. */
async function follow(ctx: Ctx): Promise<any> {
  const tty = process.stderr.isTTY;
  let shown = '';
  for (;;) {
    const { status, json } = await request(ctx, 'GET', ROTATION);
    if (status !== 200) throw new CliError(`reading the rotation status failed (HTTP ${status}): ${json?.error?.message ?? 'no message'}`, 1);
    if (tty) process.stderr.write(`\r${bar(json)}`);
    else {
      // Without a terminal: one line per phase and per 10 %.
      const step = `${json.phase}:${json.total ? Math.floor((10 * json.done) / json.total) : 0}`;
      if (step !== shown) process.stderr.write(`${bar(json)}\n`);
      shown = step;
    }
    if (ENDED.has(json.phase) && !json.locked) {
      if (tty) process.stderr.write('\n');
      return json;
    }
    await new Promise((r) => setTimeout(r, 500));
  }
}

async function healthCheck(ctx: Ctx): Promise<void> {
  const { status, json } = await request(ctx, 'GET', '/api/arenas/health');
  if (status === 200 || status === 503) console.log(`Arena health: overall ${json?.overall ?? json?.status ?? 'unknown'} (GET ${ctx.url}/api/arenas/health)`);
  else console.log(`Arena health: HTTP ${status} from ${ctx.url}/api/arenas/health`);
}

async function rotate(ctx: Ctx, values: Record<string, string | boolean | undefined>): Promise<void> {
  const oldKey = await readKey(values['old-key-file'] as string | undefined, 'Old');
  const newKey = await readKey(values['new-key-file'] as string | undefined, 'New');
  if (oldKey.keyId === newKey.keyId) throw new CliError('the old and the new key are the same key');
  let batchSize: number | undefined;
  if (values['batch-size'] !== undefined) {
    batchSize = Number(values['batch-size']);
    if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > MAX_BATCH_SIZE) {
      throw new CliError(`--batch-size must be a whole number from 1 to ${MAX_BATCH_SIZE}`);
    }
  }
  ctx.apiKey = await readApiKey(values['api-key-file'] as string | undefined);

  const ring = await vaultRing(ctx);
  if (!ring) throw new CliError(`cannot read the key ids from ${ctx.url}/api/health${ctx.remote ? '' : ' (is `npm run dev` running?)'}`, 1);
  const installed = ring.current === newKey.keyId && ring.previous.includes(oldKey.keyId);
  if (!installed) {
    if (ring.current !== oldKey.keyId && ring.current !== newKey.keyId) {
      throw new CliError(`the vault's current key is ${ring.current}, but the old key file holds ${oldKey.keyId}: give the key the vault uses now`);
    }
    const others = ring.previous.filter((k) => k !== oldKey.keyId && k !== newKey.keyId);
    if (others.length) {
      throw new CliError(`CREDENTIAL_ENCRYPTION_KEY_PREVIOUS already holds ${others.join(', ')}: finish that rotation and run --finalize first`);
    }
    const secrets = { CREDENTIAL_ENCRYPTION_KEY: newKey.key, CREDENTIAL_ENCRYPTION_KEY_PREVIOUS: oldKey.key };
    if (ctx.remote) {
      console.log(`Undo point (D1 Time Travel bookmark): ${timeTravelBookmark()}`);
      console.log('  to go back: npx wrangler d1 time-travel restore DB --bookmark <that bookmark>, and put the old key back as CREDENTIAL_ENCRYPTION_KEY');
      secretBulk(secrets);
      console.log(`Installed with wrangler secret bulk: new key ${newKey.keyId} current, old key ${oldKey.keyId} previous.`);
    } else {
      updateDevVars(secrets, ctx.devVars);
      console.log(`Wrote ${ctx.devVars}: new key ${newKey.keyId} current, old key ${oldKey.keyId} previous.`);
    }
    await waitForRing(
      ctx,
      `under key ${newKey.keyId} with ${oldKey.keyId} as previous`,
      (r) => r.current === newKey.keyId && r.previous.includes(oldKey.keyId),
    );
  } else {
    console.log(`The vault already runs under key ${newKey.keyId} with ${oldKey.keyId} as previous.`);
  }

  const start = await request(ctx, 'POST', ROTATION, batchSize === undefined ? {} : { batch_size: batchSize });
  if (start.status === 202) console.log(`Rotation started (run ${start.json.run_id}): collection is paused until it ends.`);
  else if (start.status === 409 && start.json?.error?.code === 'ROTATION_IN_PROGRESS') console.log('A rotation is already running: following it.');
  else if (start.status === 200 && start.json?.result === 'nothing_to_do') console.log('Nothing to rotate: every row is already under the new key.');
  else throw new CliError(`starting the rotation failed (HTTP ${start.status}): ${start.json?.error?.message ?? 'no message'}`, 1);

  const end = start.status === 200 ? start.json : await follow(ctx);
  if (end.phase === 'failed') throw new CliError(`the rotation failed: ${end.reason ?? end.last_error ?? 'no reason given'}`, 1);
  if (end.phase === 'aborted') throw new CliError(`the rotation was aborted: ${end.reason ?? ''}`.trim(), 1);
  if (end.phase === 'done')
    console.log(
      `Done: ${end.done} of ${end.total} rows re-encrypted, ${end.skipped} skipped (edited meanwhile), in ${Math.round(end.locked_ms / 1000)} s of locked collection.`,
    );

  const check = await request(ctx, 'GET', ROTATION);
  const left = check.json?.rows_not_under_current_key;
  if (left !== 0) throw new CliError(`${left ?? 'some'} row(s) still need a previous key; start the rotation again`, 1);
  console.log('No row needs the previous key any more.');
  await healthCheck(ctx);
  const where = ctx.remote ? ` --remote --url ${ctx.url}` : ctx.url === LOCAL_VAULT_URL ? '' : ` --url ${ctx.url}`;
  console.log(`Last step: remove the previous key with \`npm run rotate-credential-key -- --finalize${where}\`.`);
}

async function finalize(ctx: Ctx, values: Record<string, string | boolean | undefined>): Promise<void> {
  ctx.apiKey = await readApiKey(values['api-key-file'] as string | undefined);
  const { status, json } = await request(ctx, 'GET', ROTATION);
  if (status !== 200) throw new CliError(`reading the rotation status failed (HTTP ${status}): ${json?.error?.message ?? 'no message'}`, 1);
  if (!ENDED.has(json.phase) || json.locked) throw new CliError(`a rotation is still running (phase ${json.phase}); wait for it to end`, 1);
  if (json.rows_not_under_current_key !== 0) {
    throw new CliError(`${json.rows_not_under_current_key} row(s) still need a previous key: run the rotation first (npm run rotate-credential-key)`, 1);
  }
  if (ctx.remote) {
    secretDelete('CREDENTIAL_ENCRYPTION_KEY_PREVIOUS');
    console.log('Deleted the Worker secret CREDENTIAL_ENCRYPTION_KEY_PREVIOUS.');
  } else {
    updateDevVars({ CREDENTIAL_ENCRYPTION_KEY_PREVIOUS: undefined }, ctx.devVars);
    console.log(`Removed CREDENTIAL_ENCRYPTION_KEY_PREVIOUS from ${ctx.devVars}.`);
  }
  await waitForRing(ctx, 'without a previous credential key', (r) => r.previous.length === 0);
  await healthCheck(ctx);
  console.log(
    "Finalized: the vault runs on the new key alone. Verify the new key's backup (npm run verify-backup -- FILE); keep the old key's backup for the Time Travel window.",
  );
}

runMain('rotate-credential-key', async () => {
  const { values } = parseCli(process.argv.slice(2), spec);
  const url = vaultUrlOption(values.url);
  const waitMs = waitMsOption(values['wait-seconds'], 300);
  if (values.finalize && (values['old-key-file'] || values['new-key-file'] || values['batch-size'])) {
    throw new CliError('--finalize takes no keys and no --batch-size');
  }
  const ctx: Ctx = { url, remote: Boolean(values.remote), devVars: values['dev-vars'] ?? devVarsPath(), waitMs };
  process.on('SIGINT', () => {
    process.stderr.write('\nrotate-credential-key: interrupted; a started rotation goes on in the vault (see /admin/rotation)\n');
    process.exit(130);
  });
  if (values.finalize) await finalize(ctx, values);
  else await rotate(ctx, values);
});
