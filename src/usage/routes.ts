/**
 * GET /api/credentials/:id/usage?days=N[&format=csv] (admin): the
 * credential's usage per UTC day, oldest first, the last N days (default
 * 30, at most 400) including today, days without use as zeros. JSON
 * `{days:[{date, leases, units, errors:{rate_limited, auth_failed,
 * quota_exhausted, other}}]}`; `format=csv` the same as CSV. What the pool
 * has not flushed yet (at most a few seconds) is not in it.
 */
import { Hono } from 'hono';
import * as v from 'valibot';
import type { AppEnv } from '../http/types.ts';
import { requireAdmin } from '../http/guards.ts';
import { VaultError } from '../errors.ts';
import { describe } from '../schema/spec.ts';
import { IdParams, queryInt, strict } from '../schema/types.ts';
import { params, query } from '../schema/validate.ts';
import { findCredentialRow } from '../credentials/repository.ts';
import { DEFAULT_USAGE_DAYS, USAGE_RETENTION_DAYS, fillDays, usageCsv, utcDayBefore, type UsageDay } from './history.ts';
import { usageDaysOf } from '../pool/usage-days-store.ts';

export const UsageQuery = strict({
  days: queryInt(1, USAGE_RETENTION_DAYS, DEFAULT_USAGE_DAYS),
  format: v.optional(v.picklist(['json', 'csv'], 'must be json or csv'), 'json'),
});

const Count = v.pipe(v.number(), v.integer());
export const UsageSchema = v.strictObject({
  days: v.array(
    v.strictObject({
      date: v.string(),
      leases: Count,
      units: Count,
      errors: v.strictObject({ rate_limited: Count, auth_failed: Count, quota_exhausted: Count, other: Count }),
    }),
  ),
});

/** A credential's last `days` days, filled (the credential page reads it too). */
export async function credentialUsage(d1: D1Database, credentialId: number, days: number, now = Date.now()): Promise<UsageDay[]> {
  return fillDays(await usageDaysOf(d1, credentialId, utcDayBefore(now, days - 1)), days, now);
}

export const usageRoutes = new Hono<AppEnv>();

usageRoutes.get(
  '/api/credentials/:id/usage',
  requireAdmin(),
  describe({
    tag: 'credentials',
    summary: "A credential's usage per UTC day (JSON, or CSV with format=csv)",
    description:
      "`days` (1–400, default 30): the last N UTC days including today, oldest first; days without use are zeros. `units` are what the pool counts against the daily quota. `format=csv` answers text/csv with the columns date, leases, units, errors_rate_limited, errors_auth_failed, errors_quota_exhausted, errors_other. Usage reaches D1 with the pool's write-back, a few seconds after it happens.",
    responses: { 200: { description: 'The days (JSON; CSV with format=csv).', schema: UsageSchema } },
    errors: ['NOT_FOUND'],
  }),
  params(IdParams, 'credential'),
  query(UsageQuery),
  async (c) => {
    const id = c.req.valid('param').id;
    const q = c.req.valid('query');
    if (!(await findCredentialRow(c.var.db, id))) throw new VaultError('NOT_FOUND', 'No such credential.');
    const days = await credentialUsage(c.env.DB, id, q.days);
    if (q.format === 'csv') {
      return c.body(usageCsv(days), 200, {
        'content-type': 'text/csv; charset=utf-8',
        'content-disposition': `attachment; filename="credential-${id}-usage.csv"`,
      });
    }
    return c.json({ days });
  },
);
