/** Builds the credential store for a request, acting as its authenticated principal. */
import type { Context, MiddlewareHandler } from 'hono';
import type { Env } from '../env.ts';
import type { AppEnv } from '../http/types.ts';
import { CredentialStore, type CredentialPoolNotifier } from './store.ts';
import { clientIp } from '../http/request-context.ts';

declare module 'hono' {
  interface ContextVariableMap {
    /** The pool as the credential store sees it: set by `withCredentialPool`, which src/index.ts mounts. */
    credentialPool?: CredentialPoolNotifier;
  }
}

/**
 * Hands the credential store its pool port for each request (the store tells
 * it when an admin resets a credential's errors). The port is typed here, by
 * the feature that uses it, so the app's shared `AppEnv` names no feature.
 */
export function withCredentialPool(notifier: (env: Env) => CredentialPoolNotifier): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    c.set('credentialPool', notifier(c.env));
    await next();
  };
}

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
