/**
 * A real `wrangler dev` for the rotation's black-box tests (the temp
 * directory, ports and process group come from test/support/wrangler-dev.ts):
 * the ring given at construction in its .dev.vars, migrations applied, SQL
 * run against its local D1 while it is down, and a crash as SIGKILL of
 * wrangler and workerd together (`kill()`).
 */
import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { generateApiKey } from '../../src/auth/api-keys.ts';
import type { Fernet } from '../../src/crypto/fernet.ts';
import { ROOT, WranglerDev } from './wrangler-dev.ts';

export { ROOT };

export class DevVault extends WranglerDev {
  /** wrangler's output since the last start. */
  log = '';

  constructor(vars: Record<string, string>) {
    super('arena-vault-rotation-');
    this.writeVars(vars);
    this.applyMigrations();
  }

  protected override output(text: string): void {
    this.log += text;
  }

  protected override failureHint(): string {
    return `: ${this.log.slice(-2000)}`;
  }

  override async start(vars?: Record<string, string>, label = 'rotation'): Promise<void> {
    this.log = '';
    await super.start(vars, label);
  }

  /** Runs SQL from a file against the local D1 (only while wrangler dev is stopped). */
  execute<Row = Record<string, unknown>>(sql: string): Row[][] {
    const file = path.join(this.dir, `q-${Date.now()}.sql`);
    writeFileSync(file, sql);
    try {
      const out = this.wrangler(['d1', 'execute', 'DB', '--local', '--persist-to', this.state, '--config', this.config, '--file', file, '--json', '--yes']);
      return (JSON.parse(out.slice(out.indexOf('['))) as { results?: Row[] }[]).map((r) => r.results ?? []);
    } finally {
      rmSync(file, { force: true });
    }
  }

  async json(method: string, p: string, apiKey?: string, body?: unknown): Promise<{ status: number; body: any }> {
    const res = await this.api(method, p, apiKey, body);
    return { status: res.status, body: res.json ?? res.text };
  }
}

const sql = (s: string) => `'${s.replace(/'/g, "''")}'`;

/**
 * Seeds `n` credential rows encrypted under `fernet`, and an admin-scope API
 * key; returns the key and id → plaintext of every row (ids are 1..n in a
 * fresh database).
 */
export async function seedVault(v: DevVault, n: number, fernet: Fernet): Promise<{ apiKey: string; originals: Map<number, string> }> {
  const originals = new Map<number, string>();
  const now = Date.now();
  const lines: string[] = [];
  for (let start = 0; start < n; start += 200) {
    const values: string[] = [];
    for (let i = start; i < Math.min(n, start + 200); i++) {
      const plain = JSON.stringify({ api_key: `canary-${i}-${crypto.randomUUID()}` });
      originals.set(i + 1, plain);
      values.push(`(${i + 1}, 'serper', 'medium', ${sql(`row ${i + 1}`)}, ${sql(await fernet.encrypt(plain))}, ${sql(fernet.keyId)}, ${now}, ${now})`);
    }
    lines.push(
      `INSERT INTO api_credentials (id, platform, tier, credential_name, encrypted_value, key_id, created_at, updated_at) VALUES ${values.join(',\n')};`,
    );
  }
  const key = generateApiKey();
  lines.push(
    `INSERT INTO api_keys (name, scope, user_id, key_prefix, key_hash, created_at) VALUES ('rotation test', 'admin', NULL, ${sql(key.prefix)}, ${sql(key.hash)}, ${now});`,
  );
  v.execute(lines.join('\n'));
  return { apiKey: key.key, originals };
}

/** Every row, decrypted with `fernet` alone: id → plaintext (throws on any row it cannot open). */
export async function decryptAll(v: DevVault, fernet: Fernet): Promise<Map<number, string>> {
  const [rows] = v.execute<{ id: number; key_id: string; encrypted_value: string }>('SELECT id, key_id, encrypted_value FROM api_credentials ORDER BY id');
  const out = new Map<number, string>();
  const dec = new TextDecoder();
  for (const r of rows!) {
    if (r.key_id !== fernet.keyId) throw new Error(`row ${r.id} is under ${r.key_id}, not ${fernet.keyId}`);
    out.set(r.id, dec.decode(await fernet.decrypt(r.encrypted_value)));
  }
  return out;
}
