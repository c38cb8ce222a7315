/**
 * A browser-like session on the HTML pages for tests: bearer auth, the CSRF
 * cookie and form token taken from a first page load, same-origin form posts,
 * and the flash message a redirect sets.
 */
import { SELF } from 'cloudflare:test';

const ORIGIN = 'https://vault.test';

export interface PageSession {
  get(path: string, extraCookies?: string): Promise<{ status: number; html: string; headers: Headers }>;
  post(
    path: string,
    form: Record<string, string>,
    opts?: { csrf?: boolean },
  ): Promise<{
    status: number;
    html: string;
    headers: Headers;
    location: string | null;
    /** The flash message text set by a redirect, and its cookie as the browser would send it back. */
    flash?: string;
    flashCookie?: string;
  }>;
}

/** The value of cookie `name` in a response's Set-Cookie headers. */
export function cookieValue(headers: Headers, name: string): string | undefined {
  for (const c of headers.getSetCookie()) {
    const [pair] = c.split(';');
    const [k, ...v] = pair!.split('=');
    if (k === name) return v.join('=');
  }
  return undefined;
}

/** Opens a session as `user`; `start` is a page that user may see (it supplies the CSRF cookie and token). */
export async function pageSession(user: { token: string }, start = '/admin/credentials'): Promise<PageSession> {
  const authorization = `Bearer ${user.token}`;
  const first = await SELF.fetch(`${ORIGIN}${start}`, { headers: { authorization } });
  const csrfCookie = cookieValue(first.headers, '__Host-av_csrf');
  const csrfToken = /name="csrf_token" value="([^"]+)"/.exec(await first.text())?.[1];
  if (!csrfCookie || !csrfToken) throw new Error(`no CSRF cookie/token (status ${first.status})`);
  const baseCookie = `__Host-av_csrf=${csrfCookie}`;
  return {
    async get(path, extraCookies) {
      const res = await SELF.fetch(`${ORIGIN}${path}`, { headers: { authorization, cookie: extraCookies ? `${baseCookie}; ${extraCookies}` : baseCookie } });
      return { status: res.status, html: await res.text(), headers: res.headers };
    },
    async post(path, form, opts = {}) {
      const res = await SELF.fetch(`${ORIGIN}${path}`, {
        method: 'POST',
        redirect: 'manual',
        headers: { authorization, cookie: baseCookie, origin: ORIGIN, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ ...(opts.csrf === false ? {} : { csrf_token: csrfToken }), ...form }).toString(),
      });
      const raw = cookieValue(res.headers, '__Host-av_flash');
      // The cookie holds URI-encoded JSON, URI-encoded again by setCookie.
      const flash = raw ? (JSON.parse(decodeURIComponent(decodeURIComponent(raw))) as { text: string }).text : undefined;
      return {
        status: res.status,
        html: await res.text(),
        headers: res.headers,
        location: res.headers.get('location'),
        flash,
        flashCookie: raw ? `__Host-av_flash=${raw}` : undefined,
      };
    },
  };
}
