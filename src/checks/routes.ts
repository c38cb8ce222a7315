/**
 * POST /api/credentials/:id/check (admin): "check with provider", one cheap
 * read-only call with the key (checks/provider-check.ts). Answers
 * `{result, checked_at, detail}`; the result is stored (checks/store.ts) and
 * shown on the credential page and the health page.
 */
import { Hono } from 'hono';
import * as v from 'valibot';
import type { AppEnv } from '../http/types.ts';
import { requireAdmin } from '../http/guards.ts';
import { clientIp } from '../http/request-context.ts';
import { describe } from '../schema/spec.ts';
import { IdParams } from '../schema/types.ts';
import { params } from '../schema/validate.ts';
import { CHECK_RESULTS } from './provider-check.ts';
import { checkCredential, providerCheckOrigin, type CheckContext } from './service.ts';
import type { Context } from 'hono';

export const CheckOutcomeSchema = v.strictObject({
  result: v.picklist(CHECK_RESULTS),
  checked_at: v.string(),
  detail: v.string(),
});

/** The check context of a request (call behind requireAdmin). */
export function checkContextFor(c: Context<AppEnv>): CheckContext {
  return {
    db: c.var.db,
    ring: c.var.config.credentialKeys,
    actor: c.var.principal!.actor,
    ip: clientIp(c),
    origin: providerCheckOrigin(c.env),
  };
}

export const checkRoutes = new Hono<AppEnv>();

checkRoutes.post(
  '/api/credentials/:id/check',
  requireAdmin(),
  describe({
    tag: 'credentials',
    summary: 'Check the credential with its provider (one cheap read-only call)',
    description:
      "`result`: ok, auth_failed, rate_limited, unreachable (no answer, timeout, redirect, 5xx) or unsupported (no such endpoint for the platform). `detail` is the provider's HTTP status and a fixed summary, never a value sent. The result and its time are stored and shown on the credential page.",
    responses: { 200: { description: 'The outcome (also when the provider refused the key).', schema: CheckOutcomeSchema } },
    errors: ['NOT_FOUND'],
  }),
  params(IdParams, 'credential'),
  async (c) => c.json(await checkCredential(checkContextFor(c), c.req.valid('param').id)),
);
