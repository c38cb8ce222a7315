/** Small readers of the request, for every route module: client IP, the audit actor, the caller's user id. */
import type { Context } from 'hono';
import type { AppEnv } from './types.ts';
import { VaultError } from '../errors.ts';
import type { Actor } from '../kernel/principal.ts';

/** The client address Cloudflare saw (CF-Connecting-IP); null when absent (local tools, tests). */
export function clientIp(c: Context<AppEnv>): string | null {
  const ip = c.req.header('cf-connecting-ip')?.trim();
  return ip && ip.length <= 64 ? ip : null;
}

/** The authenticated caller as the audit log names them. */
export function actorOf(c: Context<AppEnv>): Actor {
  return { actor: c.var.principal?.actor ?? 'anonymous', ip: clientIp(c) };
}

/** The signed-in user's id, or 403 for a machine key that acts for no user. */
export function userIdOf(c: Context<AppEnv>): number {
  const id = c.var.principal?.userId;
  if (id === null || id === undefined) throw new VaultError('FORBIDDEN', 'This API key acts for no user.');
  return id;
}
