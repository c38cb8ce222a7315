/**
 * The browser login: `GET /login` shows the form, `POST /login` (fields
 * `email`, `password`, `csrf_token`, optional `next`) sets the session cookie
 * and redirects to `next` (a local path only) or /admin/credentials.
 * Wrong credentials re-show the form with one generic message. The page also
 * offers "Sign in with a passkey" and a recovery code (passkeys-page.tsx);
 * under ADMIN_SIGN_IN=strong an admin's password leads to /account/passkeys.
 * `POST /logout`
 * clears the cookie. Works without JavaScript; CSRF is checked by http/csrf.ts
 * before these handlers run (the token is bound to the pre-session cookie).
 * With OIDC configured, the form also offers single sign-on: a link labelled
 * OIDC_NAME to `/login/oidc` (carrying `next`).
 */
import { Hono, type Context } from 'hono';
import { deleteCookie, setCookie } from 'hono/cookie';
import type { AppEnv } from '../http/types.ts';
import { isVaultError, type VaultError } from '../errors.ts';
import { CsrfField } from '../ui/layout.tsx';
import { redirectWithFlash, renderPage } from '../ui/page.tsx';
import { recordAudit } from '../audit/audit.ts';
import { login } from './login.ts';
import { SESSION_COOKIE, sessionCookieOptions } from './middleware.ts';
import { afterLoginPath, safeNextPath } from './next-path.ts';
import { clientIp } from '../http/request-context.ts';
import { form } from '../schema/validate.ts';
import { LoginForm as LoginFormSchema } from './schemas.ts';
import { PasskeyScripts } from './passkeys-page.tsx';
import { ENROLL_PAGE } from '../http/guards.ts';
import { isEnrollmentOnly } from '../kernel/principal.ts';

export const loginPage = new Hono<AppEnv>();

interface FormState {
  email?: string;
  next?: string | null;
  error?: string;
}

function LoginForm(props: { csrfToken: string; state: FormState; sso: { name: string } | null }) {
  const { state, sso } = props;
  return (
    <div class="card">
      <h1>Log in</h1>
      {state.error && (
        <div class="notice error" role="alert" id="login-error">
          {state.error}
        </div>
      )}
      <form method="post" action="/login" aria-describedby={state.error ? 'login-error' : undefined}>
        <CsrfField token={props.csrfToken} />
        {state.next && <input type="hidden" name="next" value={state.next} />}
        <label for="login-email">Email</label>
        <input id="login-email" name="email" type="email" autocomplete="username webauthn" required value={state.email ?? ''} />
        <label for="login-password">Password</label>
        <input id="login-password" name="password" type="password" autocomplete="current-password" required />
        <p>
          <button type="submit">Log in</button>
        </p>
      </form>
      {sso && (
        <p>
          <a class="button secondary" id="login-oidc" href={`/login/oidc${state.next ? `?next=${encodeURIComponent(state.next)}` : ''}`}>
            {sso.name}
          </a>
        </p>
      )}
      <form method="post" action="/login/passkey" id="passkey-login">
        <CsrfField token={props.csrfToken} />
        {state.next && <input type="hidden" name="next" value={state.next} />}
        <input type="hidden" name="response" value="" />
        <p>
          <button type="button" class="secondary" id="passkey-login-button">
            Sign in with a passkey
          </button>
        </p>
        <p class="notice error" role="alert" id="passkey-status" hidden></p>
      </form>
      <details>
        <summary>Use a recovery code</summary>
        <form method="post" action="/login/recovery">
          <CsrfField token={props.csrfToken} />
          {state.next && <input type="hidden" name="next" value={state.next} />}
          <label for="recovery-email">Account email</label>
          <input id="recovery-email" name="email" type="email" autocomplete="username" required />
          <label for="recovery-code">Recovery code</label>
          <input id="recovery-code" name="code" type="text" autocomplete="off" spellcheck={false} required />
          <p>
            <button type="submit" class="secondary">
              Sign in with a recovery code
            </button>
          </p>
        </form>
      </details>
    </div>
  );
}

/** The login page, with a message when a sign-in failed (also the OIDC callback's answer, oidc-pages.tsx). */
export function showForm(c: Context<AppEnv>, state: FormState, status = 200) {
  const oidc = c.var.config.oidc;
  return renderPage(
    c,
    'Log in',
    <>
      <LoginForm csrfToken={c.var.csrfToken} state={state} sso={oidc && { name: oidc.name }} />
      <PasskeyScripts nonce={c.get('secureHeadersNonce')} />
    </>,
    { status },
  );
}

loginPage.get('/login', (c) => {
  const next = safeNextPath(c.req.query('next'));
  if (c.var.principal && c.var.principal.via !== 'api_key') return c.redirect(afterLoginPath(next), 303);
  return showForm(c, { next });
});

const ENTER_BOTH = 'Enter your email and password.';

loginPage.post(
  '/login',
  form(LoginFormSchema, (c, _problems, values) =>
    showForm(c, { email: (values.email ?? '').trim().slice(0, 254), next: safeNextPath(values.next), error: ENTER_BOTH }, 400),
  ),
  async (c) => {
    const { email, password, next: rawNext } = c.req.valid('form');
    const next = safeNextPath(rawNext);
    const echoEmail = email.trim().slice(0, 254);
    if (!email.trim() || !password) return showForm(c, { email: echoEmail, next, error: ENTER_BOTH }, 400);
    try {
      const { user, issued } = await login(c.var.db, c.var.config, { email, password, ip: clientIp(c) });
      setCookie(c, SESSION_COOKIE, issued.token, sessionCookieOptions(issued.expiresIn));
      // ADMIN_SIGN_IN=strong: an admin's password alone leads to passkey enrollment.
      if (isEnrollmentOnly({ role: user.role, strong: false, adminSignIn: c.var.config.adminSignIn })) return c.redirect(ENROLL_PAGE, 303);
      return c.redirect(afterLoginPath(next), 303);
    } catch (e) {
      if (!isVaultError(e) || (e.code !== 'UNAUTHENTICATED' && e.code !== 'RATE_LIMITED')) throw e;
      const err = e as VaultError;
      if (err.retryAfter !== undefined) c.header('Retry-After', String(err.retryAfter));
      return showForm(c, { email: echoEmail, next, error: err.message }, err.status);
    }
  },
);

loginPage.post('/logout', async (c) => {
  const p = c.var.principal;
  deleteCookie(c, SESSION_COOKIE, { path: '/', secure: true });
  if (p && p.via === 'session') await recordAudit(c.var.db, { actor: p.actor, action: 'auth.logout', target: p.actor, ip: clientIp(c) });
  return redirectWithFlash(c, '/login', { kind: 'info', text: 'You have logged out.' });
});
