/** The cron trigger: the Worker's `scheduled` handler runs the alert checks (wrangler.toml [triggers]). */
import { createExecutionContext, createScheduledController, env, waitOnExecutionContext } from 'cloudflare:test';
import { expect, it } from 'vitest';
import worker from '../../src/index.ts';
import { listOpenAlerts } from '../../src/alerts/store.ts';
import { createTestUser } from '../support/auth.ts';

it('the scheduled handler opens what a check finds', async () => {
  await env.DB.prepare('DELETE FROM alerts').run();
  await env.DB.prepare("DELETE FROM api_credentials WHERE platform = 'bluesky'").run();
  const owner = await createTestUser('researcher');
  await env.DB.prepare("INSERT INTO query_designs (owner_id, name, description, arenas_config, created_at, updated_at) VALUES (?, 'cron', '', ?, 0, 0)")
    .bind(owner.id, JSON.stringify({ arenas: [{ id: 'bluesky', enabled: true, tier: 'free' }] }))
    .run();
  const ctx = createExecutionContext();
  await worker.scheduled!(createScheduledController({ scheduledTime: Date.now(), cron: '*/5 * * * *' }), env, ctx);
  await waitOnExecutionContext(ctx);
  expect((await listOpenAlerts(env.DB)).map((a) => `${a.kind} ${a.subject}`)).toContain('no_credential_available bluesky/free');
});
