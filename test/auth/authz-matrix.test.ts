/**
 * The authorization matrix: every route in the app's router (API and pages)
 * against every kind of caller, each cell an expected status. The routes are
 * read from the router itself, so a route added without a row here fails the
 * "every route has a row" test, and a row left behind for a removed route
 * fails too.
 *
 * A cell is 401 / 403 (refused), `login` (a page's redirect to
 * /login?next=…, its way of saying 401), or `ok`: the guard let the caller
 * through, so whatever the handler answers (200, 404 for the made-up id,
 * 422 for the empty body, 405 ...) is neither 401, 403 nor that redirect,
 * and not a 5xx either: a route that breaks for a caller it lets in is a
 * failure, not a pass (the cell then shows the status).
 *
 * Each route gets its own fresh callers (users, keys, tokens), so a
 * state-changing route (logout-all, revoke) cannot spill into the next row.
 */
import { env, SELF } from 'cloudflare:test';
import { beforeAll, describe, expect, it } from 'vitest';
import { app } from '../../src/index.ts';
import { generateApiKey } from '../../src/auth/api-keys.ts';
import { issueAccessToken } from '../../src/auth/tokens.ts';
import { loadConfig } from '../../src/config.ts';
import type { Role } from '../../src/kernel/principal.ts';

const ORIGIN = 'https://vault.test';

const CALLERS = [
  'anonymous',
  'researcher_session',
  'researcher_bearer',
  'admin_session',
  'admin_bearer',
  'collector_key',
  'admin_key',
  'demoted_admin_key',
  'deactivated_owner_key',
  'service_key',
  'revoked_key',
  'expired_key',
  'expired_jwt',
] as const;
type Caller = (typeof CALLERS)[number];
type Cell = 'ok' | 401 | 403 | 'login';

/* eslint-disable */
// prettier-ignore
const POLICIES = {
  //                  anon     r-ses  r-bear a-ses  a-bear coll  a-key demoted deact.   service revoked  exp-key  exp-jwt
  public: ['ok', 'ok', 'ok', 'ok', 'ok', 'ok', 'ok', 'ok', 'ok', 'ok', 'ok', 'ok', 'ok'],
  user_api: [401, 'ok', 'ok', 'ok', 'ok', 403, 'ok', 'ok', 401, 'ok', 401, 401, 401],
  // About the caller's own account: a service key acts for no user.
  self_api: [401, 'ok', 'ok', 'ok', 'ok', 403, 'ok', 'ok', 401, 403, 401, 401, 401],
  // Changing one's own password: a person only (keys are refused by the route itself).
  own_password_api: [401, 'ok', 'ok', 'ok', 'ok', 403, 403, 403, 401, 403, 401, 401, 401],
  admin_api: [401, 403, 403, 'ok', 'ok', 403, 'ok', 403, 401, 'ok', 401, 401, 401],
  // Plaintext credentials: machine keys only, and an admin key only while it acts for an admin.
  pool_api: [401, 403, 403, 403, 403, 'ok', 'ok', 403, 401, 'ok', 401, 401, 401],
  user_page: ['login', 'ok', 'ok', 'ok', 'ok', 403, 'ok', 'ok', 'login', 'ok', 'login', 'login', 'login'],
  // The password form: a browser session only.
  own_password_form: ['login', 'ok', 403, 'ok', 403, 403, 403, 403, 'login', 403, 'login', 'login', 'login'],
  // A person's own page: never a key (the passkey page, recovery codes).
  person_page: ['login', 'ok', 'ok', 'ok', 'ok', 403, 403, 403, 'login', 403, 'login', 'login', 'login'],
  // About the caller's own account, as a page: a service key acts for no user.
  self_page: ['login', 'ok', 'ok', 'ok', 'ok', 403, 'ok', 'ok', 'login', 403, 'login', 'login', 'login'],
  admin_page: ['login', 403, 403, 'ok', 'ok', 403, 'ok', 403, 'login', 'ok', 'login', 'login', 'login'],
} satisfies Record<string, Cell[]>;
/* eslint-enable */
type Policy = keyof typeof POLICIES;

/** Every route of the app (method and path as the router holds it) → its row. */
const ROUTES: Record<string, Policy> = {
  'GET /': 'public',
  'GET /assets/app.css': 'public',
  'GET /api/health': 'public',
  'GET /api/openapi.json': 'public',
  'GET /api/arenas/health': 'public',
  'GET /login': 'public',
  'POST /login': 'public',
  'GET /login/oidc': 'public',
  'GET /login/oidc/callback': 'public',
  'POST /logout': 'public',
  'POST /api/auth/login': 'public',
  'POST /api/auth/logout': 'public',
  'GET /api/docs': 'public',
  'POST /api/auth/passkeys/login/options': 'public',
  'POST /api/auth/passkeys/login/verify': 'public',
  'POST /api/auth/recovery/login': 'public',
  'GET /api/auth/methods': 'public',
  'POST /login/passkey': 'public',
  'POST /login/recovery': 'public',

  'GET /api/auth/me': 'self_api',
  'POST /api/auth/logout-all': 'self_api',
  'POST /api/auth/password': 'own_password_api',
  // Registering a passkey and minting recovery codes: a person, never a key.
  'POST /api/auth/passkeys/register/options': 'own_password_api',
  'POST /api/auth/passkeys/register/verify': 'own_password_api',
  'POST /api/auth/recovery-codes': 'own_password_api',
  'GET /api/auth/passkeys': 'self_api',
  // The owner, or anyone acting as an admin (a service key included).
  'DELETE /api/auth/passkeys/:id': 'user_api',
  'GET /api/query-designs': 'user_api',
  'POST /api/query-designs': 'user_api',
  'GET /api/query-designs/:id': 'user_api',
  'PATCH /api/query-designs/:id': 'user_api',
  'PUT /api/query-designs/:id': 'user_api',
  'DELETE /api/query-designs/:id': 'user_api',

  'GET /account/password': 'user_page',
  'GET /account/passkeys': 'person_page',
  'POST /account/recovery-codes': 'person_page',
  'POST /account/passkeys/:id/delete': 'self_page',
  // The form is checked first (an empty one goes back with a flash); a service key then gets 403 (userIdOf).
  'POST /account/passkeys/:id/name': 'user_page',
  'POST /account/password': 'own_password_form',
  'GET /admin/query-designs': 'user_page',
  'POST /admin/query-designs': 'user_page',
  'GET /admin/query-designs/:id': 'user_page',
  'POST /admin/query-designs/:id': 'user_page',
  'POST /admin/query-designs/:id/delete': 'user_page',

  'GET /api/users': 'admin_api',
  'POST /api/users': 'admin_api',
  'GET /api/users/:id': 'admin_api',
  'PATCH /api/users/:id': 'admin_api',
  'POST /api/users/:id/revoke-sessions': 'admin_api',
  'POST /api/users/:id/password': 'admin_api',
  'GET /api/api-keys': 'admin_api',
  'POST /api/api-keys': 'admin_api',
  'DELETE /api/api-keys/:id': 'admin_api',
  'POST /api/credentials': 'admin_api',
  'GET /api/credentials': 'admin_api',
  'GET /api/credentials/:id': 'admin_api',
  'PATCH /api/credentials/:id': 'admin_api',
  'PUT /api/credentials/:id/secret': 'admin_api',
  'POST /api/credentials/:id/activate': 'admin_api',
  'POST /api/credentials/:id/deactivate': 'admin_api',
  'POST /api/credentials/:id/reset-errors': 'admin_api',
  'POST /api/credentials/:id/verify': 'admin_api',
  'GET /api/credentials/:id/usage': 'admin_api',
  'POST /api/credentials/:id/check': 'admin_api',
  'DELETE /api/credentials/:id': 'admin_api',
  'GET /api/audit': 'admin_api',
  'POST /api/audit': 'admin_api',
  'PUT /api/audit': 'admin_api',
  'PATCH /api/audit': 'admin_api',
  'DELETE /api/audit': 'admin_api',
  'POST /api/audit/*': 'admin_api',
  'PUT /api/audit/*': 'admin_api',
  'PATCH /api/audit/*': 'admin_api',
  'DELETE /api/audit/*': 'admin_api',
  'GET /api/admin/recovery': 'admin_api',
  'POST /api/admin/recovery/check': 'admin_api',
  'POST /api/admin/recovery/purge': 'admin_api',
  'POST /api/admin/recovery/:id/reenable': 'admin_api',
  'POST /api/admin/rotations/credential-key': 'admin_api',
  'GET /api/admin/rotations/credential-key': 'admin_api',
  'POST /api/admin/rotations/credential-key/abort': 'admin_api',
  'GET /api/alerts': 'admin_api',
  'POST /api/alerts/check': 'admin_api',
  'GET /api/alerts/destinations': 'admin_api',
  'POST /api/alerts/destinations': 'admin_api',
  'DELETE /api/alerts/destinations/:id': 'admin_api',
  'POST /api/alerts/destinations/:id/test': 'admin_api',
  'GET /api/alerts/deliveries': 'admin_api',
  'POST /api/alerts/:id/silence': 'admin_api',

  'POST /api/pool/acquire': 'pool_api',
  'POST /api/pool/renew': 'pool_api',
  'POST /api/pool/release': 'pool_api',
  'POST /api/pool/report-error': 'pool_api',
  'GET /api/pool/credentials': 'pool_api',
  'GET /api/pool/credentials/:id': 'pool_api',
  'POST /api/pool/credentials/:id/cooldown': 'pool_api',
  'DELETE /api/pool/credentials/:id/cooldown': 'pool_api',
  'PUT /api/pool/credentials/:id/expires-at': 'pool_api',
  'POST /api/pool/update-fields': 'pool_api',

  'GET /admin/users': 'admin_page',
  'POST /admin/users': 'admin_page',
  'POST /admin/users/:id/role': 'admin_page',
  'POST /admin/users/:id/active': 'admin_page',
  'POST /admin/users/:id/revoke-sessions': 'admin_page',
  'POST /admin/users/:id/password': 'admin_page',
  'POST /admin/users/:id/passkeys/remove': 'admin_page',
  'GET /admin/api-keys': 'admin_page',
  'POST /admin/api-keys': 'admin_page',
  'POST /admin/api-keys/:id/revoke': 'admin_page',
  'GET /admin/credentials': 'admin_page',
  'GET /admin/credentials/new': 'admin_page',
  'GET /admin/credentials/:id{[0-9]+}': 'admin_page',
  'POST /admin/credentials/:id{[0-9]+}/check': 'admin_page',
  'GET /admin/health': 'admin_page',
  'POST /admin/credentials/new': 'admin_page',
  'GET /admin/credentials/:id/secret': 'admin_page',
  'POST /admin/credentials/:id/secret': 'admin_page',
  'GET /admin/credentials/:id/edit': 'admin_page',
  'POST /admin/credentials/:id/edit': 'admin_page',
  'POST /admin/credentials/:id/activate': 'admin_page',
  'POST /admin/credentials/:id/deactivate': 'admin_page',
  'POST /admin/credentials/:id/reset-errors': 'admin_page',
  'POST /admin/credentials/:id/verify': 'admin_page',
  'GET /admin/credentials/:id/delete': 'admin_page',
  'POST /admin/credentials/:id/delete': 'admin_page',
  'GET /admin/audit': 'admin_page',
  'GET /admin/recovery': 'admin_page',
  'POST /admin/recovery/check': 'admin_page',
  'POST /admin/recovery/purge': 'admin_page',
  'POST /admin/recovery/:id/reenable': 'admin_page',
  'GET /admin/rotation': 'admin_page',
  'POST /admin/rotation/start': 'admin_page',
  'POST /admin/rotation/abort': 'admin_page',
  'GET /admin/alerts': 'admin_page',
  'POST /admin/alerts/check': 'admin_page',
  'POST /admin/alerts/:id/silence': 'admin_page',
  'POST /admin/alerts/destinations': 'admin_page',
  'POST /admin/alerts/destinations/:id/test': 'admin_page',
  'POST /admin/alerts/destinations/:id/delete': 'admin_page',
};

/** The routes the router really holds (middleware, registered as ALL, left out). */
function routerRoutes(): string[] {
  return [...new Set(app.routes.filter((r) => r.method !== 'ALL').map((r) => `${r.method} ${r.path}`))].sort();
}

let seq = 0;

async function insertUser(role: Role, active = true): Promise<{ id: number }> {
  const now = Date.now();
  const row = await env.DB.prepare(
    `INSERT INTO users (email, hashed_password, display_name, role, is_active, token_version, created_at, updated_at)
     VALUES (?, 'test-only-no-password', 'Matrix', ?, ?, 0, ?, ?) RETURNING id`,
  )
    .bind(`matrix-${++seq}-${crypto.randomUUID().slice(0, 8)}@example.test`, role, active ? 1 : 0, now, now)
    .first<{ id: number }>();
  return row!;
}

async function insertKey(scope: 'collector' | 'admin', userId: number | null, opts: { revoked?: boolean; expiresAt?: number } = {}): Promise<string> {
  const k = generateApiKey();
  await env.DB.prepare('INSERT INTO api_keys (name, scope, user_id, key_prefix, key_hash, created_at, revoked_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
    .bind(`matrix ${scope}`, scope, userId, k.prefix, k.hash, Date.now(), opts.revoked ? Date.now() : null, opts.expiresAt ?? null)
    .run();
  return k.key;
}

async function tokenFor(user: { id: number }, role: Role, nowSeconds?: number): Promise<string> {
  return (await issueAccessToken(await loadConfig(env), { id: user.id, role, tokenVersion: 0 }, 'password', nowSeconds)).token;
}

/** The Authorization / Cookie headers of one fresh caller of each kind. */
async function freshCallers(): Promise<Record<Caller, Record<string, string>>> {
  const researcher1 = await insertUser('researcher');
  const researcher2 = await insertUser('researcher');
  const admin1 = await insertUser('admin');
  const admin2 = await insertUser('admin');
  const keyOwner = await insertUser('admin');
  const demoted = await insertUser('admin');
  const deactivated = await insertUser('admin');
  const adminKey = await insertKey('admin', keyOwner.id);
  const demotedKey = await insertKey('admin', demoted.id);
  const deactivatedKey = await insertKey('admin', deactivated.id);
  // The owners change after their keys were made, as in the probe.
  await env.DB.prepare("UPDATE users SET role = 'researcher' WHERE id = ?").bind(demoted.id).run();
  await env.DB.prepare('UPDATE users SET is_active = 0 WHERE id = ?').bind(deactivated.id).run();
  const session = (token: string) => ({ cookie: `__Host-av_session=${token}` });
  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
  const apiKey = (key: string) => ({ authorization: `ApiKey ${key}` });
  return {
    anonymous: {},
    researcher_session: session(await tokenFor(researcher1, 'researcher')),
    researcher_bearer: bearer(await tokenFor(researcher2, 'researcher')),
    admin_session: session(await tokenFor(admin1, 'admin')),
    admin_bearer: bearer(await tokenFor(admin2, 'admin')),
    collector_key: apiKey(await insertKey('collector', null)),
    admin_key: apiKey(adminKey),
    demoted_admin_key: apiKey(demotedKey),
    deactivated_owner_key: apiKey(deactivatedKey),
    service_key: apiKey(await insertKey('admin', null)),
    revoked_key: apiKey(await insertKey('collector', null, { revoked: true })),
    expired_key: apiKey(await insertKey('admin', null, { expiresAt: Date.now() - 1000 })),
    expired_jwt: bearer(await tokenFor(await insertUser('admin'), 'admin', Math.floor(Date.now() / 1000) - 7200)),
  };
}

let csrf: { cookie: string; token: string };

beforeAll(async () => {
  // The form token depends only on the CSRF cookie (not on who is logged in), so one pair serves every caller.
  const res = await SELF.fetch(`${ORIGIN}/login`);
  const cookie = /__Host-av_csrf=([^;]+)/.exec(res.headers.getSetCookie().join('\n'))?.[1];
  const token = /name="csrf_token" value="([^"]+)"/.exec(await res.text())?.[1];
  if (!cookie || !token) throw new Error('no CSRF cookie/token on /login');
  csrf = { cookie: `__Host-av_csrf=${cookie}`, token };
});

function concretePath(path: string): string {
  return path.replace(/:id\b/g, '999999999').replace(/\*$/, 'x');
}

async function call(method: string, path: string, headers: Record<string, string>): Promise<Cell | number> {
  const api = path === '/api' || path.startsWith('/api/');
  const cookies = [csrf.cookie, headers.cookie].filter(Boolean).join('; ');
  const init: RequestInit = {
    method,
    redirect: 'manual',
    headers: { ...headers, cookie: cookies, origin: ORIGIN, 'sec-fetch-site': 'same-origin' },
  };
  if (method !== 'GET' && method !== 'HEAD') {
    if (api) {
      (init.headers as Record<string, string>)['content-type'] = 'application/json';
      init.body = '{}';
    } else {
      (init.headers as Record<string, string>)['content-type'] = 'application/x-www-form-urlencoded';
      init.body = new URLSearchParams({ csrf_token: csrf.token }).toString();
    }
  }
  const res = await SELF.fetch(`${ORIGIN}${concretePath(path)}`, init);
  await res.arrayBuffer();
  if (res.status === 401 || res.status === 403) return res.status;
  if (res.status === 303 && (res.headers.get('location') ?? '').startsWith('/login?next=')) return 'login';
  return res.status >= 500 ? res.status : 'ok';
}

describe('authorization matrix', () => {
  it('has a row for every route of the router, and no row for a route that is gone', () => {
    const live = routerRoutes();
    expect(
      live.filter((r) => !(r in ROUTES)),
      'routes without a row in the matrix',
    ).toEqual([]);
    expect(
      Object.keys(ROUTES).filter((r) => !live.includes(r)),
      'rows for routes the router no longer has',
    ).toEqual([]);
  });

  it('every policy row states a cell for every kind of caller', () => {
    for (const [name, cells] of Object.entries(POLICIES)) expect(cells, name).toHaveLength(CALLERS.length);
  });

  it.each(Object.entries(ROUTES))('%s: %s', async (route, policy) => {
    const [method, path] = route.split(' ') as [string, string];
    const callers = await freshCallers();
    const got: Record<string, Cell | number> = {};
    const want: Record<string, Cell> = {};
    for (const [i, caller] of CALLERS.entries()) {
      got[caller] = await call(method, path, callers[caller]);
      want[caller] = POLICIES[policy][i]!;
    }
    expect(got).toEqual(want);
  });
});
