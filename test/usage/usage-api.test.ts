import { env, SELF } from 'cloudflare:test';
import { beforeEach, describe, expect, it } from 'vitest';
import { createTestUser, type TestUser } from '../support/auth.ts';
import { apiKeyHeaders, flushPoolUsage, post, resetPool, seedCredential } from '../pool/support.ts';
import { utcDay } from '../../src/usage/history.ts';

let admin: TestUser;
let collector: Record<string, string>;

beforeEach(async () => {
  await env.DB.prepare('DELETE FROM api_credentials').run();
  await env.DB.prepare('DELETE FROM credential_usage_days').run();
  await resetPool();
  admin = await createTestUser('admin');
  collector = await apiKeyHeaders('collector');
});

async function lease(): Promise<{ lease_id: string; credential_id: number }> {
  const r = await post('/api/pool/acquire', collector, { platform: 'serper', tier: 'medium', task_id: 'usage-test' });
  if (r.status !== 200) throw new Error(`acquire ${r.status} ${await r.text()}`);
  return r.json();
}

const get = (path: string, headers: Record<string, string> = admin.headers) => SELF.fetch(`https://vault.test${path}`, { headers });

describe('usage history', () => {
  it('counts, per UTC day, the leases, units and errors by kind that a collector leased and reported', async () => {
    const id = await seedCredential({ platform: 'serper', tier: 'medium', fields: { api_key: 'serper-usage-key-0001' }, maxLeases: 10 });
    // 4 leases: released with 5 and 7 units, one released without units (counts 1), one rate-limited with 2 units.
    const ls = [await lease(), await lease(), await lease(), await lease()];
    expect((await post('/api/pool/release', collector, { lease_id: ls[0]!.lease_id, units_used: 5 })).status).toBe(200);
    expect((await post('/api/pool/release', collector, { lease_id: ls[1]!.lease_id, units_used: 7 })).status).toBe(200);
    expect((await post('/api/pool/release', collector, { lease_id: ls[2]!.lease_id })).status).toBe(200);
    expect((await post('/api/pool/report-error', collector, { lease_id: ls[3]!.lease_id, kind: 'rate_limited', units_used: 2 })).status).toBe(200);
    await flushPoolUsage();

    const r = await get(`/api/credentials/${id}/usage?days=3`);
    expect(r.status).toBe(200);
    const body = (await r.json()) as { days: { date: string; leases: number; units: number; errors: Record<string, number> }[] };
    expect(body.days.map((d) => d.date)).toEqual([utcDay(Date.now() - 2 * 86_400_000), utcDay(Date.now() - 86_400_000), utcDay(Date.now())]);
    expect(body.days[2]).toEqual({
      date: utcDay(Date.now()),
      leases: 4,
      units: 5 + 7 + 1 + 2,
      errors: { rate_limited: 1, auth_failed: 0, quota_exhausted: 0, other: 0 },
    });
    expect(body.days[0]!.leases + body.days[1]!.leases).toBe(0);

    // A second round adds to the same day (the flush adds increments, it does not overwrite).
    await SELF.fetch(`https://vault.test/api/credentials/${id}/reset-errors`, { method: 'POST', headers: admin.headers }); // end the cooldown
    const again = await lease();
    await post('/api/pool/report-error', collector, { lease_id: again.lease_id, kind: 'auth_failed' });
    await flushPoolUsage();
    const today = ((await (await get(`/api/credentials/${id}/usage?days=1`)).json()) as typeof body).days[0]!;
    expect(today).toMatchObject({ leases: 5, units: 16, errors: { rate_limited: 1, auth_failed: 1, quota_exhausted: 0, other: 0 } });

    const csv = await get(`/api/credentials/${id}/usage?days=1&format=csv`);
    expect(csv.headers.get('content-type')).toContain('text/csv');
    expect(await csv.text()).toBe(
      `date,leases,units,errors_rate_limited,errors_auth_failed,errors_quota_exhausted,errors_other\r\n${utcDay(Date.now())},5,16,1,1,0,0\r\n`,
    );
  });

  it('prunes days older than 400 days with the flush', async () => {
    const id = await seedCredential({ platform: 'serper', tier: 'medium', fields: { api_key: 'serper-usage-key-0002' } });
    const old = utcDay(Date.now() - 400 * 86_400_000);
    const kept = utcDay(Date.now() - 399 * 86_400_000);
    await env.DB.prepare('INSERT INTO credential_usage_days (credential_id, day, leases, units) VALUES (?, ?, 1, 1), (?, ?, 1, 1)')
      .bind(id, old, id, kept)
      .run();
    const l = await lease();
    await post('/api/pool/release', collector, { lease_id: l.lease_id });
    await flushPoolUsage();
    const { results } = await env.DB.prepare('SELECT day FROM credential_usage_days WHERE credential_id = ? ORDER BY day').bind(id).all<{ day: string }>();
    expect(results.map((r) => r.day)).toEqual([kept, utcDay(Date.now())]);
  });

  it('refuses an unknown credential (404), a bad days or format (422), and non-admins', async () => {
    expect((await get('/api/credentials/999999/usage')).status).toBe(404);
    const id = await seedCredential({ platform: 'serper', tier: 'medium', fields: { api_key: 'serper-usage-key-0003' } });
    expect((await get(`/api/credentials/${id}/usage?days=401`)).status).toBe(422);
    expect((await get(`/api/credentials/${id}/usage?days=0`)).status).toBe(422);
    expect((await get(`/api/credentials/${id}/usage?format=xml`)).status).toBe(422);
    const researcher = await createTestUser('researcher');
    expect((await get(`/api/credentials/${id}/usage`, researcher.headers)).status).toBe(403);
    const body = (await (await get(`/api/credentials/${id}/usage`)).json()) as { days: unknown[] };
    expect(body.days).toHaveLength(30);
  });
});
