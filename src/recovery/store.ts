/**
 * Lost-key recovery against D1: the status (which key ids are missing, how
 * many rows and which platforms each holds, past recovery actions), the
 * audited "check again" after an old key was added back, the purge and the
 * re-enable. Each step's writes are ONE `DB.batch` (D1's transaction): rows
 * deleted, arenas disabled, the recovery_actions record and the audit event
 * commit together or not at all. Every write is compare-and-set, so a row
 * re-entered or a design edited meanwhile is never clobbered; only the
 * `enabled` flag of the affected arena entries is touched.
 */
import type { CredentialKeyRing } from '../crypto/key-ring.ts';
import { VaultError } from '../errors.ts';
import type { Actor } from '../kernel/principal.ts';
import { auditD1Statement, auditIfChangedD1Statement } from '../audit/audit.ts';
import { validationError } from '../schema/problems.ts';
import { desc, eq, sql } from 'drizzle-orm';
import { openDb } from '../db/client.ts';
import { recoveryActions } from '../db/schema.ts';
import { deepDecryptCheck } from '../credentials/decrypt-check.ts';
import { allArenaConfigs, replaceArenasConfigStatement } from '../query-designs/store.ts';
import { credentialFactsRows, purgeCredentialsStatement, purgeStamps } from '../credentials/repository.ts';
import { keyUsage, rowsPerKeyIdOf } from '../credentials/key-usage.ts';
import { readStoredArenasConfig, setArenasEnabled, type DisabledArena } from '../arenas/arenas-config.ts';
import { platformsForArena, type Tier } from '../arenas/registry.ts';
import type { MissingKey, Purged, RecoveryActionView, RecoveryStatus, Reenabled } from './schemas.ts';
import { arenasDisabledBy, locateArena, lostPlatformTiers, type CredentialFacts, type PurgeScope } from './plan.ts';

type ActionRow = { id: number; at: number; actor: string; key_ids: string; purged_count: number; disabled_arenas: string; reenabled_at: number | null };

function actionView(r: ActionRow): RecoveryActionView {
  return {
    id: r.id,
    at: new Date(r.at).toISOString(),
    actor: r.actor,
    key_ids: JSON.parse(r.key_ids) as string[],
    purged_count: r.purged_count,
    disabled_arenas: JSON.parse(r.disabled_arenas) as DisabledArena[],
    reenabled_at: r.reenabled_at === null ? null : new Date(r.reenabled_at).toISOString(),
  };
}

const designs = allArenaConfigs;

/**
 * `recovery_actions` is owned here (src/db/owners.ts). Reads go through
 * drizzle; the two writes are raw statements because each rides in one raw D1
 * batch with the purge or re-enable it records (the insert counts the purge
 * with `changes()`, the stamp guards the re-enable's design updates).
 */
function actionRow(r: typeof recoveryActions.$inferSelect): ActionRow {
  return { id: r.id, at: r.at, actor: r.actor, key_ids: r.keyIds, purged_count: r.purgedCount, disabled_arenas: r.disabledArenas, reenabled_at: r.reenabledAt };
}

async function recentActions(db: D1Database): Promise<ActionRow[]> {
  return (await openDb(db).select().from(recoveryActions).orderBy(desc(recoveryActions.id)).limit(100)).map(actionRow);
}

async function findAction(db: D1Database, id: number): Promise<ActionRow | undefined> {
  const row = await openDb(db).select().from(recoveryActions).where(eq(recoveryActions.id, id)).get();
  return row && actionRow(row);
}

/**
 * One compare-and-set per design: the design's stored text (expected) and the
 * config with the named entries switched. Entries not found, or already in
 * the wanted state, are left out; a design with none left gets no write.
 */
function arenaSwitches(stored: Map<number, string>, which: DisabledArena[], enabled: boolean, now: number) {
  const byDesign = new Map<number, DisabledArena[]>();
  for (const d of which) byDesign.set(d.query_design_id, [...(byDesign.get(d.query_design_id) ?? []), d]);
  return [...byDesign].flatMap(([designId, entries]) => {
    const expected = stored.get(designId);
    if (expected === undefined) return [];
    const due = entries.filter((d) => {
      const where = locateArena(expected, d.arena, d.tier);
      return where !== null && where.enabled !== enabled;
    });
    if (!due.length) return [];
    return [{ designId, expected, next: setArenasEnabled(readStoredArenasConfig(expected), due, enabled), now }];
  });
}

export class RecoveryStore {
  readonly #db: D1Database;
  readonly #ring: CredentialKeyRing;

  constructor(db: D1Database, ring: CredentialKeyRing) {
    this.#db = db;
    this.#ring = ring;
  }

  async status(): Promise<RecoveryStatus> {
    const [rows, ds, actions] = await Promise.all([credentialFactsRows(this.#db), designs(this.#db), recentActions(this.#db)]);
    // Counted from the rows just read, so the counts and the per-platform breakdown below agree.
    const perKey = rowsPerKeyIdOf(rows);
    const keys = keyUsage(perKey, (k) => this.#ring.statusOf(k));
    const missingIds = new Set(keys.filter((k) => k.status === 'missing').map((k) => k.key_id));
    const missing_keys: MissingKey[] = [...missingIds].map((key_id) => {
      const counts = new Map<string, number>();
      for (const r of rows) if (r.key_id === key_id) counts.set(`${r.platform}:${r.tier}`, (counts.get(`${r.platform}:${r.tier}`) ?? 0) + 1);
      return {
        key_id,
        rows: perKey.get(key_id) ?? 0,
        by_platform: [...counts].map(([pt, n]) => ({ platform: pt.split(':')[0]!, tier: pt.split(':')[1]!, rows: n })),
      };
    });
    const purged = new Set(rows.filter((r) => missingIds.has(r.key_id)).map((r) => r.id));
    const lost = lostPlatformTiers(rows, purged, (r) => this.#ring.statusOf(r.key_id) !== 'missing');
    return {
      current_key_id: this.#ring.currentKeyId,
      previous_key_ids: this.#ring.previousKeyIds,
      keys,
      missing_keys,
      purge_preview: { rows: purged.size, disabled_arenas: arenasDisabledBy(ds, lost) },
      actions: actions.map(actionView),
    };
  }

  /** Step (a): the admin added an old key back; record what the ring can now read. */
  async check(who: Actor): Promise<RecoveryStatus> {
    const status = await this.status();
    await auditD1Statement(this.#db, {
      at: Date.now(),
      actor: who.actor,
      ip: who.ip,
      action: 'recovery.check',
      target: null,
      detail: {
        current_key_id: status.current_key_id,
        previous_key_ids: status.previous_key_ids,
        readable_rows_under_previous_keys: status.keys.filter((k) => k.status === 'previous').reduce((n, k) => n + k.rows, 0),
        missing_key_ids: status.missing_keys.map((m) => m.key_id),
        rows_still_missing: status.missing_keys.reduce((n, m) => n + m.rows, 0),
      },
    }).run();
    return status;
  }

  /** Step (b): delete unrecoverable rows and disable the arenas that lose their last usable credential. */
  async purge(scope: PurgeScope, who: Actor): Promise<Purged> {
    const rows = await credentialFactsRows(this.#db);
    let targets: CredentialFacts[];
    let failedIds = new Set<number>();
    if (scope.kind === 'key_ids') {
      const notMissing = scope.keyIds.filter((k) => this.#ring.statusOf(k) !== 'missing');
      if (notMissing.length) {
        throw validationError([{ field: 'key_ids', message: 'names a key that is in the key ring; only rows under missing keys can be purged by key id' }]);
      }
      const wanted = new Set(scope.keyIds);
      targets = rows.filter((r) => wanted.has(r.key_id));
    } else {
      const check = await deepDecryptCheck(this.#db, this.#ring);
      failedIds = new Set(check.failed.map((f) => f.id));
      targets = rows.filter((r) => failedIds.has(r.id));
    }
    if (!targets.length) throw new VaultError('CONFLICT', 'There are no unrecoverable credentials to purge.');

    const purgedIds = new Set(targets.map((r) => r.id));
    const readable = (r: CredentialFacts) => this.#ring.statusOf(r.key_id) !== 'missing' && !failedIds.has(r.id);
    const disabled = arenasDisabledBy(await designs(this.#db), lostPlatformTiers(rows, purgedIds, readable));
    const keyIds = [...new Set(targets.map((r) => r.key_id))].sort();
    const now = Date.now();

    const stamps = await purgeStamps(this.#db, [...purgedIds]);
    const detail = {
      scope: scope.kind,
      key_ids: keyIds,
      purged_ids: [...purgedIds].slice(0, 1000),
      disabled_arenas: disabled,
    };
    const statements = [
      // Compare-and-set on (id, key_id, updated_at): a row re-entered or replaced meanwhile stays.
      purgeCredentialsStatement(this.#db, stamps),
      this.#db
        .prepare('INSERT INTO recovery_actions (at, actor, key_ids, purged_count, disabled_arenas) VALUES (?, ?, ?, changes(), ?) RETURNING *')
        .bind(now, who.actor, JSON.stringify(keyIds), JSON.stringify(disabled)),
      // Recorded with the recovery_actions row just inserted (its id names the target, its count joins the detail).
      auditIfChangedD1Statement(this.#db, {
        at: now,
        actor: who.actor,
        ip: who.ip,
        action: 'recovery.purge',
        targetPrefixFromLastInsert: 'recovery:',
        detail,
        detailSql: { purged_count: sql`SELECT purged_count FROM recovery_actions WHERE id = last_insert_rowid()` },
      }),
      ...arenaSwitches(await this.#storedConfigs(), disabled, false, now).map((s) => replaceArenasConfigStatement(this.#db, s)),
    ];
    const results = await this.#db.batch(statements);
    const action = actionView((results[1]!.results as ActionRow[])[0]!);
    return { action, purged_ids: [...purgedIds] };
  }

  /** Each design's stored `arenas_config` text, by id: the expected values of the compare-and-set writes. */
  async #storedConfigs(): Promise<Map<number, string>> {
    return new Map((await designs(this.#db)).map((d) => [d.id, d.arenas_config]));
  }

  /** Step (c): switch back on exactly the arenas one purge disabled (those still present and still off). */
  async reenable(actionId: number, who: Actor): Promise<Reenabled> {
    const row = await findAction(this.#db, actionId);
    if (!row) throw new VaultError('NOT_FOUND', 'No such recovery action.');
    if (row.reenabled_at !== null)
      throw new VaultError('CONFLICT', 'The arenas of this recovery action were already re-enabled.', {
        details: { reenabled_at: new Date(row.reenabled_at).toISOString() },
      });
    const recorded = JSON.parse(row.disabled_arenas) as DisabledArena[];
    const byDesign = await this.#storedConfigs();
    const now = Date.now();
    const reenabled: DisabledArena[] = [];
    const skipped: (DisabledArena & { why: string })[] = [];
    for (const d of recorded) {
      const stored = byDesign.get(d.query_design_id);
      const where = stored === undefined ? null : locateArena(stored, d.arena, d.tier);
      if (!where) skipped.push({ ...d, why: stored === undefined ? 'query design deleted' : 'arena no longer in the design' });
      else if (where.enabled) skipped.push({ ...d, why: 'already enabled' });
      else reenabled.push(d);
    }
    // Compare-and-set on the configs just read: a concurrent second re-enable read the same
    // texts, so once this batch (or that one) writes, the other's writes match nothing.
    const updates = arenaSwitches(byDesign, reenabled, true, now).map((s) => replaceArenasConfigStatement(this.#db, s));
    const usable = await this.#usablePairs();
    const still = reenabled.filter((d) => platformsForArena(d.arena, d.tier as Tier).some((p) => !usable.has(`${p}:${d.tier}`)));
    const results = await this.#db.batch([
      this.#db.prepare('UPDATE recovery_actions SET reenabled_at = ? WHERE id = ? AND reenabled_at IS NULL RETURNING *').bind(now, actionId),
      ...updates,
      // Only if this call's re-enable stamp won (a concurrent second re-enable records nothing).
      auditIfChangedD1Statement(this.#db, {
        at: now,
        actor: who.actor,
        ip: who.ip,
        action: 'recovery.reenable',
        target: `recovery:${actionId}`,
        detail: { reenabled, skipped, still_without_credentials: still },
        when: sql`EXISTS (SELECT 1 FROM recovery_actions WHERE id = ${actionId} AND reenabled_at = ${now})`,
      }),
    ]);
    const updated = (results[0]!.results as ActionRow[])[0];
    if (!updated) throw new VaultError('CONFLICT', 'The arenas of this recovery action were already re-enabled.');
    return { action: actionView(updated), reenabled, skipped, still_without_credentials: still };
  }

  /** `platform:tier` pairs with at least one active row under a key in the ring. */
  async #usablePairs(): Promise<Set<string>> {
    const rows = await credentialFactsRows(this.#db);
    return new Set(rows.filter((r) => r.is_active && this.#ring.statusOf(r.key_id) !== 'missing').map((r) => `${r.platform}:${r.tier}`));
  }
}
