/** Request-scoped helpers shared by the recovery REST routes and pages. */
import type { Context } from 'hono';
import type { AppEnv } from '../http/types.ts';
import { RecoveryStore } from './store.ts';

export function recoveryStoreFor(c: Context<AppEnv>): RecoveryStore {
  return new RecoveryStore(c.env.DB, c.var.config.credentialKeys);
}
