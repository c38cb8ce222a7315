/**
 * Query designs in D1 (`query_designs`), with the access rule in one place:
 * admins see and edit every design; anyone else only their own (another's
 * design is a 404, so ids reveal nothing). Every write commits with its audit
 * event in one `db.batch`.
 */
import { desc, eq, sql } from 'drizzle-orm';
import { openDb, type Db } from '../db/client.ts';
import { queryDesigns, type QueryDesignRow } from '../db/schema.ts';
import { VaultError } from '../errors.ts';
import { auditIfChangedStatement } from '../audit/audit.ts';
import { isAdmin, type Principal } from '../kernel/principal.ts';
import { readStoredArenasConfig, type ArenasConfig } from '../arenas/arenas-config.ts';
import type * as v from 'valibot';
import type { QueryDesignCreate, QueryDesignInput, QueryDesignSchema } from './input.ts';

/** A design as the API answers it: the schema's type (input.ts QueryDesignSchema), its arenas as the registry types them. */
export type QueryDesignView = Omit<v.InferOutput<typeof QueryDesignSchema>, 'arenas_config'> & { arenas_config: ArenasConfig };

function queryDesignView(row: QueryDesignRow): QueryDesignView {
  return {
    id: row.id,
    owner_id: row.ownerId,
    name: row.name,
    description: row.description,
    arenas_config: readStoredArenasConfig(row.arenasConfig),
    created_at: new Date(row.createdAt).toISOString(),
    updated_at: new Date(row.updatedAt).toISOString(),
  };
}

export class QueryDesignStore {
  readonly #db: Db;
  readonly #p: Principal;
  readonly #ip: string | null;

  constructor(db: Db, principal: Principal, ip: string | null = null) {
    this.#db = db;
    this.#p = principal;
    this.#ip = ip;
  }

  /** Designs this principal may see: all for admins, their own otherwise. */
  async list(limit = 100, offset = 0): Promise<{ items: QueryDesignView[]; total: number }> {
    const where = isAdmin(this.#p) ? undefined : eq(queryDesigns.ownerId, this.#ownerId());
    const [rows, count] = await Promise.all([
      this.#db.select().from(queryDesigns).where(where).orderBy(desc(queryDesigns.updatedAt), desc(queryDesigns.id)).limit(limit).offset(offset),
      this.#db.select({ n: sql<number>`count(*)` }).from(queryDesigns).where(where),
    ]);
    return { items: rows.map(queryDesignView), total: count[0]?.n ?? 0 };
  }

  async get(id: number): Promise<QueryDesignView> {
    return queryDesignView(await this.#row(id));
  }

  async create(input: QueryDesignCreate): Promise<QueryDesignView> {
    const now = Date.now();
    const owner = this.#ownerId();
    const [inserted] = await this.#db.batch([
      this.#db
        .insert(queryDesigns)
        .values({
          ownerId: owner,
          name: input.name,
          description: input.description ?? '',
          arenasConfig: JSON.stringify(input.arenas_config ?? { arenas: [] }),
          createdAt: now,
          updatedAt: now,
        })
        .returning(),
      auditIfChangedStatement(this.#db, {
        actor: this.#p.actor,
        action: 'query_design.create',
        ip: this.#ip,
        at: now,
        targetPrefixFromLastInsert: 'query_design:',
        detail: { name: input.name, arenas_enabled: (input.arenas_config?.arenas ?? []).filter((a) => a.enabled).map((a) => `${a.id}:${a.tier}`) },
      }),
    ]);
    return queryDesignView(inserted[0]!);
  }

  async update(id: number, input: QueryDesignInput): Promise<QueryDesignView> {
    const before = await this.#row(id);
    const now = Date.now();
    const changes: Partial<QueryDesignRow> = { updatedAt: now };
    if (input.name !== undefined) changes.name = input.name;
    if (input.description !== undefined) changes.description = input.description;
    if (input.arenas_config !== undefined) changes.arenasConfig = JSON.stringify(input.arenas_config);
    const [updated] = await this.#db.batch([
      this.#db.update(queryDesigns).set(changes).where(eq(queryDesigns.id, id)).returning(),
      auditIfChangedStatement(this.#db, {
        actor: this.#p.actor,
        action: 'query_design.update',
        target: `query_design:${id}`,
        ip: this.#ip,
        at: now,
        detail: { changed: Object.keys(input), owner_id: before.ownerId },
      }),
    ]);
    if (!updated[0]) throw new VaultError('NOT_FOUND', 'No such query design.');
    return queryDesignView(updated[0]);
  }

  async delete(id: number): Promise<{ id: number; deleted: true }> {
    const before = await this.#row(id);
    const now = Date.now();
    await this.#db.batch([
      this.#db.delete(queryDesigns).where(eq(queryDesigns.id, id)),
      auditIfChangedStatement(this.#db, {
        actor: this.#p.actor,
        action: 'query_design.delete',
        target: `query_design:${id}`,
        ip: this.#ip,
        at: now,
        detail: { name: before.name, owner_id: before.ownerId },
      }),
    ]);
    return { id, deleted: true };
  }

  async #row(id: number): Promise<QueryDesignRow> {
    const row = await this.#db.query.queryDesigns.findFirst({ where: eq(queryDesigns.id, id) });
    if (!row || (!isAdmin(this.#p) && row.ownerId !== this.#p.userId)) throw new VaultError('NOT_FOUND', 'No such query design.');
    return row;
  }

  #ownerId(): number {
    if (this.#p.userId === null) {
      throw new VaultError('FORBIDDEN', 'Query designs belong to users; this API key is not tied to a user.');
    }
    return this.#p.userId;
  }
}

// ---------------------------------------------------------------------------
// Reads and writes of every design's arena configuration, for arena health and
// lost-key recovery. This module owns `query_designs` (src/db/owners.ts).
// ---------------------------------------------------------------------------

/** Every design's id and stored `arenas_config`, by id. */
export async function allArenaConfigs(d1: D1Database): Promise<{ id: number; arenas_config: string }[]> {
  return openDb(d1).select({ id: queryDesigns.id, arenas_config: queryDesigns.arenasConfig }).from(queryDesigns).orderBy(queryDesigns.id);
}

/**
 * Compare-and-set on one design's arena configuration, the expected-revision
 * pattern: writes `next` only while the stored text is still `expected` (what
 * the caller read), so an edit made in between is never overwritten and a
 * repeated write of the same change does nothing. The caller checks
 * `changes` (D1's meta) to know whether it won. Raw D1: it rides in
 * recovery's raw batch.
 */
export function replaceArenasConfigStatement(
  d1: D1Database,
  change: { designId: number; expected: string; next: ArenasConfig; now: number },
): D1PreparedStatement {
  return d1
    .prepare('UPDATE query_designs SET arenas_config = ?, updated_at = ? WHERE id = ? AND arenas_config = ?')
    .bind(JSON.stringify(change.next), change.now, change.designId, change.expected);
}
