/**
 * What the CredentialPool reads from and writes back to D1, off its hot path:
 * - `syncCopy`: everything the copy holds, written into it page by page
 *   (SYNC_PAGE_ROWS credentials per D1 query, one JSON text each), labelled
 *   with the `pool_copy_version` read in the FIRST batch, before any page: a
 *   change committed while the pages are read moves D1's version away from
 *   that label, so the next check finds the copy behind and reads it again.
 *   Memory holds one page, never the table;
 * - `readVersion`: the version alone (is the copy behind?);
 * - `writeUsage`: the coalesced usage (last_used_at of credentials and keys,
 *   error counts) in ONE batch, which also reads the version, so the alarm
 *   that flushes checks the copy for free.
 * This module owns `pool_copy_version` (src/db/owners.ts; its triggers are in
 * migrations 0050 and 0060); the statements on the copied tables come from
 * their owners. `cipherRewriteStatement` is the rotation's switch (migration
 * 0060) and `bumpCopyVersion` its way to make every copy re-read.
 * Raw D1 statements throughout: they ride in one raw D1 batch with the version
 * read, and the table has no drizzle declaration (only triggers write it).
 */
import type { CopiedApiKey, CopyStore, Outbox } from './copy-store.ts';
import type { Role } from '../kernel/principal.ts';
import { credentialUsageStatement, poolCopyCredentialsPageStatement, type PoolCopyCredentialsPage } from '../credentials/repository.ts';
import { apiKeyUsageStatement, poolCopyApiKeysStatement, type PoolCopyApiKeyRow } from '../auth/api-key-repository.ts';
import { poolCopyUserStandingsStatement } from '../auth/users.ts';

const VERSION_SQL = 'SELECT version FROM pool_copy_version WHERE id = 1';

function versionOf(rows: unknown[] | undefined): number {
  const v = (rows?.[0] as { version?: number } | undefined)?.version;
  if (typeof v !== 'number') throw new Error('D1 has no pool_copy_version row (migration 0050 not applied)');
  return v;
}

/** Credentials per D1 read during a sync (about 0.3 KB each: a page is well under D1's result limits). */
export const SYNC_PAGE_ROWS = 2_000;

/** What a sync brought in. */
export interface SyncResult {
  version: number;
  credentials: number;
  apiKeys: number;
}

/** Reads D1 into `copy` (see the header): the version, keys and first page in one batch, then the other pages. */
export async function syncCopy(db: D1Database, copy: CopyStore, now: number): Promise<SyncResult> {
  const [version, keys, people, first] = await db.batch([
    db.prepare(VERSION_SQL),
    poolCopyApiKeysStatement(db),
    poolCopyUserStandingsStatement(db),
    poolCopyCredentialsPageStatement(db, 0, SYNC_PAGE_ROWS),
  ]);
  const owners = new Map((people!.results as { id: number; role: Role; is_active: number }[]).map((u) => [u.id, u]));
  const apiKeys = (keys!.results as PoolCopyApiKeyRow[]).map((r): CopiedApiKey => {
    const owner = r.user_id === null ? undefined : owners.get(r.user_id);
    return {
      id: r.id,
      keyPrefix: r.key_prefix,
      keyHash: r.key_hash,
      scope: r.scope,
      userId: r.user_id,
      revokedAt: r.revoked_at,
      expiresAt: r.expires_at,
      owner: owner ? { role: owner.role, isActive: Boolean(owner.is_active) } : null,
    };
  });
  const label = versionOf(version!.results);
  copy.beginReplace();
  let page = (first!.results as PoolCopyCredentialsPage[])[0]!;
  let credentials = 0;
  while (page.n > 0) {
    copy.addCredentialsPage(page.rows);
    credentials += page.n;
    if (page.n < SYNC_PAGE_ROWS) break;
    page = (await poolCopyCredentialsPageStatement(db, page.last!, SYNC_PAGE_ROWS).first<PoolCopyCredentialsPage>())!;
  }
  copy.commitReplace(label, apiKeys, now);
  return { version: label, credentials, apiKeys: apiKeys.length };
}

export async function readVersion(db: D1Database): Promise<number> {
  return versionOf((await db.prepare(VERSION_SQL).all()).results);
}

/**
 * Writes the usage (times only move forward; error counts add up), and the
 * `extra` statements (the usage per day: pool/usage-days.ts), and answers the
 * version, in one batch.
 */
export async function writeUsage(db: D1Database, out: Outbox, extra: readonly D1PreparedStatement[] = []): Promise<number> {
  const statements: D1PreparedStatement[] = [...extra];
  if (out.credentials.length) statements.push(credentialUsageStatement(db, out.credentials));
  if (out.apiKeys.length) statements.push(apiKeyUsageStatement(db, out.apiKeys));
  statements.push(db.prepare(VERSION_SQL));
  const results = await db.batch(statements);
  return versionOf(results[results.length - 1]!.results);
}

/**
 * The key rotation's switch (migration 0060) as a statement. The rotation
 * runs its compare-and-set between an `on` and an `off` in ONE batch (one
 * transaction), so its own rewrites of ciphertext and key id keep the version
 * (it hands them to the copy itself: CopyStore.applyRotated), while every
 * other write, before, after or between its batches, changes it.
 */
export function cipherRewriteStatement(db: D1Database, on: boolean): D1PreparedStatement {
  return db.prepare(`UPDATE pool_copy_version SET cipher_rewrite = ${on ? 1 : 0} WHERE id = 1`);
}

/**
 * A new version, and the switch off: every copy is behind from then on and
 * re-reads at its next check. The rotation's unlock uses it when the copy may
 * have missed a batch (a crash between a commit and its hand-over, a row that
 * did not match, or a switch an older release left on for its whole run).
 */
export async function bumpCopyVersion(db: D1Database): Promise<void> {
  await db.prepare('UPDATE pool_copy_version SET cipher_rewrite = 0, version = random() & 9007199254740991 WHERE id = 1').run();
}
