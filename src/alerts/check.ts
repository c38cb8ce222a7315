/**
 * One alert check: gather the facts from their owners (credential rows, the
 * pool object's counters through its snapshot RPC, API keys, the rotation
 * object's status, the pool's deactivation audit events, the query designs'
 * enabled arenas), evaluate the pure rules (rules.ts), open and resolve
 * alerts (store.ts) and queue one message per destination for each opening
 * and resolving not silenced (outbox.ts). Also re-seals destinations left
 * under a previous credential key (destination-store.ts).
 *
 * Run by the cron trigger (src/index.ts `scheduled`) and by
 * POST /api/alerts/check; sending is delivery.ts's job.
 */
import type { Env } from '../env.ts';
import type { CredentialKeyRing } from '../crypto/key-ring.ts';
import { openDb } from '../db/client.ts';
import { credentialFactsRows } from '../credentials/repository.ts';
import { lastChecks } from '../checks/store.ts';
import { poolDeactivatedCredentialIds } from '../audit/repository.ts';
import { enabledArenaTiers, poolFacts } from '../health/data.ts';
import { listApiKeys } from '../auth/api-key-repository.ts';
import { rotationStatus } from '../rotation/service.ts';
import { evaluate, type CheckFacts, type RotationFact } from './rules.ts';
import { applyFindings, isSilenced, type AlertRecord, type CheckChanges } from './store.ts';
import { listDestinations, resealDestinations } from './destination-store.ts';
import { enqueue } from './outbox.ts';
import type { AlertMessage } from './messages.ts';
import { iso } from '../db/timestamps.ts';

async function rotationFact(env: Pick<Env, 'ROTATION'>): Promise<RotationFact | null> {
  try {
    const s = await rotationStatus(env as Env);
    return { phase: s.phase, run_id: s.run_id, updated_at: s.updated_at === null ? null : Date.parse(s.updated_at) };
  } catch {
    return null;
  }
}

export async function gatherFacts(env: Env, ring: CredentialKeyRing, now: number): Promise<CheckFacts> {
  const db = env.DB;
  const [credentials, deactivatedByPool, checks, enabled, pool, keys, rotation] = await Promise.all([
    credentialFactsRows(db),
    poolDeactivatedCredentialIds(openDb(db)),
    lastChecks(db),
    enabledArenaTiers(db),
    poolFacts(env),
    listApiKeys(openDb(db)),
    rotationFact(env),
  ]);
  return {
    now,
    credentials,
    deactivatedByPool,
    refusedByProvider: new Map([...checks].filter(([, c]) => c.result === 'auth_failed').map(([id, c]) => [id, c.checkedAt])),
    keyStatus: (k) => ring.statusOf(k),
    enabledArenaTiers: enabled,
    usage: pool ? pool.facts : null,
    apiKeys: keys.map(({ row }) => ({ id: row.id, name: row.name, expires_at: row.expiresAt, revoked_at: row.revokedAt })),
    rotation,
  };
}

export function alertMessage(a: AlertRecord, event: 'opened' | 'resolved'): AlertMessage {
  return {
    event,
    alert: {
      id: a.id,
      kind: a.kind,
      subject: a.subject,
      severity: a.severity,
      summary: a.summary,
      opened_at: iso(a.openedAt)!,
      resolved_at: iso(a.resolvedAt),
    },
  };
}

export interface CheckRun extends CheckChanges {
  /** Deliveries queued by this check. */
  queued: number[];
}

export async function runCheck(env: Env, ring: CredentialKeyRing, now = Date.now()): Promise<CheckRun> {
  await resealDestinations(env.DB, ring);
  const { findings, evaluated } = evaluate(await gatherFacts(env, ring, now));
  const changes = await applyFindings(env.DB, findings, evaluated, now);
  const destinations = (await listDestinations(env.DB)).map((d) => d.id);
  const queued: number[] = [];
  for (const [event, list] of [
    ['opened', changes.opened],
    ['resolved', changes.resolved],
  ] as const) {
    for (const a of list) {
      if (isSilenced(a, now)) continue;
      queued.push(...(await enqueue(env.DB, destinations, a.id, alertMessage(a, event), now)));
    }
  }
  return { ...changes, queued };
}
