/** Helpers for the passkey suites: JSON calls with extra bindings, password tokens, a full registration and sign-in. */
import { createExecutionContext, env } from 'cloudflare:test';
import { expect } from 'vitest';
import worker from '../../src/index.ts';
import { SoftAuthenticator } from '../support/soft-authenticator.ts';
import { ORIGIN, userWithPassword } from './support.ts';

export type Json = Record<string, any>;

/** One JSON call through the Worker, optionally with extra bindings (ADMIN_SIGN_IN, PUBLIC_URL). */
export async function call(method: string, path: string, opts: { token?: string; json?: unknown; vars?: Record<string, string>; ip?: string } = {}) {
  const headers: Record<string, string> = { 'content-type': 'application/json', 'cf-connecting-ip': opts.ip ?? '192.0.2.90' };
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  const res = await worker.fetch(
    new Request(`${ORIGIN}${path}`, { method, headers, body: opts.json === undefined ? undefined : JSON.stringify(opts.json) }),
    { ...env, ...(opts.vars ?? {}) },
    createExecutionContext(),
  );
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: (text ? JSON.parse(text) : null) as Json };
}

export async function passwordToken(u: { email: string; password: string }, vars?: Record<string, string>): Promise<string> {
  const r = await call('POST', '/api/auth/login', {
    json: { email: u.email, password: u.password },
    vars,
    ip: `192.0.2.${Math.floor(Math.random() * 200) + 10}`,
  });
  expect(r.status).toBe(200);
  return r.body.access_token;
}

export async function registerWith(
  auth: SoftAuthenticator,
  token: string,
  opts: { name?: string; vars?: Record<string, string>; origin?: string; uv?: boolean } = {},
) {
  const options = await call('POST', '/api/auth/passkeys/register/options', { token, vars: opts.vars });
  expect(options.status).toBe(200);
  const response = await auth.register(options.body as never, { origin: opts.origin ?? ORIGIN, uv: opts.uv });
  return call('POST', '/api/auth/passkeys/register/verify', { token, json: { response, name: opts.name }, vars: opts.vars });
}

export async function loginOptions(email?: string, vars?: Record<string, string>) {
  const r = await call('POST', '/api/auth/passkeys/login/options', { json: email === undefined ? {} : { email }, vars });
  expect(r.status).toBe(200);
  return r.body as { challenge: string; rpId: string; allowCredentials?: { id: string }[] };
}

export async function passkeySignIn(
  auth: SoftAuthenticator,
  opts: { email?: string; vars?: Record<string, string>; origin?: string; uv?: boolean; counter?: number; ip?: string } = {},
) {
  const o = await loginOptions(opts.email, opts.vars);
  const response = await auth.assert(o, { origin: opts.origin ?? ORIGIN, uv: opts.uv, counter: opts.counter });
  return { ...(await call('POST', '/api/auth/passkeys/login/verify', { json: { response }, vars: opts.vars, ip: opts.ip })), response };
}

export function claimsOf(token: string): Json {
  return JSON.parse(atob(token.split('.')[1]!.replace(/-/g, '+').replace(/_/g, '/')));
}

export async function enrolled(role: 'admin' | 'researcher' = 'researcher', keepsCounter = true, vars?: Record<string, string>) {
  const u = await userWithPassword(role);
  const token = await passwordToken(u, vars);
  const auth = await SoftAuthenticator.create({ keepsCounter });
  const reg = await registerWith(auth, token, { name: 'Laptop', vars });
  expect(reg.status).toBe(201);
  return { u, token, auth, passkeyId: reg.body.id as number };
}
