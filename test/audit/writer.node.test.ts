// One audit writer (src/audit/audit.ts): no other file in the repository
// writes audit_events, and the scripts' carrier (the writer's statement as
// SQL text, run by `wrangler d1 execute`) scrubs and quotes on a real local D1.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, describe, expect, it } from 'vitest';
import { d1ApplyMigrations, d1Execute } from '../../scripts/lib/wrangler.ts';
import { auditIfChangedSql, auditSql, REDACTED } from '../../src/audit/audit.ts';

const WRITER = 'src/audit/audit.ts';
// Built from parts so this file does not match itself.
const RAW_INSERT = new RegExp(['INSERT', 'INTO', '[`"\'\\[]?audit_events\\b'].join('\\s+'), 'i');
const DRIZZLE_INSERT = new RegExp(['\\.insert\\(', 'auditEvents\\)'].join('\\s*'));

/** Every tracked or new (not ignored) text file of the repository. */
function repositoryFiles(): string[] {
  const out = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { encoding: 'utf8' });
  return [...new Set(out.split('\0').filter(Boolean))].filter((f) => !/\.(png|jpg|ico|woff2?|sqlite|gz)$/.test(f));
}

describe('one audit writer', () => {
  it(`nothing but ${WRITER} writes audit_events (raw SQL or drizzle)`, () => {
    const offenders: string[] = [];
    for (const file of repositoryFiles()) {
      if (file === WRITER) continue;
      let text: string;
      try {
        text = readFileSync(file, 'utf8');
      } catch {
        continue; // deleted in the work tree
      }
      text.split('\n').forEach((line, i) => {
        if (RAW_INSERT.test(line) || DRIZZLE_INSERT.test(line)) offenders.push(`${file}:${i + 1}: ${line.trim().slice(0, 120)}`);
      });
    }
    expect(offenders, 'write audit events through src/audit/audit.ts (auditStatement / auditD1Statement / auditSql ...)').toEqual([]);
  });

  it('the check itself finds a raw insert', () => {
    // Joined at run time, so these lines do not match the scan above.
    expect(RAW_INSERT.test(['db.prepare("insert', 'into audit_events (at) values (?)")'].join(' '))).toBe(true);
    expect(RAW_INSERT.test(['INSERT ', 'INTO "audit_events" (at)'].join(' '))).toBe(true);
    expect(DRIZZLE_INSERT.test(['db', 'insert(auditEvents).values({})'].join('.'))).toBe(true);
    expect(RAW_INSERT.test('SELECT * FROM audit_events')).toBe(false);
  });
});

describe('the scripts carrier (SQL text through wrangler d1 execute)', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'arena-vault-audit-writer-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('scrubs a planted canary and quotes hostile text, on a real local D1', () => {
    d1ApplyMigrations({ persistTo: dir });
    const secret = `canary-${crypto.randomUUID()}`;
    const hostile = "o'hara?; DROP TABLE users; --\n'); DELETE FROM audit_events; --";
    const action = 'test.script_scrub';
    const file = [
      auditSql({ actor: 'script:test', action, target: hostile, detail: { password: secret, note: hostile, nested: { secret_key: secret } }, at: 1 }),
      "INSERT INTO recovery_actions (at, actor, key_ids, purged_count, disabled_arenas) VALUES (1, 't', '[]', 5, '[]');",
      auditIfChangedSql({
        actor: 'script:test',
        action,
        targetPrefixFromLastInsert: 'recovery:',
        detail: { api_key: secret },
        detailSql: { purged_count: sql`SELECT purged_count FROM recovery_actions WHERE id = last_insert_rowid()` },
        at: 2,
      }),
    ].join('\n');
    expect(file).not.toContain(secret);
    d1Execute(file, { persistTo: dir });
    const [rows] = d1Execute<{ target: string; detail: string }>(`SELECT target, detail FROM audit_events WHERE action = '${action}' ORDER BY at;`, {
      persistTo: dir,
    });
    expect(rows).toHaveLength(2);
    expect(rows![0]!.target).toBe(hostile);
    expect(JSON.parse(rows![0]!.detail)).toEqual({ password: REDACTED, note: hostile, nested: { secret_key: REDACTED } });
    expect(rows![1]!.target).toMatch(/^recovery:\d+$/);
    expect(JSON.parse(rows![1]!.detail)).toEqual({ api_key: REDACTED, purged_count: 5 });
    expect(JSON.stringify(rows)).not.toContain(secret);
    const [users] = d1Execute<{ n: number }>('SELECT count(*) AS n FROM users;', { persistTo: dir });
    expect(users![0]!.n).toBe(0); // the table is still there
  });
});
