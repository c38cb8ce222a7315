// The passkey pages' script (served from /assets/passkeys/, loaded with the
// page's CSP nonce after @simplewebauthn/browser's bundle). No secret is
// written anywhere: responses go straight to the vault.
//  - Login page (#passkey-login form): "Sign in with a passkey" asks for a
//    passkey (for the typed email, if any), then posts the response in the
//    form to /login/passkey. Where the browser supports it, conditional UI
//    offers passkeys in the email field's autofill as well.
//  - Account page (#passkey-register form): creates a passkey and registers it
//    through the JSON API, then reloads the page.
(() => {
  const lib = window.SimpleWebAuthnBrowser;

  function show(id, text) {
    const el = document.getElementById(id);
    if (!el) return;
    el.textContent = text;
    el.hidden = !text;
  }

  async function postJson(path, body) {
    const res = await fetch(path, {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify(body ?? {}),
    });
    const data = await res.json().catch(() => ({}));
    if (!res.ok) throw new Error(data?.error?.message || 'The vault refused the request.');
    return data;
  }

  function why(e) {
    if (e && e.name === 'NotAllowedError') return 'The passkey request was cancelled or timed out.';
    return e?.message || 'Something went wrong.';
  }

  // ---- login ----
  const loginForm = document.getElementById('passkey-login');
  if (loginForm && lib) {
    const button = document.getElementById('passkey-login-button');
    const email = document.getElementById('login-email');
    const field = loginForm.querySelector('input[name="response"]');

    async function signIn(autofill) {
      const typed = !autofill && email && email.value.trim() ? { email: email.value.trim() } : {};
      const optionsJSON = await postJson('/api/auth/passkeys/login/options', typed);
      const response = await lib.startAuthentication({ optionsJSON, useBrowserAutofill: autofill });
      field.value = JSON.stringify(response);
      loginForm.submit();
    }

    if (!lib.browserSupportsWebAuthn()) {
      if (button) button.disabled = true;
      show('passkey-status', 'This browser does not support passkeys.');
    } else {
      if (button) {
        button.addEventListener('click', () => {
          show('passkey-status', '');
          signIn(false).catch((e) => show('passkey-status', why(e)));
        });
      }
      lib.browserSupportsWebAuthnAutofill().then((ok) => {
        // Conditional UI: waits quietly until the person picks a passkey in autofill.
        if (ok) signIn(true).catch(() => {});
      });
    }
  }

  // ---- account: register ----
  const registerForm = document.getElementById('passkey-register');
  if (registerForm && lib) {
    registerForm.addEventListener('submit', (event) => {
      event.preventDefault();
      show('register-status', '');
      const name = registerForm.querySelector('input[name="name"]').value.trim();
      (async () => {
        const optionsJSON = await postJson('/api/auth/passkeys/register/options');
        const response = await lib.startRegistration({ optionsJSON });
        await postJson('/api/auth/passkeys/register/verify', { response, name: name || null });
        window.location.reload();
      })().catch((e) => show('register-status', why(e)));
    });
  }
})();
