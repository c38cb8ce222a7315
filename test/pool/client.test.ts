/**
 * The pool client (src/pool/client.ts): a pool error comes back as its
 * VaultError; any other failure of the call (object unreachable, reset) is
 * 503 POOL_UNAVAILABLE, never a 500 carrying the runtime's text.
 */
import { describe, expect, it, vi } from 'vitest';
import { pool } from '../../src/pool/client.ts';
import { isVaultError, type VaultError } from '../../src/errors.ts';
import type { CredentialPool } from '../../src/pool/durable-object.ts';

function namespaceThatFails(error: unknown): DurableObjectNamespace<CredentialPool> {
  const stub = new Proxy({}, { get: () => () => Promise.reject(error) });
  return { idFromName: () => ({}), get: () => stub } as unknown as DurableObjectNamespace<CredentialPool>;
}

const INPUT = { ok: true as const, value: { platform: 'serper' as const, tier: 'medium' as const, task_id: 't', mode: 'exclusive' as const } };

describe('pool client errors', () => {
  it('an unreachable object is 503 POOL_UNAVAILABLE, without the runtime text', async () => {
    vi.spyOn(console, 'error').mockImplementation(() => undefined);
    const e = await pool({ POOL: namespaceThatFails(new TypeError('CANARY-runtime-text')) })
      .acquire(INPUT, 'x')
      .catch((x: unknown) => x);
    expect(isVaultError(e)).toBe(true);
    expect((e as VaultError).code).toBe('POOL_UNAVAILABLE');
    expect((e as VaultError).status).toBe(503);
    expect((e as VaultError).retryAfter).toBeGreaterThan(0);
    expect((e as VaultError).message).not.toContain('CANARY');
    vi.restoreAllMocks();
  });

  it('a pool error keeps its code', async () => {
    const err = Object.assign(new Error('Collection is paused.'), { code: 'COLLECTION_LOCKED', retryAfter: 30 });
    const e = await pool({ POOL: namespaceThatFails(err) })
      .acquire(INPUT, 'x')
      .catch((x: unknown) => x);
    expect((e as VaultError).code).toBe('COLLECTION_LOCKED');
    expect((e as VaultError).status).toBe(423);
  });
});
