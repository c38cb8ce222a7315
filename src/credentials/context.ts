/** Builds the credential store for a request, acting as its authenticated principal. */
import type { Context } from 'hono';
import type { AppEnv } from '../http/types.ts';
import { CredentialStore } from './store.ts';
import { clientIp } from '../http/request-context.ts';

/** Call only behind requireAdmin (it needs `c.var.principal`). */
export function credentialStoreFor(c: Context<AppEnv>): CredentialStore {
  const p = c.var.principal!;
  return new CredentialStore({
    db: c.var.db,
    ring: c.var.config.credentialKeys,
    actor: p.actor,
    userId: p.userId,
    ip: clientIp(c),
    pool: c.var.credentialPool,
  });
}
