// The create-or-promote-admin core (src/auth/admin-bootstrap.ts) on the
// Worker's D1: the same code the Node script carries to wrangler as SQL text
// and the Deno script runs over SQLite. Outcomes, sessions ended, the password
// asked for only when needed, one scrubbed audit event per change.
import { env } from 'cloudflare:test';
import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { accountsIn, bootstrapAdmin, BootstrapError, BOOTSTRAP_ACTION } from '../../src/auth/admin-bootstrap.ts';
import { verifyPassword } from '../../src/crypto/password.ts';
import { openDb } from '../../src/db/client.ts';
import { users } from '../../src/db/schema.ts';

const db = openDb(env.DB);
const accounts = accountsIn(db);
const PASSWORD = `boot-${crypto.randomUUID()}`;
const user = async (email: string) => db.query.users.findFirst({ where: eq(users.email, email) });
const events = async (email: string) =>
  (
    await env.DB.prepare('SELECT detail FROM audit_events WHERE action = ? AND target = ? ORDER BY id')
      .bind(BOOTSTRAP_ACTION, `email:${email}`)
      .all<{ detail: string }>()
  ).results.map((r) => JSON.parse(r.detail));

describe('bootstrapAdmin on D1', () => {
  it('creates, then changes nothing (without asking for the password), then resets only when asked', async () => {
    const email = `boot-${crypto.randomUUID().slice(0, 8)}@example.test`;
    let asked = 0;
    const password = async () => {
      asked++;
      return PASSWORD;
    };
    expect(await bootstrapAdmin(accounts, { email: `  ${email.toUpperCase()} `, password })).toEqual({ outcome: 'created', email });
    const created = (await user(email))!;
    expect([created.role, created.isActive, created.displayName]).toEqual(['admin', true, email.split('@')[0]]);
    expect(await verifyPassword(PASSWORD, created.hashedPassword)).toBe(true);
    expect((await bootstrapAdmin(accounts, { email, password })).outcome).toBe('unchanged');
    expect(asked).toBe(1);
    expect((await bootstrapAdmin(accounts, { email, password, resetPassword: true })).outcome).toBe('password_reset');
    expect((await user(email))!.tokenVersion).toBe(created.tokenVersion + 1);
    const logged = await events(email);
    expect(logged).toEqual([{ outcome: 'created' }, { outcome: 'password_reset' }]);
    expect(JSON.stringify(logged)).not.toContain(PASSWORD);
  });

  it('promotes and activates a researcher, ending their sessions, keeping their password', async () => {
    const email = `r-${crypto.randomUUID().slice(0, 8)}@example.test`;
    const now = Date.now();
    await db.insert(users).values({ email, hashedPassword: 'kept', role: 'researcher', isActive: false, tokenVersion: 4, createdAt: now, updatedAt: now });
    expect(
      (
        await bootstrapAdmin(accounts, {
          email,
          password: async () => {
            throw new Error('not asked');
          },
        })
      ).outcome,
    ).toBe('promoted');
    const row = (await user(email))!;
    expect([row.role, row.isActive, row.tokenVersion, row.hashedPassword]).toEqual(['admin', true, 5, 'kept']);
    expect(await events(email)).toEqual([{ outcome: 'promoted' }]);
  });

  it('--if-no-admin names the admin that exists; bad input changes nothing', async () => {
    const other = `x-${crypto.randomUUID().slice(0, 8)}@example.test`;
    await bootstrapAdmin(accounts, { email: `a-${crypto.randomUUID().slice(0, 8)}@example.test`, password: async () => PASSWORD });
    const exists = await bootstrapAdmin(accounts, {
      email: async () => {
        throw new Error('not asked');
      },
      password: async () => PASSWORD,
      ifNoAdmin: true,
    });
    expect(exists.outcome).toBe('admin_exists');
    expect(exists.email).toMatch(/@example\.test$/);
    await expect(bootstrapAdmin(accounts, { email: 'not-an-email', password: async () => PASSWORD })).rejects.toBeInstanceOf(BootstrapError);
    await expect(bootstrapAdmin(accounts, { email: other, password: async () => 'short' })).rejects.toThrow(/at least/);
    expect(await user(other)).toBeUndefined();
    expect(await events(other)).toEqual([]);
  });
});
