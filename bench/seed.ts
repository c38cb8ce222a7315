/**
 * Rows the bench sections seed straight into D1 (through ctx.d1, i.e.
 * POST /__bench/d1) so that setup is not part of what they time: an API key
 * to authenticate with, and encrypted credential rows. The SQL is the table
 * owners' (src/db/owners.ts), built here with drizzle's text-only client.
 */
import { generateApiKey } from '../src/auth/api-keys.ts';
import { newApiKeyQuery } from '../src/auth/api-key-repository.ts';
import { insertCredentialRowsQuery, type NewCredentialRow } from '../src/credentials/repository.ts';
import type { Fernet } from '../src/crypto/fernet.ts';
import { textOnlyDb } from '../src/db/sql-text.ts';
import type { Statement } from './context.ts';

export interface SeededCredential {
  platform: string;
  tier: string;
  name: string;
  /** Stored encrypted as JSON, as the credential store does. */
  fields: Record<string, string>;
}

/** D1's cap on bound parameters per statement. */
const D1_MAX_PARAMS = 100;

/** 10 bound parameters per row (drizzle binds the columns' defaults too): at most 10 rows fit D1's 100 per statement. */
export const MAX_CREDENTIALS_PER_INSERT = 10;

/** One INSERT of up to MAX_CREDENTIALS_PER_INSERT credential rows, encrypted with `f`. */
export async function credentialsInsert(f: Fernet, rows: SeededCredential[], now: number): Promise<Statement> {
  const values = await Promise.all(
    rows.map(async (r) => ({
      platform: r.platform,
      tier: r.tier as NewCredentialRow['tier'], // the Worker validates tiers; seeds write what they are given
      credentialName: r.name,
      encryptedValue: await f.encrypt(JSON.stringify(r.fields)),
      keyId: f.keyId,
      createdAt: now,
      updatedAt: now,
    })),
  );
  const statement = insertCredentialRowsQuery(textOnlyDb, values).toSQL();
  if (statement.params.length > D1_MAX_PARAMS) throw new Error(`${rows.length} rows exceed D1's ${D1_MAX_PARAMS} bound parameters per statement`);
  return statement;
}

/** A fresh API key with `scope`: the INSERT to run and the Authorization header value that uses it. */
export function apiKeyInsert(name: string, scope: 'admin' | 'collector', now: number): { statement: Statement; authorization: string } {
  const k = generateApiKey();
  return {
    statement: newApiKeyQuery(textOnlyDb, { name, scope, userId: null, keyPrefix: k.prefix, keyHash: k.hash, createdAt: now }).toSQL(),
    authorization: `ApiKey ${k.key}`,
  };
}
