/**
 * "Check with provider" for one credential: read its row (owner:
 * credentials/repository.ts), open it with the ring, run the platform's
 * check (provider-check.ts), and store the outcome with its audit event in
 * one batch. The opened fields live only in this call; the audit event and
 * the stored detail carry the result and the HTTP status, never a field.
 */
import type { Db } from '../db/client.ts';
import type { CredentialKeyRing } from '../crypto/key-ring.ts';
import { VaultError } from '../errors.ts';
import { findCredentialRow } from '../credentials/repository.ts';
import { openCredential } from '../credentials/sealing.ts';
import { auditStatement } from '../audit/audit.ts';
import { checkWithProvider, type CheckOutcome } from './provider-check.ts';
import { saveCheckStatement } from './store.ts';

export interface CheckContext {
  db: Db;
  ring: CredentialKeyRing;
  actor: string;
  ip?: string | null;
  /** PROVIDER_CHECK_ORIGIN (tests only). */
  origin?: string;
  fetch?: typeof fetch;
  now?: number;
}

/** The PROVIDER_CHECK_ORIGIN var, or undefined when unset or blank. */
export function providerCheckOrigin(env: { PROVIDER_CHECK_ORIGIN?: string }): string | undefined {
  return env.PROVIDER_CHECK_ORIGIN?.trim() || undefined;
}

/** The runtime's fetch, called as a plain function (workerd throws "Illegal invocation" when fetch is called as a method of another object). */
const globalFetch: typeof fetch = (input, init) => fetch(input, init);

export async function checkCredential(ctx: CheckContext, credentialId: number): Promise<CheckOutcome> {
  const row = await findCredentialRow(ctx.db, credentialId);
  if (!row) throw new VaultError('NOT_FOUND', 'No such credential.');
  const now = ctx.now ?? Date.now();
  const opened = await openCredential(ctx.ring, row.encryptedValue, row.keyId);
  const outcome: CheckOutcome = opened.readable
    ? await checkWithProvider(row.platform, opened.payload as Record<string, string>, { fetch: ctx.fetch ?? globalFetch, origin: ctx.origin, now })
    : { result: 'unsupported', checked_at: new Date(now).toISOString(), detail: 'the credential does not decrypt, so it was not sent' };
  await ctx.db.batch([
    saveCheckStatement(ctx.db, credentialId, outcome),
    auditStatement(ctx.db, {
      actor: ctx.actor,
      action: 'credential.check',
      target: `credential:${credentialId}`,
      ip: ctx.ip ?? null,
      at: now,
      detail: { result: outcome.result, detail: outcome.detail },
    }),
  ]);
  return outcome;
}
