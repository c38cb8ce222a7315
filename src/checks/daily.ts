/**
 * The optional daily check of every active credential (issue 23). Enabled by
 * the var DAILY_PROVIDER_CHECKS = "true"; `runDailyChecks(env)` is meant for
 * the cron `scheduled` handler (which the alerts work adds), every few
 * minutes: each run checks at most DAILY_CHECK_BATCH active credentials whose
 * last check is older than today's UTC start, so a day's checks spread over
 * the runs and no credential is checked twice a day. Results land where
 * "check with provider" stores them (checks/store.ts), which alert rules read.
 */
import type { Env } from '../env.ts';
import { loadConfig } from '../config.ts';
import { openDb } from '../db/client.ts';
import { credentialFactsRows } from '../credentials/repository.ts';
import { checkCredential, providerCheckOrigin } from './service.ts';
import { lastChecks } from './store.ts';

export const DAILY_CHECK_BATCH = 20;

export function dailyChecksEnabled(env: Pick<Env, 'DAILY_PROVIDER_CHECKS'>): boolean {
  return env.DAILY_PROVIDER_CHECKS?.trim().toLowerCase() === 'true';
}

/** Checks the next batch of active credentials not yet checked today; answers how many it checked. */
export async function runDailyChecks(env: Env, now = Date.now()): Promise<number> {
  if (!dailyChecksEnabled(env)) return 0;
  const config = await loadConfig(env);
  const dayStart = now - (now % 86_400_000);
  const rows = (await credentialFactsRows(env.DB)).filter((r) => r.is_active);
  const checks = await lastChecks(env.DB, null);
  const due = rows.filter((r) => (checks.get(r.id)?.checkedAt ?? -Infinity) < dayStart).slice(0, DAILY_CHECK_BATCH);
  for (const r of due) {
    await checkCredential({ db: openDb(env.DB), ring: config.credentialKeys, actor: 'system:daily-check', origin: providerCheckOrigin(env), now }, r.id);
  }
  return due.length;
}
