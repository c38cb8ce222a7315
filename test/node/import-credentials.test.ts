// import-credentials end to end: tokens made by Python's cryptography.fernet
// (the original platform's library), imported by the real script into a
// throwaway local D1 (wrangler --persist-to), read back and decrypted with
// the vault's Fernet. Covers the same-key path (token kept byte-for-byte),
// the different-key path (re-encrypted), dry runs, re-runs, bad lines and
// the promise never to print a secret.
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { Fernet } from '../../src/crypto/fernet.ts';
import { d1ApplyMigrations, d1Execute } from '../../scripts/lib/wrangler.ts';
import { runScript, tempDir } from './scripts/run-script.ts';

const OLD_KEY = Fernet.generateKey();
const VAULT_KEY = Fernet.generateKey();
const OTHER_KEY = Fernet.generateKey();

/** Fernet tokens from Python's cryptography, one per plaintext. */
function pythonTokens(key: string, plaintexts: string[]): string[] {
  const py = spawnSync(
    'python3',
    [
      '-c',
      'import sys, json\nfrom cryptography.fernet import Fernet\nd = json.load(sys.stdin)\nf = Fernet(d["key"].encode())\nprint(json.dumps([f.encrypt(p.encode()).decode() for p in d["plaintexts"]]))',
    ],
    { input: JSON.stringify({ key, plaintexts }), encoding: 'utf8' },
  );
  if (py.status !== 0) throw new Error(`python3 failed: ${py.stderr}`);
  return JSON.parse(py.stdout) as string[];
}

const SECRETS = {
  serper: 'SECRET-serper-key-000111222333',
  redditSecret: 'SECRET-reddit-client-secret-444',
  hash: 'SECRET0telegram0api0hash00000000',
  session: `SECRET-telegram-session-${'x'.repeat(80)}`,
  bluesky: 'SECRET-bsky-app-pass',
};

interface Setup {
  dir: string;
  persist: string;
  devVars: string;
  oldKeyFile: string;
}

function setup(vaultKey = VAULT_KEY): Setup {
  const dir = tempDir('import');
  const persist = path.join(dir, 'state');
  d1ApplyMigrations({ persistTo: persist });
  const devVars = path.join(dir, '.dev.vars');
  writeFileSync(devVars, `SECRET_KEY=${'ab'.repeat(32)}\nCREDENTIAL_ENCRYPTION_KEY=${vaultKey}\n`, { mode: 0o600 });
  const oldKeyFile = path.join(dir, 'old.key');
  writeFileSync(oldKeyFile, `${OLD_KEY}\n`, { mode: 0o600 });
  return { dir, persist, devVars, oldKeyFile };
}

function rowsFile(dir: string, name: string, rows: (Record<string, unknown> | string)[]): string {
  const file = path.join(dir, name);
  writeFileSync(file, `${rows.map((r) => (typeof r === 'string' ? r : JSON.stringify(r))).join('\n')}\n`);
  return file;
}

function readRows(persist: string) {
  const [rows] = d1Execute<Record<string, any>>('SELECT * FROM api_credentials ORDER BY id;', { persistTo: persist });
  return rows!;
}

function importEvents(persist: string) {
  const [rows] = d1Execute<Record<string, any>>("SELECT * FROM audit_events WHERE action = 'credential.import' ORDER BY id;", { persistTo: persist });
  return rows!;
}

async function fieldsOf(token: string, key: string) {
  return JSON.parse(new TextDecoder().decode(await (await Fernet.fromKey(key)).decrypt(token)));
}

function expectNoSecrets(output: string, tokens: string[]) {
  for (const s of [...Object.values(SECRETS), OLD_KEY, VAULT_KEY, OTHER_KEY, ...tokens]) expect(output).not.toContain(s);
  expect(output).not.toContain('SECRET');
}

describe('import-credentials, different key (re-encrypt)', () => {
  let s: Setup;
  let tokens: string[];
  let file: string;

  beforeAll(() => {
    s = setup();
    tokens = pythonTokens(OLD_KEY, [
      JSON.stringify({ api_key: SECRETS.serper }),
      JSON.stringify({ client_id: 'reddit-id', client_secret: SECRETS.redditSecret, user_agent: 'research/1.0' }),
      JSON.stringify({ api_id: 123456, api_hash: SECRETS.hash, session_string: SECRETS.session }),
      JSON.stringify({ handle: 'me.bsky.social' }),
      JSON.stringify({ handle: 'me.bsky.social', app_password: SECRETS.bluesky }),
    ]);
    const [otherToken] = pythonTokens(OTHER_KEY, [JSON.stringify({ api_key: SECRETS.serper })]);
    file = rowsFile(s.dir, 'rows.jsonl', [
      {
        id: 1,
        platform: 'serper',
        tier: 'medium',
        credential_name: 'Serper',
        credentials: tokens[0],
        is_active: true,
        daily_quota: 100,
        monthly_quota: null,
        notes: 'from the old platform',
      },
      {
        platform: 'reddit',
        tier: 'free',
        credential_name: 'Reddit',
        credentials: tokens[1],
        is_active: 0,
        daily_quota: null,
        monthly_quota: 3000,
        notes: null,
      },
      { platform: 'telegram', tier: 'free', credential_name: 'Telegram', credentials: tokens[2], is_active: true },
      `{"platform": "serper", "credentials": "${tokens[0]}"`, // line 4: truncated JSON
      { platform: 'myspace', tier: 'free', credential_name: 'x', credentials: tokens[0] }, // line 5
      { platform: 'serper', tier: 'free', credential_name: 'wrong tier', credentials: tokens[0] }, // line 6
      { platform: 'bluesky', tier: 'free', credential_name: 'missing field', credentials: tokens[3] }, // line 7
      { platform: 'serper', tier: 'medium', credential_name: 'other key', credentials: otherToken }, // line 8
      '',
      { platform: 'bluesky', tier: 'free', credential_name: 'Bluesky', credentials: tokens[4], is_active: 'true' }, // line 10
    ]);
  });

  it('dry run checks every row and writes nothing', async () => {
    const res = await runScript('import-credentials', [file, '--old-key-file', s.oldKeyFile, '--dev-vars', s.devVars, '--persist-to', s.persist, '--dry-run']);
    expect(res.code).toBe(3);
    expect(res.stdout).toContain('[dry run: nothing written] 9 rows read: would import 4');
    expect(readRows(s.persist)).toEqual([]);
    expect(importEvents(s.persist)).toEqual([]);
  });

  it('imports the good rows re-encrypted under the vault key and reports bad lines by number', async () => {
    const res = await runScript('import-credentials', [file, '--old-key-file', s.oldKeyFile, '--dev-vars', s.devVars, '--persist-to', s.persist]);
    expect(res.code).toBe(3);
    const vaultId = (await Fernet.fromKey(VAULT_KEY)).keyId;
    expect(res.stdout).toContain(
      `9 rows read: imported 4 into the local D1 (${s.persist}) (0 kept byte-for-byte, 4 re-encrypted, all under key ${vaultId}); 0 already present, 5 bad.`,
    );
    const lines = res.stderr.trim().split('\n');
    expect(lines).toEqual([
      'line 4: skipped: not valid JSON',
      expect.stringMatching(/^line 5: skipped: platform: must be a platform from the arena registry/),
      expect.stringMatching(/^line 6: skipped: tier: serper has no free tier/),
      'line 7: skipped: fields.app_password: is required for bluesky',
      'line 8: skipped: column "credentials" does not decrypt under the original key',
    ]);
    expectNoSecrets(res.stdout + res.stderr, tokens);

    const rows = readRows(s.persist);
    expect(rows.map((r) => [r.platform, r.tier, r.credential_name, r.is_active, r.daily_quota, r.monthly_quota, r.notes, r.key_id])).toEqual([
      ['serper', 'medium', 'Serper', 1, 100, null, 'from the old platform', vaultId],
      ['reddit', 'free', 'Reddit', 0, null, 3000, null, vaultId],
      ['telegram', 'free', 'Telegram', 1, null, null, null, vaultId],
      ['bluesky', 'free', 'Bluesky', 1, null, null, null, vaultId],
    ]);
    expect(await fieldsOf(rows[0]!.encrypted_value, VAULT_KEY)).toEqual({ api_key: SECRETS.serper });
    expect(await fieldsOf(rows[1]!.encrypted_value, VAULT_KEY)).toEqual({
      client_id: 'reddit-id',
      client_secret: SECRETS.redditSecret,
      user_agent: 'research/1.0',
    });
    // Python stored api_id as a number; the vault stores every field as a string.
    expect(await fieldsOf(rows[2]!.encrypted_value, VAULT_KEY)).toEqual({ api_id: '123456', api_hash: SECRETS.hash, session_string: SECRETS.session });
    expect(rows.every((r) => !tokens.includes(r.encrypted_value))).toBe(true);

    const events = importEvents(s.persist);
    expect(events.map((e) => e.target)).toEqual(rows.map((r) => `credential:${r.id}`));
    expect(events.every((e) => e.actor === 'script:import-credentials')).toBe(true);
    expect(JSON.parse(events[0]!.detail)).toMatchObject({ platform: 'serper', key_id: vaultId, original_ciphertext_kept: false, source_line: 1 });
    expectNoSecrets(JSON.stringify(events), tokens);
  });

  it('a re-run skips rows already present and imports nothing twice', async () => {
    const res = await runScript('import-credentials', [file, '--old-key-file', s.oldKeyFile, '--dev-vars', s.devVars, '--persist-to', s.persist]);
    expect(res.stdout).toContain('imported 0');
    expect(res.stdout).toContain('4 already present, 5 bad');
    expect(res.stderr).toContain('line 1: skipped: serper/medium "Serper" is already in the vault');
    expect(readRows(s.persist)).toHaveLength(4);
  });
});

describe('import-credentials, same key (kept byte-for-byte)', () => {
  it('keeps each valid token exactly and tags it with the key id; the key may come from stdin', async () => {
    const s = setup(OLD_KEY);
    const tokens = pythonTokens(OLD_KEY, [
      JSON.stringify({ api_key: SECRETS.serper }),
      JSON.stringify({ api_id: 42, api_hash: SECRETS.hash, session_string: SECRETS.session }),
    ]);
    const file = rowsFile(s.dir, 'same.jsonl', [
      { platform: 'serpapi', tier: 'premium', credential_name: 'SerpAPI', credentials: tokens[0] },
      { platform: 'telegram', tier: 'free', credential_name: 'Telegram', credentials: tokens[1] },
    ]);
    const res = await runScript('import-credentials', [file, '--dev-vars', s.devVars, '--persist-to', s.persist], { input: `${OLD_KEY}\n` });
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    const keyId = (await Fernet.fromKey(OLD_KEY)).keyId;
    expect(res.stdout).toContain(`imported 2 into the local D1 (${s.persist}) (1 kept byte-for-byte, 1 re-encrypted, all under key ${keyId})`);
    expectNoSecrets(res.stdout + res.stderr, tokens);
    const rows = readRows(s.persist);
    expect(rows[0]!.encrypted_value).toBe(tokens[0]);
    expect(rows[0]!.key_id).toBe(keyId);
    // The numeric api_id had to become a string, so that token was re-encrypted (same key).
    expect(rows[1]!.encrypted_value).not.toBe(tokens[1]);
    expect(await fieldsOf(rows[1]!.encrypted_value, OLD_KEY)).toMatchObject({ api_id: '42' });
    expect(JSON.parse(importEvents(s.persist)[0]!.detail).original_ciphertext_kept).toBe(true);
  });
});

describe('import-credentials refuses bad setups in one line', () => {
  it('needs the vault key, a valid original key and one input file', async () => {
    const s = setup();
    const file = rowsFile(s.dir, 'x.jsonl', []);
    const noVars = await runScript('import-credentials', [
      file,
      '--dev-vars',
      path.join(s.dir, 'missing'),
      '--old-key-file',
      s.oldKeyFile,
      '--persist-to',
      s.persist,
    ]);
    expect(noVars.code).toBe(2);
    expect(noVars.stderr).toMatch(/^import-credentials: .*missing not found/);
    const badKeyFile = path.join(s.dir, 'bad.key');
    writeFileSync(badKeyFile, 'not-a-key-SECRET\n');
    const badKey = await runScript('import-credentials', [file, '--dev-vars', s.devVars, '--old-key-file', badKeyFile, '--persist-to', s.persist]);
    expect(badKey.code).toBe(2);
    expect(badKey.stderr).toContain('is not a Fernet key');
    expect(badKey.stderr).not.toContain('SECRET');
    const noFile = await runScript('import-credentials', ['--dev-vars', s.devVars]);
    expect(noFile.code).toBe(2);
    const remote = await runScript('import-credentials', [file, '--remote'], { env: { CREDENTIAL_ENCRYPTION_KEY: '' } });
    expect(remote.code).toBe(2);
    expect(remote.stderr).toContain('CREDENTIAL_ENCRYPTION_KEY environment variable');
  });
});
