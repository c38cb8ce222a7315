/**
 * `npm run test:python`: the Python client's pytest suite (clients/python/tests)
 * against a real `wrangler dev` with a fresh local D1.
 *
 * Set-up, all through the project's own tools and the real API:
 *   1. fresh state: migrations, a first admin by scripts/bootstrap-admin.ts;
 *   2. wrangler dev under credential key K1: log in, create an admin and a
 *      collector API key, and the credentials the tests lease (canary values);
 *   3. restart with K2 current and K1 previous, as an operator installs a new
 *      key, so a rotation has rows to re-encrypt (the 423 test starts one);
 *   4. `python3 -m pytest` in clients/python with ARENA_VAULT_URL,
 *      ARENA_VAULT_API_KEY (collector), ARENA_VAULT_ADMIN_KEY and
 *      ARENA_VAULT_TEST_FIXTURE (a JSON file naming the credentials);
 *   5. stop wrangler and search its log for every canary.
 * Exits with pytest's code, except that 5 ("no tests collected") is a failure
 * (1), and any set-up failure or canary in the log is 1 too.
 *
 * Usage: npm run test:python [-- <pytest args>]   e.g. -- -k compat -x
 * Artifacts: test-results/python/wrangler.log.
 */
import { spawn } from 'node:child_process';
import { appendFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Fernet } from '../src/crypto/fernet.ts';
import { ROOT, WranglerDev } from '../test/support/wrangler-dev.ts';

const OUT = path.join(ROOT, 'test-results', 'python');
const CLIENT = path.join(ROOT, 'clients', 'python');
const PYTHON = process.env.PYTHON ?? 'python3';
/** A normal run takes about three minutes; this only stops a hung one. */
const DEADLINE_MS = 10 * 60_000;

/**
 * What the tests lease: label → platform, tier, how many rows. Field values are canaries, except the
 * fields named in `digits` (the registry wants digits there, e.g. Telegram's api_id): random digits.
 * Labels `yt`..`threads` serve the original platform's collectors (tests/original, tests/test_original_*.py);
 * google_search leases the `readme` row (serper medium).
 */
const CREDENTIALS: Record<string, { platform: string; tier: string; fields: string[]; count?: number; digits?: string[] }> = {
  happy: { platform: 'twitterapi_io', tier: 'medium', fields: ['api_key'] },
  busy: { platform: 'serpapi', tier: 'premium', fields: ['api_key'] },
  context: { platform: 'openrouter', tier: 'medium', fields: ['api_key'] },
  async: { platform: 'openrouter', tier: 'premium', fields: ['api_key'] },
  exclusive: { platform: 'event_registry', tier: 'medium', fields: ['api_key'], count: 4 },
  compat: { platform: 'tiktok', tier: 'free', fields: ['client_key', 'client_secret'] },
  compat_api_key: { platform: 'x_twitter', tier: 'premium', fields: ['bearer_token', 'api_key', 'api_secret'] },
  locked: { platform: 'gab', tier: 'free', fields: ['access_token'] },
  readme: { platform: 'serper', tier: 'medium', fields: ['api_key'] },
  renewal: { platform: 'event_registry', tier: 'premium', fields: ['api_key'] },
  refresh: { platform: 'reddit', tier: 'free', fields: ['client_id', 'client_secret', 'user_agent'] },
  youtube: { platform: 'youtube', tier: 'free', fields: ['api_key'], count: 2 },
  bluesky: { platform: 'bluesky', tier: 'free', fields: ['handle', 'app_password'] },
  discord: { platform: 'discord', tier: 'free', fields: ['bot_token'] },
  twitch: { platform: 'twitch', tier: 'free', fields: ['client_id', 'client_secret'] },
  telegram: { platform: 'telegram', tier: 'free', fields: ['api_id', 'api_hash', 'session_string'], digits: ['api_id'] },
  threads: { platform: 'threads', tier: 'free', fields: ['access_token'] },
};

class PythonVault extends WranglerDev {
  readonly logFile = path.join(OUT, 'wrangler.log');
  constructor() {
    super('arena-vault-python-');
    mkdirSync(OUT, { recursive: true });
    writeFileSync(this.logFile, `arena-vault python client tests: wrangler log (${new Date().toISOString()})\n`);
  }
  protected override output(text: string): void {
    appendFileSync(this.logFile, text);
  }
  protected override failureHint(): string {
    return `; see ${path.relative(ROOT, this.logFile)}`;
  }
  bootstrapAdmin(email: string, password: string): void {
    this.run(process.execPath, ['--import', 'tsx', 'scripts/bootstrap-admin.ts', '--persist-to', this.state], {
      cwd: ROOT,
      env: { FIRST_ADMIN_EMAIL: email, FIRST_ADMIN_PASSWORD: password },
    });
  }
  async call(method: string, p: string, auth: string, body?: unknown): Promise<any> {
    const res = await fetch(this.url + p, {
      method,
      headers: { authorization: auth, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(30_000),
    });
    const json: any = await res.json().catch(() => null);
    if (!res.ok) throw new Error(`${method} ${p} answered ${res.status}: ${JSON.stringify(json?.error?.code ?? null)}`);
    return json;
  }
}

const hex = (bytes: number) => Array.from(crypto.getRandomValues(new Uint8Array(bytes)), (b) => b.toString(16).padStart(2, '0')).join('');
const canary = (label: string, field: string) => `CANARY-${label}-${field}-${hex(12)}`;
const digits = (n: number) => Array.from(crypto.getRandomValues(new Uint8Array(n)), (b) => String(b % 10)).join('');

function runPytest(env: NodeJS.ProcessEnv, args: string[]): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(PYTHON, ['-m', 'pytest', '-p', 'no:cacheprovider', ...args], { cwd: CLIENT, stdio: 'inherit', env });
    child.on('error', (e) => {
      console.error(`could not run ${PYTHON}: ${e.message}`);
      resolve(1);
    });
    child.on('exit', (code, signal) => resolve(signal ? 1 : (code ?? 1)));
  });
}

async function main(): Promise<number> {
  const vault = new PythonVault();
  const stopNow = (why: string, code: number) => {
    console.error(`\n${why}: stopping wrangler dev`);
    vault.killNow();
    process.exit(code);
  };
  process.once('SIGINT', () => stopNow('interrupted', 130));
  process.once('SIGTERM', () => stopNow('terminated', 143));
  setTimeout(() => stopNow(`the run passed ${DEADLINE_MS / 60_000} minutes`, 1), DEADLINE_MS).unref();

  const k1 = Fernet.generateKey();
  const k2 = Fernet.generateKey();
  const secretKey = hex(32);
  const admin = { email: 'admin@python.test', password: `pw-${hex(16)}` };
  const secrets = [k1, k2, secretKey, admin.password];
  try {
    console.log(`test:python: fresh D1, wrangler log in ${path.relative(ROOT, vault.logFile)}`);
    vault.applyMigrations();
    vault.bootstrapAdmin(admin.email, admin.password);
    await vault.start({ SECRET_KEY: secretKey, CREDENTIAL_ENCRYPTION_KEY: k1 }, 'key 1');

    const login = await vault.call('POST', '/api/auth/login', '', admin);
    const bearer = `Bearer ${login.access_token}`;
    const adminKey: string = (await vault.call('POST', '/api/api-keys', bearer, { name: 'pytest admin', scope: 'admin' })).key;
    const collectorKey: string = (await vault.call('POST', '/api/api-keys', bearer, { name: 'pytest collector', scope: 'collector' })).key;
    secrets.push(adminKey, collectorKey);

    const fixture: Record<string, { platform: string; tier: string; credentials: { id: number; fields: Record<string, string> }[] }> = {};
    for (const [label, spec] of Object.entries(CREDENTIALS)) {
      const made = { platform: spec.platform, tier: spec.tier, credentials: [] as { id: number; fields: Record<string, string> }[] };
      fixture[label] = made;
      for (let i = 0; i < (spec.count ?? 1); i++) {
        const fields = Object.fromEntries(spec.fields.map((f) => [f, spec.digits?.includes(f) ? `9${digits(8)}` : canary(label, f)]));
        const row = await vault.call('POST', '/api/credentials', `ApiKey ${adminKey}`, {
          platform: spec.platform,
          tier: spec.tier,
          credential_name: `${label} ${i + 1}`,
          fields,
        });
        made.credentials.push({ id: row.id, fields });
        secrets.push(
          ...Object.entries(fields)
            .filter(([f]) => !spec.digits?.includes(f))
            .map(([, v]) => v),
        );
      }
    }
    const fixtureFile = path.join(vault.dir, 'fixture.json');
    writeFileSync(fixtureFile, JSON.stringify({ credentials: fixture }, null, 2), { mode: 0o600 });

    // The operator installs a new key: K2 current, K1 previous. Every row is still under K1.
    await vault.stop();
    await vault.start({ SECRET_KEY: secretKey, CREDENTIAL_ENCRYPTION_KEY: k2, CREDENTIAL_ENCRYPTION_KEY_PREVIOUS: k1 }, 'key 2 + previous key 1');

    const code = await runPytest(
      {
        ...process.env,
        ARENA_VAULT_URL: vault.url,
        ARENA_VAULT_API_KEY: collectorKey,
        ARENA_VAULT_ADMIN_KEY: adminKey,
        ARENA_VAULT_TEST_FIXTURE: fixtureFile,
        PYTHONDONTWRITEBYTECODE: '1',
      },
      process.argv.slice(2),
    );
    await vault.stop();
    const log = readFileSync(vault.logFile, 'utf8');
    const leaked = secrets.filter((s) => log.includes(s));
    if (leaked.length) {
      console.error(`FAILED: ${leaked.length} secret(s) appear in the wrangler log (${path.relative(ROOT, vault.logFile)})`);
      return 1;
    }
    if (code === 5) {
      console.error('FAILED: pytest collected no tests (exit 5)');
      return 1;
    }
    return code;
  } catch (e) {
    console.error(`test:python set-up failed: ${(e as Error).message}`);
    return 1;
  } finally {
    await vault.dispose();
  }
}

process.exit(await main());
