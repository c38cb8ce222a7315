import { env, SELF } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import worker from '../../src/index.ts';
import { TEST_CREDENTIAL_KEY, TEST_SECRET_KEY } from '../support/keys.ts';

describe('GET /api/health', () => {
  it('reports valid configuration and key ids, never a key', async () => {
    const res = await SELF.fetch('https://vault.test/api/health');
    expect(res.status).toBe(200);
    const text = await res.text();
    const body = JSON.parse(text);
    expect(body.config.valid).toBe(true);
    expect(body.d1.reachable).toBe(true);
    expect(body.keys.credential_key.current_key_id).toMatch(/^[0-9a-f]{16}$/);
    expect(text).not.toContain(TEST_CREDENTIAL_KEY);
    expect(text).not.toContain(TEST_SECRET_KEY);
  });

  it('names a missing binding and its fix without echoing values; other routes answer CONFIG_INVALID', async () => {
    const broken = { ...env, CREDENTIAL_ENCRYPTION_KEY: undefined };
    const health = await worker.fetch(new Request('https://vault.test/api/health'), broken, {} as ExecutionContext);
    expect(health.status).toBe(503);
    const text = await health.text();
    expect(text).toContain('CREDENTIAL_ENCRYPTION_KEY is missing');
    expect(text).toContain('wrangler secret put CREDENTIAL_ENCRYPTION_KEY');
    expect(text).not.toContain(TEST_SECRET_KEY);
    const other = await worker.fetch(new Request('https://vault.test/api/credentials'), broken, {} as ExecutionContext);
    expect(other.status).toBe(500);
    expect(((await other.json()) as { error: { code: string } }).error.code).toBe('CONFIG_INVALID');
  });
});
