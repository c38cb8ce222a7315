/**
 * Helpers for the auth suites: users with real (scrypt) passwords, the login
 * form's CSRF cookie + token, Set-Cookie parsing, and console capture for the
 * "no secret in any log" checks.
 */
import { env, SELF } from 'cloudflare:test';
import { vi } from 'vitest';
import { hashPassword } from '../../src/crypto/password.ts';
import type { Role } from '../../src/kernel/principal.ts';

export const ORIGIN = 'https://vault.test';
let seq = 0;

export interface PasswordUser {
  id: number;
  email: string;
  password: string;
}

/** A user with a real password hash; the password is a unique canary. */
export async function userWithPassword(role: Role = 'admin', opts: { active?: boolean; hash?: string; password?: string } = {}): Promise<PasswordUser> {
  const password = opts.password ?? `canary-pw-${crypto.randomUUID()}`;
  const email = `${role}-${++seq}-${crypto.randomUUID().slice(0, 8)}@example.test`;
  const now = Date.now();
  const row = await env.DB.prepare(
    `INSERT INTO users (email, hashed_password, display_name, role, is_active, token_version, created_at, updated_at)
     VALUES (?, ?, ?, ?, ?, 0, ?, ?) RETURNING id`,
  )
    .bind(email, opts.hash ?? (await hashPassword(password)), `User ${seq}`, role, opts.active === false ? 0 : 1, now, now)
    .first<{ id: number }>();
  return { id: row!.id, email, password };
}

/** Every Set-Cookie of a response as {name, value, attrs (lower-cased keys)}. */
export function setCookies(res: Response) {
  return res.headers.getSetCookie().map((line) => {
    const [pair, ...attrs] = line.split(/;\s*/);
    const eq = pair!.indexOf('=');
    const map = new Map<string, string>();
    for (const a of attrs) {
      const i = a.indexOf('=');
      map.set((i < 0 ? a : a.slice(0, i)).toLowerCase(), i < 0 ? '' : a.slice(i + 1));
    }
    return { name: pair!.slice(0, eq), value: pair!.slice(eq + 1), attrs: map, raw: line };
  });
}

export function cookieValue(res: Response, name: string): string | undefined {
  return setCookies(res).find((c) => c.name === name)?.value;
}

export interface FormSession {
  /** The pre-session CSRF cookie pair, ready for a Cookie header. */
  cookie: string;
  csrfToken: string;
}

/** Loads a page (default /login) and returns its CSRF cookie and hidden token. */
export async function openForm(path = '/login', extraCookie = ''): Promise<FormSession> {
  const res = await SELF.fetch(`${ORIGIN}${path}`, { headers: extraCookie ? { cookie: extraCookie } : {}, redirect: 'manual' });
  const html = await res.text();
  const token = /name="csrf_token" value="([^"]+)"/.exec(html)?.[1];
  if (!token) throw new Error(`no csrf_token on ${path} (status ${res.status})`);
  const jar = new Map(
    extraCookie
      .split(/;\s*/)
      .filter(Boolean)
      .map((p) => [p.slice(0, p.indexOf('=')), p.slice(p.indexOf('=') + 1)]),
  );
  for (const c of setCookies(res)) jar.set(c.name, c.value);
  return { cookie: [...jar].map(([k, v]) => `${k}=${v}`).join('; '), csrfToken: token };
}

/** A same-origin form post with the CSRF token. */
export function postForm(path: string, form: FormSession, fields: Record<string, string>, headers: Record<string, string> = {}): Promise<Response> {
  return SELF.fetch(`${ORIGIN}${path}`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', origin: ORIGIN, cookie: form.cookie, ...headers },
    body: new URLSearchParams({ csrf_token: form.csrfToken, ...fields }).toString(),
  });
}

/** Logs in through the form; returns the Cookie header for the browser session (CSRF + session). */
export async function browserLogin(user: { email: string; password: string }, ip = '198.51.100.1'): Promise<string> {
  const form = await openForm();
  const res = await postForm('/login', form, { email: user.email, password: user.password }, { 'cf-connecting-ip': ip });
  const session = cookieValue(res, '__Host-av_session');
  if (res.status !== 303 || !session) throw new Error(`login failed: ${res.status}`);
  return `${form.cookie}; __Host-av_session=${session}`;
}

/** Captures console output while `fn` runs (the Worker runs in the test isolate). */
export async function captureConsole<T>(fn: () => Promise<T>): Promise<{ result: T; output: string }> {
  const lines: string[] = [];
  const spies = (['log', 'info', 'warn', 'error', 'debug'] as const).map((m) =>
    vi.spyOn(console, m).mockImplementation((...args: unknown[]) => {
      lines.push(args.map((a) => (typeof a === 'string' ? a : JSON.stringify(a))).join(' '));
    }),
  );
  try {
    return { result: await fn(), output: lines.join('\n') };
  } finally {
    for (const s of spies) s.mockRestore();
  }
}

/** All audit rows, as text, for "no secret in the audit log" checks. */
export async function auditText(): Promise<string> {
  const { results } = await env.DB.prepare('SELECT * FROM audit_events').all();
  return JSON.stringify(results);
}
