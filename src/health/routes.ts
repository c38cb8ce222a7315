/**
 * GET /api/health: configuration validity per binding, D1 reachability, the
 * key ids in use, how many credential rows sit under each key (so whether the
 * previous key is still needed, and whether any key is missing) and the
 * collection lock. Never a key. Answers even when the config is invalid.
 * `status`: ok, degraded (rows under a key missing from the ring; 200) or
 * error (config invalid or D1 unreachable; 503).
 */
import { Hono } from 'hono';
import type { AppEnv } from '../http/types.ts';
import { BINDINGS, inspectConfig } from '../config.ts';
import { credentialRowsByKey, lockState } from './data.ts';
import { openDb } from '../db/client.ts';
import { signingKeyHealth } from '../auth/signing-key-usage.ts';
import { describe } from '../schema/spec.ts';
import { HealthSchema } from './schemas.ts';
import { providerCheckOrigin } from '../checks/service.ts';

/** While PROVIDER_CHECK_ORIGIN is set, live key checks go to a stand-in: say so (never its value). */
export const PROVIDER_CHECK_ORIGIN_WARNING = {
  code: 'PROVIDER_CHECK_ORIGIN_SET',
  message: 'PROVIDER_CHECK_ORIGIN is set: live key checks go to that origin instead of the providers. It is for tests only; unset it in production.',
};

export const healthRoutes = new Hono<AppEnv>();

healthRoutes.get(
  '/api/health',
  describe({
    tag: 'health',
    summary: 'Vault health: configuration, D1, key ids in use, rows per key, the collection lock',
    description:
      'Public, and answers even when the configuration is invalid. `status` degraded (rows under a key missing from the ring) is 200; error (config invalid or D1 unreachable) is 503.',
    public: true,
    responses: {
      200: { description: '`status` is ok or degraded.', schema: HealthSchema },
      503: { description: '`status` is error.', schema: HealthSchema },
    },
  }),
  async (c) => {
    const { config, problems } = await inspectConfig(c.env);
    const bindings = Object.fromEntries(
      BINDINGS.map((b) => {
        const issue = problems.find((p) => p.binding === b);
        const set = Boolean(c.env[b]?.trim());
        return [b, issue ? { valid: false, set, problem: issue.problem, fix: issue.fix } : { valid: true, set }];
      }),
    );
    let d1: { reachable: boolean; error?: string };
    try {
      await c.env.DB.prepare('SELECT 1').first();
      d1 = { reachable: true };
    } catch {
      d1 = { reachable: false, error: 'D1 query failed' };
    }
    // When SECRET_KEY_PREVIOUS can go (see auth/signing-key-usage.ts); null if D1 cannot say.
    let signing: Awaited<ReturnType<typeof signingKeyHealth>> | null = null;
    if (config && d1.reachable) {
      try {
        signing = await signingKeyHealth(openDb(c.env.DB), config);
      } catch {
        signing = null;
      }
    }
    const credentialRows = config && d1.reachable ? await credentialRowsByKey(c.env.DB, config.credentialKeys) : null;
    const collectionLock = await lockState(c.env);
    const body = {
      status: config && d1.reachable ? (credentialRows?.missing_keys.length ? 'degraded' : 'ok') : 'error',
      config: { valid: Boolean(config), bindings },
      d1,
      keys: config
        ? {
            credential_key: {
              current_key_id: config.credentialKeys.currentKeyId,
              previous_key_ids: config.credentialKeys.previousKeyIds,
            },
            secret_key: {
              current_kid: config.signingKeys.current.kid,
              previous_kids: config.signingKeys.previous.map((k) => k.kid),
              verification_keys: config.signingKeys.kids.length,
              previous_key_removable_after: signing?.previous_key_removable_after ?? null,
              previous_key_removable_now: signing?.previous_key_removable_now ?? null,
              previous_key_removal_basis: signing?.previous_key_removal_basis ?? 'unavailable',
            },
          }
        : null,
      credential_rows: credentialRows,
      collection_lock: collectionLock,
      ...(providerCheckOrigin(c.env) ? { warnings: [PROVIDER_CHECK_ORIGIN_WARNING] } : {}),
    };
    return c.json(body, body.status === 'error' ? 503 : 200);
  },
);
