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

/**
 * The INSERTs of `rows`, encrypted with `f`: as many rows per statement as D1's
 * 100 bound parameters allow. Drizzle binds every column's default too, so the
 * parameters per row follow the table (11 since migration 0070's `sharing`);
 * the split is derived from the statement, never a fixed row count.
 */
export async function credentialsInsert(f: Fernet, rows: SeededCredential[], now: number): Promise<Statement[]> {
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
  if (values.length === 0) return [];
  const perRow = insertCredentialRowsQuery(textOnlyDb, values.slice(0, 1)).toSQL().params.length;
  const rowsPerInsert = Math.max(1, Math.floor(D1_MAX_PARAMS / perRow));
  const statements: Statement[] = [];
  for (let i = 0; i < values.length; i += rowsPerInsert) statements.push(insertCredentialRowsQuery(textOnlyDb, values.slice(i, i + rowsPerInsert)).toSQL());
  return statements;
}

/** A fresh API key with `scope`: the INSERT to run and the Authorization header value that uses it. */
export function apiKeyInsert(name: string, scope: 'admin' | 'collector', now: number): { statement: Statement; authorization: string } {
  const k = generateApiKey();
  return {
    statement: newApiKeyQuery(textOnlyDb, { name, scope, userId: null, keyPrefix: k.prefix, keyHash: k.hash, createdAt: now }).toSQL(),
    authorization: `ApiKey ${k.key}`,
  };
}
