/**
 * /account/password: a signed-in user replaces their password (for instance
 * the temporary one an admin set). The current password is required; the
 * change ends every other session and renews this browser's cookie. A wrong
 * current password comes back as a flash on the form (Post/Redirect/Get); too
 * many of them re-show the form with 429 and Retry-After.
 */
import { Hono, type MiddlewareHandler } from 'hono';
import { setCookie } from 'hono/cookie';
import type { AppEnv } from '../http/types.ts';
import { VaultError } from '../errors.ts';
import { CsrfField } from '../ui/layout.tsx';
import { flashProblems, redirectWithFlash, renderPage } from '../ui/page.tsx';
import { SESSION_COOKIE, sessionCookieOptions } from './middleware.ts';
import { requirePasswordOwner, requireUser } from '../http/guards.ts';
import { actorOf, userIdOf } from '../http/request-context.ts';
import { form } from '../schema/validate.ts';
import { OwnPasswordForm } from './schemas.ts';
import { changeOwnPassword } from './own-password.ts';
import { PASSWORD_MIN_LENGTH } from './user-rules.ts';

export const accountPage = new Hono<AppEnv>();
// Only the password page: /account/passkeys has its own guard (an enrollment session may see it).
accountPage.use('/account/password', requireUser());

const PATH = '/account/password';

function PasswordForm(props: { csrfToken: string }) {
  return (
    <form method="post" action={PATH} class="card">
      <h1>Change your password</h1>
      <CsrfField token={props.csrfToken} />
      <label for="current-password">Current password</label>
      <input id="current-password" name="current_password" type="password" autocomplete="current-password" required />
      <label for="new-password">New password</label>
      <input
        id="new-password"
        name="new_password"
        type="password"
        autocomplete="new-password"
        minlength={PASSWORD_MIN_LENGTH}
        required
        aria-describedby="new-password-hint"
      />
      <p class="hint" id="new-password-hint">
        At least {PASSWORD_MIN_LENGTH} characters. Your other sessions end when you change it.
      </p>
      <label for="confirm-password">New password again</label>
      <input id="confirm-password" name="confirm_password" type="password" autocomplete="new-password" required />
      <p>
        <button type="submit">Change password</button>
      </p>
    </form>
  );
}

const TITLE = 'Change password';

accountPage.get(PATH, (c) => renderPage(c, TITLE, <PasswordForm csrfToken={c.var.csrfToken} />));

/** The form renews this browser's cookie, so it takes a browser session only (a channel rule, after the permission). */
const browserSessionOnly: MiddlewareHandler<AppEnv> = async (c, next) => {
  if (c.var.principal?.via !== 'session') throw new VaultError('FORBIDDEN', 'Log in in the browser to change your password.');
  await next();
};

accountPage.post(PATH, requirePasswordOwner(), browserSessionOnly, form(OwnPasswordForm, flashProblems(PATH)), async (c) => {
  const input = c.req.valid('form');
  try {
    const { issued } = await changeOwnPassword(c.var.db, c.var.config, userIdOf(c), input.current_password, input.new_password, actorOf(c));
    setCookie(c, SESSION_COOKIE, issued.token, sessionCookieOptions(issued.expiresIn));
    return redirectWithFlash(c, PATH, { kind: 'ok', text: 'Your password is changed. Other sessions have ended.' });
  } catch (e) {
    if (e instanceof VaultError && e.code === 'VALIDATION_FAILED') return redirectWithFlash(c, PATH, { kind: 'error', text: e.message });
    if (e instanceof VaultError && e.code === 'RATE_LIMITED') {
      // Like /login: the form again, answered 429 with Retry-After, the password not checked.
      if (e.retryAfter !== undefined) c.header('Retry-After', String(e.retryAfter));
      return renderPage(c, TITLE, <PasswordForm csrfToken={c.var.csrfToken} />, { status: e.status, error: e.message });
    }
    throw e;
  }
});
