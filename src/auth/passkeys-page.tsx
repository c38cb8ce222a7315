/**
 * The passkey pages:
 *   GET  /account/passkeys              the caller's passkeys (name, added, last used), a form to
 *                                       add one (script), remove buttons, and recovery codes;
 *                                       under ADMIN_SIGN_IN=strong the enrollment session's one page
 *   POST /account/passkeys/:id/name     renames one of the caller's passkeys (field `name`)
 *   POST /account/passkeys/:id/delete   removes one of the caller's passkeys
 *   POST /account/recovery-codes        makes a new set of recovery codes and shows it this once
 *   POST /login/passkey                 the login page's passkey response (field `response`) → session cookie
 *   POST /login/recovery                email and a recovery code → session cookie
 * The script (passkeys-browser.js and @simplewebauthn/browser) is a static
 * file loaded with the page's CSP nonce; everything but adding a passkey
 * works without it.
 */
import { Hono, type Context } from 'hono';
import { setCookie } from 'hono/cookie';
import type { AppEnv } from '../http/types.ts';
import { isVaultError } from '../errors.ts';
import { CsrfField } from '../ui/layout.tsx';
import { flashProblems, redirectWithFlash, renderPage } from '../ui/page.tsx';
import { formAction, formatTime } from '../ui/form-action.ts';
import { ENROLL_PAGE, isEnrollmentSession, requirePasswordOwner, requireEnroll, requireUser } from '../http/guards.ts';
import { actorOf, clientIp, userIdOf } from '../http/request-context.ts';
import { can } from '../kernel/principal.ts';
import { form, params } from '../schema/validate.ts';
import { IdParams } from '../schema/types.ts';
import { passkeyAsset } from '../docs/assets.ts';
import { PasskeyLoginForm, PasskeyNameForm, RecoveryLoginForm } from './schemas.ts';
import { listPasskeys, type PasskeyRow } from './passkey-store.ts';
import { passkeyLogin, relyingParty, removePasskey, renamePasskey, PASSKEY_NAME_MAX_LENGTH } from './passkeys.ts';
import { generateRecoveryCodes, recoveryLogin } from './recovery-codes.ts';
import { unusedRecoveryCodes } from './recovery-code-store.ts';
import { SESSION_COOKIE, sessionCookieOptions } from './middleware.ts';
import { afterLoginPath, safeNextPath } from './next-path.ts';
import type { IssuedToken } from './tokens.ts';

export const passkeysPage = new Hono<AppEnv>();

const TITLE = 'Passkeys';

/** The two script files, in order, with the page's nonce (the strict CSP admits nothing else). */
export function PasskeyScripts(props: { nonce?: string }) {
  return (
    <>
      <script src={passkeyAsset('simplewebauthn-browser.js')} nonce={props.nonce} defer />
      <script src={passkeyAsset('passkeys.js')} nonce={props.nonce} defer />
    </>
  );
}

function PasskeyList(props: { rows: PasskeyRow[]; csrf: string; canRemove: boolean }) {
  if (props.rows.length === 0) return <p>You have no passkey yet.</p>;
  return (
    <div class="table-wrap">
      <table class="stack">
        <caption class="hint">Only the public key is stored; the private key never leaves your device.</caption>
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Added</th>
            <th scope="col">Last used</th>
            {props.canRemove && <th scope="col">Actions</th>}
          </tr>
        </thead>
        <tbody>
          {props.rows.map((p) => (
            <tr>
              <td>
                <strong>{p.name}</strong>
              </td>
              <td data-label="Added">{formatTime(p.createdAt)}</td>
              <td data-label="Last used">{formatTime(p.lastUsedAt)}</td>
              {props.canRemove && (
                <td>
                  <form method="post" action={`/account/passkeys/${p.id}/name`}>
                    <CsrfField token={props.csrf} />
                    <label for={`passkey-name-${p.id}`}>New name for {p.name}</label>
                    <input id={`passkey-name-${p.id}`} name="name" type="text" maxlength={PASSKEY_NAME_MAX_LENGTH} required autocomplete="off" />
                    <button type="submit" class="secondary">
                      Rename
                    </button>
                  </form>
                  <form method="post" action={`/account/passkeys/${p.id}/delete`}>
                    <CsrfField token={props.csrf} />
                    <button type="submit" class="danger" aria-label={`Remove passkey ${p.name}`}>
                      Remove
                    </button>
                  </form>
                </td>
              )}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function RegisterForm() {
  return (
    <form id="passkey-register" class="card">
      <h2>Add a passkey</h2>
      <label for="passkey-name">Name (for you to tell them apart)</label>
      <input id="passkey-name" name="name" type="text" maxlength={PASSKEY_NAME_MAX_LENGTH} autocomplete="off" placeholder="e.g. Work laptop" />
      <p>
        <button type="submit">Add a passkey</button>
      </p>
      <p class="notice error" role="alert" id="register-status" hidden></p>
    </form>
  );
}

function RecoveryCodesForm(props: { csrf: string; unused: number }) {
  return (
    <form method="post" action="/account/recovery-codes" class="card">
      <h2>Recovery codes</h2>
      <p>
        Ten single-use codes to sign in with if you lose your passkeys. You have {props.unused} unused code{props.unused === 1 ? '' : 's'}. A new set replaces
        the old one, and is shown only once.
      </p>
      <CsrfField token={props.csrf} />
      <button type="submit" class="secondary">
        Generate new recovery codes
      </button>
    </form>
  );
}

async function showAccount(c: Context<AppEnv>) {
  const userId = userIdOf(c);
  const rows = await listPasskeys(c.var.db, userId);
  const p = c.var.principal!;
  const enrolling = isEnrollmentSession(p);
  const csrf = c.var.csrfToken;
  return renderPage(
    c,
    TITLE,
    <>
      <h1>Passkeys</h1>
      {enrolling && (
        <div class="notice info" role="status">
          {rows.length === 0
            ? 'This vault needs admins to sign in with a passkey (or single sign-on). Add a passkey now; then log out and sign in with it to do admin work.'
            : 'Your passkey is registered. Log out and sign in with it (or with single sign-on) to do admin work.'}
        </div>
      )}
      <PasskeyList rows={rows} csrf={csrf} canRemove={can(p, 'user')} />
      {(!enrolling || rows.length === 0) && <RegisterForm />}
      {can(p, 'password') && <RecoveryCodesForm csrf={csrf} unused={await unusedRecoveryCodes(c.var.db, userId)} />}
      <PasskeyScripts nonce={c.get('secureHeadersNonce')} />
    </>,
  );
}

passkeysPage.get(ENROLL_PAGE, requireEnroll(), (c) => showAccount(c));

passkeysPage.post('/account/passkeys/:id/name', requireUser(), params(IdParams, 'passkey'), form(PasskeyNameForm, flashProblems(ENROLL_PAGE)), async (c) => {
  return formAction(c, ENROLL_PAGE, async () => {
    const name = c.req.valid('form').name;
    await renamePasskey(c.var.db, c.req.valid('param').id, userIdOf(c), name, actorOf(c));
    return `The passkey is now called ${name}.`;
  });
});

passkeysPage.post('/account/passkeys/:id/delete', requireUser(), params(IdParams, 'passkey'), async (c) => {
  return formAction(c, ENROLL_PAGE, async () => {
    await removePasskey(c.var.db, c.req.valid('param').id, userIdOf(c), actorOf(c));
    return 'The passkey is removed.';
  });
});

passkeysPage.post('/account/recovery-codes', requirePasswordOwner(), async (c) => {
  const codes = await generateRecoveryCodes(c.var.db, userIdOf(c), actorOf(c));
  return renderPage(
    c,
    'Recovery codes',
    <div class="card">
      <h1>Your recovery codes</h1>
      <p role="status">Store them somewhere safe now: they are shown only this once. Each code works once; any earlier codes no longer work.</p>
      <ol id="recovery-codes" class="codes">
        {codes.map((code) => (
          <li>
            <code>{code}</code>
          </li>
        ))}
      </ol>
      <p>
        <a href={ENROLL_PAGE}>Back to passkeys</a>
      </p>
    </div>,
  );
});

// ---- sign-in forms (the login page shows them; login-page.tsx) ----

function signedIn(c: Context<AppEnv>, issued: IssuedToken, next: string | null) {
  setCookie(c, SESSION_COOKIE, issued.token, sessionCookieOptions(issued.expiresIn));
  return c.redirect(afterLoginPath(next), 303);
}

/** A refusal back on the login page (Post/Redirect/Get), its message only. */
function backToLogin(c: Context<AppEnv>, e: unknown, next: string | null) {
  if (!isVaultError(e) || e.status >= 500) throw e;
  if (e.retryAfter !== undefined) c.header('Retry-After', String(e.retryAfter));
  return redirectWithFlash(c, next ? `/login?next=${encodeURIComponent(next)}` : '/login', { kind: 'error', text: e.message });
}

passkeysPage.post(
  '/login/passkey',
  form(PasskeyLoginForm, (c) => redirectWithFlash(c, '/login', { kind: 'error', text: 'The passkey response was not sent.' })),
  async (c) => {
    const { response, next: rawNext } = c.req.valid('form');
    const next = safeNextPath(rawNext);
    try {
      let parsed: unknown;
      try {
        parsed = JSON.parse(response);
      } catch {
        parsed = null; // refused by passkeyLogin (PASSKEY_REJECTED), counted by its rate limit like any bad assertion
      }
      const { issued } = await passkeyLogin(c.var.db, c.var.config, relyingParty(c.var.config, c.req.url), parsed, clientIp(c));
      return signedIn(c, issued, next);
    } catch (e) {
      return backToLogin(c, e, next);
    }
  },
);

passkeysPage.post(
  '/login/recovery',
  form(RecoveryLoginForm, (c) => redirectWithFlash(c, '/login', { kind: 'error', text: 'Enter your email and a recovery code.' })),
  async (c) => {
    const { email, code, next: rawNext } = c.req.valid('form');
    const next = safeNextPath(rawNext);
    try {
      const { issued } = await recoveryLogin(c.var.db, c.var.config, { email, code, ip: clientIp(c) });
      return signedIn(c, issued, next);
    } catch (e) {
      return backToLogin(c, e, next);
    }
  },
);
