// The one audit writer (src/audit/audit.ts) scrubs on every carrier the vault
// uses with a D1 binding: drizzle, and the D1 prepared statements that
// recovery and the Durable Objects batch. A canary that looks like a secret,
// under a secret-looking key (also nested, also computed by SQL), never
// reaches D1.
import { env } from 'cloudflare:test';
import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { openDb } from '../../src/db/client.ts';
import { auditD1Statement, auditIfChangedD1Statement, auditStatement, recordAuditOnce, REDACTED } from '../../src/audit/audit.ts';

const canary = () => `canary-${crypto.randomUUID()}`;

async function stored(action: string) {
  return (
    await env.DB.prepare('SELECT actor, target, ip, detail FROM audit_events WHERE action = ? ORDER BY id')
      .bind(action)
      .all<{ actor: string; target: string | null; ip: string | null; detail: string | null }>()
  ).results;
}

describe('the audit writer scrubs on every carrier', () => {
  it('drizzle: a top-level and a nested secret-looking key are redacted, facts kept', async () => {
    const secret = canary();
    const action = `test.scrub.${crypto.randomUUID().slice(0, 8)}`;
    await auditStatement(openDb(env.DB), { actor: 't', action, detail: { password: secret, count: 3, nested: [{ api_key: secret, name: 'n' }] } });
    const [row] = await stored(action);
    expect(JSON.parse(row!.detail!)).toEqual({ password: REDACTED, count: 3, nested: [{ api_key: REDACTED, name: 'n' }] });
    expect(JSON.stringify(await stored(action))).not.toContain(secret);
  });

  it('D1 statement (recovery, Durable Objects): scrubbed, and batched with the write it records', async () => {
    const secret = canary();
    const action = `test.scrub.${crypto.randomUUID().slice(0, 8)}`;
    await env.DB.batch([
      env.DB.prepare("INSERT INTO recovery_actions (at, actor, key_ids, purged_count, disabled_arenas) VALUES (1, 't', '[]', 7, '[]')"),
      auditIfChangedD1Statement(env.DB, {
        actor: 't',
        action,
        ip: '203.0.113.9',
        targetPrefixFromLastInsert: 'recovery:',
        detail: { token: secret, scope: 'all' },
        detailSql: {
          purged_count: sql`SELECT purged_count FROM recovery_actions WHERE id = last_insert_rowid()`,
          secret_value: sql`${secret}`,
        },
      }),
      auditD1Statement(env.DB, { actor: 't', action, target: 'x', detail: { fields_values: { api_key: secret } } }),
    ]);
    const rows = await stored(action);
    expect(rows).toHaveLength(2);
    expect(rows[0]!.target).toMatch(/^recovery:\d+$/);
    expect(rows[0]!.ip).toBe('203.0.113.9');
    expect(JSON.parse(rows[0]!.detail!)).toEqual({ token: REDACTED, scope: 'all', purged_count: 7, secret_value: REDACTED });
    expect(JSON.parse(rows[1]!.detail!)).toEqual({ fields_values: REDACTED });
    expect(JSON.stringify(rows)).not.toContain(secret);
  });

  it('a conditional event is written only when its condition holds', async () => {
    const action = `test.scrub.${crypto.randomUUID().slice(0, 8)}`;
    await env.DB.batch([
      auditIfChangedD1Statement(env.DB, { actor: 't', action, target: 'no', when: sql`${1} = ${2}` }),
      auditIfChangedD1Statement(env.DB, { actor: 't', action, target: 'yes', when: sql`${2} = ${2}` }),
    ]);
    expect((await stored(action)).map((r) => r.target)).toEqual(['yes']);
  });

  it('recordAuditOnce writes one event per action and target, also when replayed at once', async () => {
    const action = `test.once.${crypto.randomUUID().slice(0, 8)}`;
    const db = openDb(env.DB);
    await Promise.all([1, 2, 3].map((n) => recordAuditOnce(db, { actor: 't', action, target: 'run:1', detail: { n } })));
    await recordAuditOnce(db, { actor: 't', action, target: 'run:2' });
    expect((await stored(action)).map((r) => r.target)).toEqual(['run:1', 'run:2']);
  });
});
