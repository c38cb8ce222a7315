// Reset-errors reaches the pool through the notifier the app's assembly hands
// the credential store, not through a module that happens to be imported: an
// app assembled here WITHOUT the pool's routes still clears the cooldown, and
// one assembled without the notifier does not.
import { createExecutionContext, env, waitOnExecutionContext } from 'cloudflare:test';
import { beforeEach, describe, expect, it } from 'vitest';
import { createApp } from '../../src/http/app.ts';
import { credentialRoutes } from '../../src/credentials/routes.ts';
import { credentialPoolNotifier } from '../../src/pool/client.ts';
import { authenticate } from '../../src/auth/middleware.ts';
import { withCredentialPool } from '../../src/credentials/context.ts';
import { createTestUser } from '../support/auth.ts';
import { apiKeyHeaders, post, resetPool, seedCredential } from './support.ts';

const reddit = { client_id: 'cid', client_secret: 'csecret', user_agent: 'arena-vault-test/1.0' };
let collector: Record<string, string>;

beforeEach(async () => {
  await env.DB.prepare('DELETE FROM api_credentials').run();
  await resetPool();
  collector = await apiKeyHeaders('collector');
});

async function resetThrough(app: ReturnType<typeof createApp>, id: number): Promise<number> {
  const admin = await createTestUser('admin');
  const ctx = createExecutionContext();
  const r = await app.fetch(
    new Request(`https://vault.test/api/credentials/${id}/reset-errors`, {
      method: 'POST',
      headers: { ...admin.headers, 'content-type': 'application/json' },
      body: '{}',
    }),
    env,
    ctx,
  );
  await waitOnExecutionContext(ctx);
  return r.status;
}

async function coolDown(): Promise<number> {
  const id = await seedCredential({ platform: 'reddit', tier: 'free', fields: reddit });
  const l = (await (await post('/api/pool/acquire', collector, { platform: 'reddit', tier: 'free', task_id: 'wiring' })).json()) as { lease_id: string };
  await post('/api/pool/report-error', collector, { lease_id: l.lease_id, kind: 'rate_limited', retry_after: 3600 });
  expect((await post('/api/pool/acquire', collector, { platform: 'reddit', tier: 'free', task_id: 'wiring' })).status).toBe(404);
  return id;
}

describe('reset-errors and the pool, wired by the assembly', () => {
  it('clears the pool cooldown from an app that mounts no pool routes, given the notifier', async () => {
    const id = await coolDown();
    expect(
      await resetThrough(createApp({ authenticate: authenticate(), middleware: [withCredentialPool(credentialPoolNotifier)], routes: [credentialRoutes] }), id),
    ).toBe(200);
    expect((await post('/api/pool/acquire', collector, { platform: 'reddit', tier: 'free', task_id: 'wiring' })).status).toBe(200);
  });

  it('leaves the pool alone when the assembly hands over no notifier', async () => {
    const id = await coolDown();
    expect(await resetThrough(createApp({ authenticate: authenticate(), routes: [credentialRoutes] }), id)).toBe(200);
    expect((await post('/api/pool/acquire', collector, { platform: 'reddit', tier: 'free', task_id: 'wiring' })).status).toBe(404);
  });
});
