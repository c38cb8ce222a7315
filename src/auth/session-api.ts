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
import type { ErrorCode } from '../errors.ts';
import { json } from '../schema/validate.ts';
import { describe } from '../schema/spec.ts';
import { LoginBody, OwnPasswordBody, TokenSchema, UserSchema } from './schemas.ts';
import { login } from './login.ts';
import { changeOwnPassword } from './own-password.ts';
import { SESSION_COOKIE, sessionCookieOptions } from './middleware.ts';
import { requirePasswordOwner, requireUser } from '../http/guards.ts';
import { actorOf, clientIp, userIdOf } from '../http/request-context.ts';
import { getUser, publicUser, revokeSessions } from './users.ts';

export const sessionApi = new Hono<AppEnv>();

export function tokenBody(issued: { token: string; expiresIn: number }) {
  return { access_token: issued.token, token_type: 'bearer' as const, expires_in: issued.expiresIn };
}

const TAG = 'sessions';
const TOKEN = { description: 'An access token (HS256 JWT, header kid = the signing key id).', schema: TokenSchema };
/** A wrong email or password is one generic 401; brute force is 429 with Retry-After (login-throttle.ts). */
const PASSWORD_REFUSALS: ErrorCode[] = ['UNAUTHENTICATED', 'RATE_LIMITED'];

sessionApi.post(
  '/api/auth/login',
  describe({ tag: TAG, summary: 'Log in with email and password', public: true, responses: { 200: TOKEN }, errors: PASSWORD_REFUSALS }),
  json(LoginBody),
  async (c) => {
    const { email, password } = c.req.valid('json');
    const { issued } = await login(c.var.db, c.var.config, { email, password, ip: clientIp(c) });
    return c.json(tokenBody(issued));
  },
);

sessionApi.get(
  '/api/auth/me',
  describe({ tag: TAG, summary: "The caller's own user", responses: { 200: { description: 'The user (never the hash).', schema: UserSchema } } }),
  requireUser(),
  async (c) => c.json(publicUser(await getUser(c.var.db, userIdOf(c)))),
);

sessionApi.post(
  '/api/auth/logout',
  describe({
    tag: TAG,
    summary: 'Clear the session cookie (a bearer token just expires)',
    public: true,
    responses: { 204: { description: 'The cookie is cleared.' } },
  }),
  async (c) => {
    deleteCookie(c, SESSION_COOKIE, { path: '/', secure: true });
    return c.body(null, 204);
  },
);

sessionApi.post(
  '/api/auth/logout-all',
  describe({ tag: TAG, summary: 'End every token and cookie of the caller', responses: { 204: { description: 'token_version bumped.' } } }),
  requireUser(),
  async (c) => {
    const id = userIdOf(c);
    await revokeSessions(c.var.db, id, actorOf(c), 'auth.logout_all');
    deleteCookie(c, SESSION_COOKIE, { path: '/', secure: true });
    return c.body(null, 204);
  },
);

sessionApi.post(
  '/api/auth/password',
  describe({
    tag: TAG,
    summary: "Change one's own password (a person, not an API key)",
    description: 'A wrong current password is 422 on current_password and counts against the brute-force limit (429).',
    responses: { 200: TOKEN },
    errors: ['RATE_LIMITED'],
  }),
  requirePasswordOwner(),
  json(OwnPasswordBody),
  async (c) => {
    const body = c.req.valid('json');
    const { issued } = await changeOwnPassword(c.var.db, c.var.config, userIdOf(c), body.current_password, body.new_password, actorOf(c));
    if (c.var.principal?.via === 'session') setCookie(c, SESSION_COOKIE, issued.token, sessionCookieOptions(issued.expiresIn));
    return c.json(tokenBody(issued));
  },
);
