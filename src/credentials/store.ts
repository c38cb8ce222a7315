/**
 * The credential store: every operation on `api_credentials` an admin can do,
 * over REST or the pages. Each write
 *  - encrypts with the ring's CURRENT key and sets `key_id` (create, replace secret);
 *  - commits with its audit event in ONE `db.batch` (D1's transaction), and the
 *    event is only written if the change matched a row, so neither half can
 *    exist without the other;
 *  - returns the masked record, never a secret value.
 *
 * Reset-errors and the pool: the credential pool (src/pool) keeps cooldowns
 * and consecutive-failure counts in its Durable Object. The store is handed a
 * `CredentialPoolNotifier` in its constructor (assembled once, in
 * src/index.ts) and tells it after the D1 reset commits (retrying the action
 * is harmless). Nothing registers itself at import time.
 */
import type { CredentialKeyRing } from '../crypto/key-ring.ts';
import type { Db } from '../db/client.ts';
import type { CredentialRow } from '../db/schema.ts';
import { VaultError } from '../errors.ts';
import { auditIfChangedStatement, auditStatement } from '../audit/audit.ts';
import { credentialFieldProblems, validateCredentialFields } from './fields.ts';
import type { CredentialListQuery, CredentialPatch, NewCredentialInput } from './input.ts';
import {
  deleteCredentialStatement,
  findCredentialRow,
  insertCredentialStatement,
  listCredentialRows,
  updateCredentialStatement,
  type CredentialRowChanges,
} from './repository.ts';
import { openCredential, sealCredentialFields } from './sealing.ts';
import { credentialView, publicKeyStatus, type CredentialView, type VerifyReport } from './view.ts';

/** What the credential store tells the pool (the pool's side is pool/client.ts). */
export interface CredentialPoolNotifier {
  /** An admin reset the credential's errors: clear its cooldown and error streaks so it is leased again at once. */
  credentialErrorsReset(credentialId: number): Promise<void>;
}

/**
 * The settings `update` changes and audits as {from, to}, with the name the
 * audit event gives each. (Notes are audited apart: free text, so only
 * whether they changed.)
 */
const AUDITED_SETTINGS = [
  ['credentialName', 'credential_name'],
  ['dailyQuota', 'daily_quota'],
  ['monthlyQuota', 'monthly_quota'],
  ['maxLeases', 'max_leases'],
  ['sharing', 'sharing'],
  ['expiresAt', 'expires_at'],
] as const satisfies readonly (readonly [keyof CredentialPatch & keyof CredentialRowChanges, string])[];

interface CredentialStoreDeps {
  db: Db;
  ring: CredentialKeyRing;
  /** Audit actor, e.g. `user:3` or `api_key:Ab3dEf6hIj9k`. */
  actor: string;
  userId: number | null;
  ip?: string | null;
  /** Told after reset-errors commits; absent where no pool exists (a store used outside the Worker). */
  pool?: CredentialPoolNotifier;
  now?: () => number;
}

export class CredentialStore {
  readonly #d: CredentialStoreDeps;

  constructor(deps: CredentialStoreDeps) {
    this.#d = deps;
  }

  #now(): number {
    return this.#d.now?.() ?? Date.now();
  }

  #audit(action: string, detail: Record<string, unknown>, target?: string) {
    return { actor: this.#d.actor, action, ip: this.#d.ip ?? null, detail, target, at: this.#now() };
  }

  async #view(row: CredentialRow): Promise<CredentialView> {
    return credentialView(row, await openCredential(this.#d.ring, row.encryptedValue, row.keyId));
  }

  async #row(id: number): Promise<CredentialRow> {
    const row = await findCredentialRow(this.#d.db, id);
    if (!row) throw new VaultError('NOT_FOUND', `No credential with id ${id}.`);
    return row;
  }

  async list(q: CredentialListQuery): Promise<{ credentials: CredentialView[]; total: number; limit: number; offset: number; next_offset: number | null }> {
    const { rows, total } = await listCredentialRows(this.#d.db, q);
    const credentials = await Promise.all(rows.map((r) => this.#view(r)));
    const next = q.offset + rows.length;
    return { credentials, total, limit: q.limit, offset: q.offset, next_offset: next < total ? next : null };
  }

  async get(id: number): Promise<CredentialView> {
    return this.#view(await this.#row(id));
  }

  async create(input: NewCredentialInput): Promise<CredentialView> {
    const { db, ring } = this.#d;
    const { token, keyId } = await sealCredentialFields(ring, input.fields);
    const now = this.#now();
    const [inserted] = await db.batch([
      insertCredentialStatement(db, {
        platform: input.platform,
        tier: input.tier,
        credentialName: input.credentialName,
        encryptedValue: token,
        keyId,
        isActive: true,
        dailyQuota: input.dailyQuota,
        monthlyQuota: input.monthlyQuota,
        notes: input.notes,
        maxLeases: input.maxLeases,
        sharing: input.sharing,
        expiresAt: input.expiresAt,
        createdBy: this.#d.userId,
        createdAt: now,
        updatedAt: now,
      }),
      auditIfChangedStatement(db, {
        ...this.#audit('credential.create', {
          platform: input.platform,
          tier: input.tier,
          credential_name: input.credentialName,
          field_names: Object.keys(input.fields),
          key_id: keyId,
        }),
        targetPrefixFromLastInsert: 'credential:',
      }),
    ]);
    return this.#view(inserted[0]!);
  }

  /** Applies `changes` and its audit event atomically; 404 if the row is gone by then. */
  async #change(id: number, action: string, changes: CredentialRowChanges, detail: Record<string, unknown>): Promise<CredentialView> {
    const { db } = this.#d;
    const [updated] = await db.batch([
      updateCredentialStatement(db, id, { ...changes, updatedAt: this.#now() }),
      auditIfChangedStatement(db, this.#audit(action, detail, `credential:${id}`)),
    ]);
    if (!updated[0]) throw new VaultError('NOT_FOUND', `No credential with id ${id}.`);
    return this.#view(updated[0]);
  }

  async update(id: number, patch: CredentialPatch): Promise<CredentialView> {
    const before = await this.#row(id);
    const changes: CredentialRowChanges = {};
    const changed: Record<string, unknown> = {};
    for (const [field, auditName] of AUDITED_SETTINGS) {
      const value = patch[field];
      if (value === undefined) continue;
      Object.assign(changes, { [field]: value });
      changed[auditName] = { from: before[field], to: value };
    }
    // Notes are free text: the audit says they changed, not what they say.
    if (patch.notes !== undefined) {
      changes.notes = patch.notes;
      changed.notes = { changed: before.notes !== patch.notes };
    }
    return this.#change(id, 'credential.update', changes, { platform: before.platform, tier: before.tier, changed });
  }

  /** Replaces the whole field set; `input` is checked with the schema of the row's platform (fields.ts). */
  async replaceSecret(id: number, input: unknown): Promise<CredentialView> {
    const before = await this.#row(id);
    const fields = validateCredentialFields(before.platform, input);
    const { token, keyId } = await sealCredentialFields(this.#d.ring, fields);
    return this.#change(
      id,
      'credential.replace_secret',
      { encryptedValue: token, keyId },
      {
        platform: before.platform,
        tier: before.tier,
        field_names: Object.keys(fields),
        previous_key_id: before.keyId,
        key_id: keyId,
      },
    );
  }

  async setActive(id: number, active: boolean): Promise<CredentialView> {
    const before = await this.#row(id);
    return this.#change(
      id,
      active ? 'credential.activate' : 'credential.deactivate',
      { isActive: active },
      {
        platform: before.platform,
        tier: before.tier,
        was_active: before.isActive,
      },
    );
  }

  async resetErrors(id: number): Promise<CredentialView> {
    const before = await this.#row(id);
    const view = await this.#change(
      id,
      'credential.reset_errors',
      { errorCount: 0, lastErrorAt: null },
      {
        platform: before.platform,
        tier: before.tier,
        error_count_was: before.errorCount,
      },
    );
    await this.#d.pool?.credentialErrorsReset(id);
    return view;
  }

  async delete(id: number): Promise<{ id: number; deleted: true }> {
    const { db } = this.#d;
    const before = await this.#row(id);
    const [deleted] = await db.batch([
      deleteCredentialStatement(db, id),
      auditIfChangedStatement(
        db,
        this.#audit(
          'credential.delete',
          {
            platform: before.platform,
            tier: before.tier,
            credential_name: before.credentialName,
            key_id: before.keyId,
          },
          `credential:${id}`,
        ),
      ),
    ]);
    if (!deleted[0]) throw new VaultError('NOT_FOUND', `No credential with id ${id}.`);
    return { id, deleted: true };
  }

  /** Decrypts with the ring and reports whether it opens, never the value. */
  async verify(id: number): Promise<VerifyReport> {
    const row = await this.#row(id);
    const opened = await openCredential(this.#d.ring, row.encryptedValue, row.keyId);
    let report: VerifyReport;
    if (!opened.readable) {
      report = { id, result: 'undecryptable', key_id: row.keyId, key_status: publicKeyStatus(opened), reason: opened.reason };
    } else {
      const problems = credentialFieldProblems(row.platform, opened.payload);
      report = {
        id,
        result: opened.keyStatus === 'current' ? 'ok' : 'needs_previous_key',
        key_id: row.keyId,
        key_status: publicKeyStatus(opened),
        fields_valid: problems.length === 0,
        ...(problems.length ? { field_problems: problems } : {}),
      };
    }
    await auditStatement(
      this.#d.db,
      this.#audit(
        'credential.verify',
        {
          platform: row.platform,
          tier: row.tier,
          result: report.result,
          reason: report.reason ?? null,
          key_id: row.keyId,
        },
        `credential:${id}`,
      ),
    );
    return report;
  }
}
