/**
 * REST for the signed-in caller, under /api/auth:
 *   POST /api/auth/login       {email, password} → {access_token, token_type: "bearer", expires_in}
 *   GET  /api/auth/me          the caller's user (never the hash)
 *   POST /api/auth/logout      clears the session cookie (a bearer token just expires)
 *   POST /api/auth/logout-all  bumps token_version: every token of the user stops working
 *   POST /api/auth/password    {current_password, new_password} → a fresh token; other sessions end
 */
import { Hono } from 'hono';
import { deleteCookie, setCookie } from 'hono/cookie';
import type { AppEnv } from '../http/types.ts';
import { readJsonObject } from '../http/errors.ts';
import { VaultError } from '../errors.ts';
import { login } from './login.ts';
import { changeOwnPassword } from './own-password.ts';
import { requireUser, SESSION_COOKIE, sessionCookieOptions } from './middleware.ts';
import { actorOf, clientIp, userIdOf } from './request-context.ts';
import { getUser, publicUser, revokeSessions } from './users.ts';

export const sessionApi = new Hono<AppEnv>();

function tokenBody(issued: { token: string; expiresIn: number }) {
  return { access_token: issued.token, token_type: 'bearer' as const, expires_in: issued.expiresIn };
}

sessionApi.post('/api/auth/login', async (c) => {
  const body = await readJsonObject(c);
  if (typeof body.email !== 'string' || typeof body.password !== 'string') {
    throw new VaultError('VALIDATION_FAILED', 'Send {"email": "...", "password": "..."}.');
  }
  const { issued } = await login(c.var.db, c.var.config, { email: body.email, password: body.password, ip: clientIp(c) });
  return c.json(tokenBody(issued));
});

sessionApi.get('/api/auth/me', requireUser(), async (c) => {
  return c.json(publicUser(await getUser(c.var.db, userIdOf(c))));
});

sessionApi.post('/api/auth/logout', async (c) => {
  deleteCookie(c, SESSION_COOKIE, { path: '/', secure: true });
  return c.body(null, 204);
});

sessionApi.post('/api/auth/logout-all', requireUser(), async (c) => {
  const id = userIdOf(c);
  await revokeSessions(c.var.db, id, actorOf(c), 'auth.logout_all');
  deleteCookie(c, SESSION_COOKIE, { path: '/', secure: true });
  return c.body(null, 204);
});

sessionApi.post('/api/auth/password', requireUser(), async (c) => {
  if (c.var.principal?.via === 'api_key') throw new VaultError('FORBIDDEN', 'Log in as the user to change their password.');
  const body = await readJsonObject(c);
  const { issued } = await changeOwnPassword(c.var.db, c.var.config, userIdOf(c), body.current_password, body.new_password, actorOf(c));
  if (c.var.principal?.via === 'session') setCookie(c, SESSION_COOKIE, issued.token, sessionCookieOptions(issued.expiresIn));
  return c.json(tokenBody(issued));
});
