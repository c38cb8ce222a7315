/** Small readers of the request used by the auth routes: client IP, the audit actor, ids in paths. */
import type { Context } from 'hono';
import type { AppEnv } from '../http/types.ts';
import { VaultError } from '../errors.ts';
import type { Actor } from './users.ts';

/** The client address Cloudflare saw (CF-Connecting-IP); null when absent (local tools, tests). */
export function clientIp(c: Context<AppEnv>): string | null {
  const ip = c.req.header('cf-connecting-ip')?.trim();
  return ip && ip.length <= 64 ? ip : null;
}

/** The authenticated caller as the audit log names them. */
export function actorOf(c: Context<AppEnv>): Actor {
  return { actor: c.var.principal?.actor ?? 'anonymous', ip: clientIp(c) };
}

/** A positive integer path parameter, or 404 (an id that cannot exist names nothing). */
export function idParam(c: Context<AppEnv>, name = 'id'): number {
  const raw = c.req.param(name) ?? '';
  const id = /^[1-9]\d{0,15}$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isSafeInteger(id)) throw new VaultError('NOT_FOUND', `No such id: ${raw.slice(0, 20)}.`);
  return id;
}

/** The signed-in user's id, or 403 for a machine key that acts for no user. */
export function userIdOf(c: Context<AppEnv>): number {
  const id = c.var.principal?.userId;
  if (id === null || id === undefined) throw new VaultError('FORBIDDEN', 'This API key acts for no user.');
  return id;
}
