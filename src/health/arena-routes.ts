/**
 * GET /api/arenas/health — the check operators run after every rotation
 * (docs/api/health.md). Anyone may call it: without a login it reports
 * statuses and counts only; signed in, it adds key ids, the lock holder and
 * the ids of unreadable rows; an admin with `?deep=1` gets a decrypt check of
 * every row instead of the per-key sample. 200 when `overall` is ok or
 * degraded, 503 when it is error.
 */
import { Hono } from 'hono';
import * as v from 'valibot';
import type { AppEnv } from '../http/types.ts';
import { VaultError } from '../errors.ts';
import { isAdmin } from '../kernel/principal.ts';
import { describe } from '../schema/spec.ts';
import { query } from '../schema/validate.ts';
import { booleanish, strict } from '../schema/types.ts';
import { ArenaHealthSchema } from './schemas.ts';
import { arenaHealth } from './arenas.ts';
import { keyUsage, rowsPerKeyIdOf } from '../credentials/key-usage.ts';
import { enabledArenaTiers, poolFacts } from './data.ts';
import { deepDecryptCheck, sampleDecryptCheck } from '../credentials/decrypt-check.ts';
import { credentialFactsRows } from '../credentials/repository.ts';

export const arenaHealthRoutes = new Hono<AppEnv>();

/** `?deep=1` (or true): decrypt every row instead of a sample; admins only. */
const ArenaHealthQuery = strict({ deep: v.optional(booleanish, 'false') });

arenaHealthRoutes.get(
  '/api/arenas/health',
  describe({
    tag: 'health',
    summary: 'Arena health: can each arena tier collect now?',
    description:
      'Public: without a login, statuses and counts only; signed in, also key ids, the lock holder and unreadable row ids. `deep` (admins) decrypts every row. 503 when `overall` is error.',
    public: true,
    responses: {
      200: { description: '`overall` is ok or degraded.', schema: ArenaHealthSchema },
      503: { description: '`overall` is error: some arena tier in use cannot collect.', schema: ArenaHealthSchema },
    },
    errors: ['UNAUTHENTICATED', 'FORBIDDEN'],
  }),
  query(ArenaHealthQuery),
  async (c) => {
    const wantsDeep = c.req.valid('query').deep;
    const principal = c.var.principal;
    if (wantsDeep && !principal) throw new VaultError('UNAUTHENTICATED', 'The deep check needs an admin login.');
    if (wantsDeep && !isAdmin(principal)) throw new VaultError('FORBIDDEN', 'The deep check is for admins.');

    const ring = c.var.config.credentialKeys;
    const started = Date.now();
    const [rows, enabled, poolState, decrypt] = await Promise.all([
      credentialFactsRows(c.env.DB),
      enabledArenaTiers(c.env.DB),
      poolFacts(c.env),
      wantsDeep ? deepDecryptCheck(c.env.DB, ring) : sampleDecryptCheck(c.env.DB, ring),
    ]);
    const keyStatus = (k: string) => ring.statusOf(k);
    const { overall, arenas } = arenaHealth({
      rows,
      keyStatus,
      failedIds: new Set(decrypt.failed.map((f) => f.id)),
      pool: poolState?.facts ?? new Map(),
      locked: poolState?.lock.locked ?? false,
      enabledInDesigns: enabled,
      now: Date.now(),
    });
    const overallStatus = poolState ? overall : overall === 'ok' ? 'degraded' : overall;
    const body: Record<string, unknown> = {
      overall: overallStatus,
      locked: poolState?.lock.locked ?? null,
      pool_reachable: poolState !== null,
      checked_at: new Date(started).toISOString(),
      decrypt_check: wantsDeep ? 'deep' : 'sample',
      arenas: principal ? arenas : arenas.map(({ undecryptable_ids: _ids, ...rest }) => rest),
    };
    if (principal) {
      // Counted from the rows read above (the same snapshot the verdicts use), not a second query.
      const usage = keyUsage(rowsPerKeyIdOf(rows), keyStatus);
      body.keys = {
        current_key_id: ring.currentKeyId,
        previous_key_ids: ring.previousKeyIds,
        rows_by_key: usage,
        missing_key_ids: usage.filter((u) => u.status === 'missing').map((u) => u.key_id),
      };
      body.lock = poolState ? { ...poolState.lock } : null;
      body.decrypt = { mode: wantsDeep ? 'deep' : 'sample', checked: decrypt.checked, failed: decrypt.failed, ms: Date.now() - started };
    }
    return c.json(body, overallStatus === 'error' ? 503 : 200);
  },
);
