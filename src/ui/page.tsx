/**
 * Rendering helpers for pages: `renderPage` wraps content in the layout with
 * the caller's principal, CSRF token, banners and pending flash message;
 * `redirectWithFlash` does Post/Redirect/Get with a one-shot flash cookie.
 */
import type { Context } from 'hono';
import type { Child } from 'hono/jsx';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import type { AppEnv } from '../http/types.ts';
import { Layout, type Flash } from './layout.tsx';
import { problemsText, type FieldProblem } from '../schema/problems.ts';

const FLASH_COOKIE = '__Host-av_flash';

export function redirectWithFlash(c: Context<AppEnv>, location: string, flash: Flash): Response {
  setCookie(c, FLASH_COOKIE, encodeURIComponent(JSON.stringify(flash)), {
    path: '/',
    httpOnly: true,
    secure: true,
    sameSite: 'Strict',
    maxAge: 60,
  });
  return c.redirect(location, 303);
}

/** A form's `onInvalid` (schema/validate.ts) for Post/Redirect/Get pages: back to `location` with every problem in the flash. */
export function flashProblems(location: string) {
  return (c: Context<AppEnv>, problems: FieldProblem[]): Response => redirectWithFlash(c, location, { kind: 'error', text: problemsText(problems) });
}

function takeFlash(c: Context<AppEnv>): Flash | undefined {
  const raw = getCookie(c, FLASH_COOKIE);
  if (!raw) return undefined;
  deleteCookie(c, FLASH_COOKIE, { path: '/', secure: true });
  try {
    const f = JSON.parse(decodeURIComponent(raw)) as Flash;
    if (typeof f?.text === 'string' && ['ok', 'error', 'info'].includes(f.kind)) return { kind: f.kind, text: f.text.slice(0, 500) };
  } catch {
    // ignore a mangled cookie
  }
  return undefined;
}

export function renderPage(
  c: Context<AppEnv>,
  title: string,
  content: Child,
  /** `error`: shorthand for an error flash (a refused form re-shown). */
  opts: { status?: number; flash?: Flash; error?: string } = {},
): Response | Promise<Response> {
  const page = (
    <Layout
      title={title}
      path={c.req.path}
      principal={c.var.principal}
      csrfToken={c.var.csrfToken}
      banners={c.var.banners ?? []}
      flash={opts.flash ?? (opts.error ? { kind: 'error', text: opts.error } : takeFlash(c))}
    >
      {content}
    </Layout>
  );
  return c.html(`<!doctype html>${page}`, (opts.status ?? 200) as 200);
}
