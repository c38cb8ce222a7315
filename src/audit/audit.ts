/**
 * Append-only audit log. Nothing in the vault updates or deletes events.
 * `detail` is a small JSON object of facts (ids, counts, key ids, field
 * *names*); callers never put a secret value in it, and `auditStatement`
 * drops any key that looks like it might carry one as a second line of defence.
 */
import { auditEvents } from '../db/schema.ts';
import type { Db } from '../db/client.ts';

export interface AuditInput {
  actor: string;
  action: string;
  target?: string | null;
  ip?: string | null;
  detail?: Record<string, unknown>;
  at?: number;
}

const SECRET_LOOKING = /pass(word)?|secret|token|api_?key$|^key$|fields_values|plaintext/i;

function scrub(detail: Record<string, unknown> | undefined): string | null {
  if (!detail) return null;
  const safe: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(detail)) safe[k] = SECRET_LOOKING.test(k) ? '[redacted]' : v;
  return JSON.stringify(safe);
}

/** The insert, unexecuted, so it can join a `db.batch([...])` with the change it records. */
export function auditStatement(db: Db, e: AuditInput) {
  return db.insert(auditEvents).values({
    at: e.at ?? Date.now(),
    actor: e.actor,
    action: e.action,
    target: e.target ?? null,
    ip: e.ip ?? null,
    detail: scrub(e.detail),
  });
}

export async function recordAudit(db: Db, e: AuditInput): Promise<void> {
  await auditStatement(db, e);
}
