/**
 * Rows the bench sections seed straight into D1 (through ctx.d1, i.e.
 * POST /__bench/d1) so that setup is not part of what they time: an API key
 * to authenticate with, and encrypted credential rows.
 */
import { generateApiKey } from '../src/auth/api-keys.ts';
import type { Fernet } from '../src/crypto/fernet.ts';
import type { Statement } from './context.ts';

export interface SeededCredential {
  platform: string;
  tier: string;
  name: string;
  /** Stored encrypted as JSON, as the credential store does. */
  fields: Record<string, string>;
}

/** 7 bound parameters per row: at most 14 rows fit D1's 100 per statement. */
export const MAX_CREDENTIALS_PER_INSERT = 14;

/** One INSERT of up to MAX_CREDENTIALS_PER_INSERT credential rows, encrypted with `f`. */
export async function credentialsInsert(f: Fernet, rows: SeededCredential[], now: number): Promise<Statement> {
  if (rows.length > MAX_CREDENTIALS_PER_INSERT) throw new Error(`${rows.length} rows exceed D1's 100 bound parameters per statement`);
  const params: unknown[] = [];
  for (const r of rows) params.push(r.platform, r.tier, r.name, await f.encrypt(JSON.stringify(r.fields)), f.keyId, now, now);
  return {
    sql: `INSERT INTO api_credentials (platform, tier, credential_name, encrypted_value, key_id, created_at, updated_at) VALUES ${rows.map(() => '(?, ?, ?, ?, ?, ?, ?)').join(', ')}`,
    params,
  };
}

/** A fresh API key with `scope`: the INSERT to run and the Authorization header value that uses it. */
export function apiKeyInsert(name: string, scope: 'admin' | 'collector', now: number): { statement: Statement; authorization: string } {
  const k = generateApiKey();
  return {
    statement: {
      sql: 'INSERT INTO api_keys (name, scope, user_id, key_prefix, key_hash, created_at) VALUES (?, ?, NULL, ?, ?, ?)',
      params: [name, scope, k.prefix, k.hash, now],
    },
    authorization: `ApiKey ${k.key}`,
  };
}
