/** The cron trigger: the Worker's `scheduled` handler runs the alert checks (wrangler.toml [triggers]), and the daily live checks when on. */
import { createExecutionContext, createScheduledController, env, waitOnExecutionContext } from 'cloudflare:test';
import { afterEach, expect, it, vi } from 'vitest';
import worker from '../../src/index.ts';
import { listOpenAlerts } from '../../src/alerts/store.ts';
import { createTestUser } from '../support/auth.ts';
import { seedCredential } from '../pool/support.ts';

afterEach(() => vi.restoreAllMocks());

async function runCron(cronEnv: typeof env): Promise<void> {
  const ctx = createExecutionContext();
  await worker.scheduled!(createScheduledController({ scheduledTime: Date.now(), cron: '*/5 * * * *' }), cronEnv, ctx);
  await waitOnExecutionContext(ctx);
}

it('the scheduled handler opens what a check finds', async () => {
  await env.DB.prepare('DELETE FROM alerts').run();
  await env.DB.prepare("DELETE FROM api_credentials WHERE platform = 'bluesky'").run();
  const owner = await createTestUser('researcher');
  await env.DB.prepare("INSERT INTO query_designs (owner_id, name, description, arenas_config, created_at, updated_at) VALUES (?, 'cron', '', ?, 0, 0)")
    .bind(owner.id, JSON.stringify({ arenas: [{ id: 'bluesky', enabled: true, tier: 'free' }] }))
    .run();
  await runCron(env);
  expect((await listOpenAlerts(env.DB)).map((a) => `${a.kind} ${a.subject}`)).toContain('no_credential_available bluesky/free');
});

it('with DAILY_PROVIDER_CHECKS=true the same run checks active credentials with their provider (a stand-in here), once a day, and a refusal opens an alert', async () => {
  await env.DB.prepare('DELETE FROM credential_checks').run();
  const id = await seedCredential({ platform: 'openrouter', tier: 'medium', fields: { api_key: 'sk-or-cron-check' } });
  const sent: string[] = [];
  const real = globalThis.fetch;
  vi.spyOn(globalThis, 'fetch').mockImplementation(async (input, init) => {
    const req = new Request(input, init);
    if (!req.url.startsWith('https://openrouter.ai/')) return real(input, init);
    sent.push(req.url);
    return new Response('{}', { status: 401 });
  });
  await runCron(env);
  expect(sent).toEqual([]); // off by default
  const on = { ...env, DAILY_PROVIDER_CHECKS: 'true' };
  await runCron(on);
  await runCron(on);
  expect(sent).toHaveLength(1);
  const row = await env.DB.prepare('SELECT result FROM credential_checks WHERE credential_id = ?').bind(id).first<{ result: string }>();
  expect(row).toEqual({ result: 'auth_failed' });
  // The refusal feeds the alerts: the same cron run opened a credential_deactivated alert for it.
  expect((await listOpenAlerts(env.DB)).map((a) => `${a.kind} ${a.subject}`)).toContain(`credential_deactivated credential:${id}`);
});
