/**
 * Admin pages for credentials, server-rendered, working without JavaScript:
 *
 *   GET  /admin/credentials                   table + filters + paging
 *   GET  /admin/credentials/new[?platform=]   step 1 pick a platform (GET), step 2 its form
 *   POST /admin/credentials/new?platform=     create
 *   GET|POST /admin/credentials/:id/secret    replace the secret
 *   GET|POST /admin/credentials/:id/edit      name, quotas, notes
 *   POST /admin/credentials/:id/{activate,deactivate,reset-errors,verify}
 *   GET|POST /admin/credentials/:id/delete    confirmation page; the POST needs the ticked box
 *
 * Every action ends in Post/Redirect/Get with a one-shot flash message; a
 * validation error re-renders the form (422) with secret inputs left empty.
 * The only script (auto-submit of the platform picker) carries the CSP nonce.
 */
import { Hono, type Context } from 'hono';
import { raw } from 'hono/html';
import type { AppEnv } from '../http/types.ts';
import { requireAdmin } from '../auth/middleware.ts';
import { PLATFORM_IDS, PLATFORMS, getPlatform, type PlatformSpec } from '../arenas/registry.ts';
import { isVaultError, VaultError } from '../errors.ts';
import { renderPage, redirectWithFlash } from '../ui/page.tsx';
import { CsrfField } from '../ui/layout.tsx';
import { credentialStoreFor } from './context.ts';
import { parseCredentialId, parseCredentialListQuery, parseCredentialPatch, parseNewCredential } from './input.ts';
import { FieldInputs, MetaInputs, NewCredentialForm, fieldsFromForm, formText, newCredentialBodyFromForm, patchBodyFromForm, type FormBody } from './forms.tsx';
import { CredentialListView, KeyStatusBadge } from './list-view.tsx';
import type { CredentialView } from './view.ts';

export const credentialPages = new Hono<AppEnv>();
credentialPages.use('/admin/credentials', requireAdmin());
credentialPages.use('/admin/credentials/*', requireAdmin());

/** Where to go after an action: a list URL the form carried, or the plain list (never off-site). */
function backTo(form: FormBody): string {
  const b = formText(form, 'back');
  return /^\/admin\/credentials(\?[A-Za-z0-9_=&%.-]*)?$/.test(b) ? b : '/admin/credentials';
}

const label = (v: { credential_name: string; platform: string; tier: string }) => `“${v.credential_name}” (${v.platform}, ${v.tier})`;

/** Runs a form action; a 422 re-renders via `onInvalid`, other errors go to the error page. */
async function orInvalid(run: () => Promise<Response>, onInvalid: (e: VaultError) => Response | Promise<Response>) {
  try {
    return await run();
  } catch (e) {
    if (isVaultError(e) && e.code === 'VALIDATION_FAILED') return onInvalid(e);
    throw e;
  }
}

credentialPages.get('/admin/credentials', async (c) => {
  const q = parseCredentialListQuery(c.req.query());
  const page = await credentialStoreFor(c).list(q);
  return renderPage(c, 'Credentials', <CredentialListView page={page} q={q} csrf={c.var.csrfToken} />);
});

const PICKER_SCRIPT = "document.getElementById('platform').addEventListener('change',function(e){if(e.target.value)e.target.form.submit()});";

function PlatformPicker(props: { nonce?: string }) {
  return (
    <form method="get" action="/admin/credentials/new" class="card">
      <label for="platform">Platform</label>
      <select id="platform" name="platform" required>
        <option value="">Choose a platform…</option>
        {PLATFORM_IDS.map((p) => (
          <option value={p}>{`${PLATFORMS[p].label} (${PLATFORMS[p].tiers.join(', ')})`}</option>
        ))}
      </select>
      <p><button type="submit">Continue</button></p>
      {/* A constant script (no data in it), so raw() is safe; jsx would escape its quotes. */}
      <script nonce={props.nonce}>{raw(PICKER_SCRIPT)}</script>
    </form>
  );
}

function renderNewForm(c: Context<AppEnv>, platform: PlatformSpec | undefined, opts: { values?: FormBody; error?: string; status?: number } = {}) {
  return renderPage(
    c,
    'Add credential',
    <div>
      <h1>Add credential</h1>
      {platform ? (
        <NewCredentialForm platform={platform} csrfToken={c.var.csrfToken} values={opts.values} />
      ) : (
        <PlatformPicker nonce={c.get('secureHeadersNonce')} />
      )}
    </div>,
    { status: opts.status, error: opts.error },
  );
}

function platformParam(c: Context<AppEnv>): PlatformSpec | undefined {
  const id = c.req.query('platform');
  if (!id) return undefined;
  const p = getPlatform(id);
  if (!p) throw new VaultError('VALIDATION_FAILED', 'platform: unknown platform', { details: { field: 'platform' } });
  return p;
}

credentialPages.get('/admin/credentials/new', (c) => renderNewForm(c, platformParam(c)));

credentialPages.post('/admin/credentials/new', async (c) => {
  const platform = platformParam(c);
  if (!platform) return renderNewForm(c, undefined, { error: 'Choose a platform first.', status: 422 });
  const form = await c.req.parseBody();
  return orInvalid(
    async () => {
      const view = await credentialStoreFor(c).create(parseNewCredential(newCredentialBodyFromForm(platform, form)));
      return redirectWithFlash(c, '/admin/credentials', { kind: 'ok', text: `Added credential ${label(view)}, encrypted under key ${view.key_id}.` });
    },
    (e) => renderNewForm(c, platform, { values: form, error: `Not saved: ${e.message}`, status: 422 }),
  );
});

function CredentialSummary(props: { v: CredentialView }) {
  return (
    <p>
      <strong>{props.v.credential_name}</strong> · {props.v.platform} · {props.v.tier} · <KeyStatusBadge view={props.v} />
    </p>
  );
}

function renderSecretForm(c: Context<AppEnv>, v: CredentialView, opts: { error?: string; status?: number; values?: FormBody } = {}) {
  const platform = getPlatform(v.platform);
  if (!platform) throw new VaultError('NOT_FOUND', `Platform ${v.platform} is no longer in the registry.`);
  return renderPage(
    c,
    'Replace secret',
    <div>
      <h1>Replace secret</h1>
      <CredentialSummary v={v} />
      <form method="post" action={`/admin/credentials/${v.id}/secret`} class="card">
        <CsrfField token={c.var.csrfToken} />
        <p class="hint">Enter every field; the new value is encrypted under the current key.</p>
        <FieldInputs platform={platform} values={opts.values} />
        <p class="actions">
          <button type="submit">Replace secret</button>
          <a class="button secondary" href="/admin/credentials">Cancel</a>
        </p>
      </form>
    </div>,
    { status: opts.status, error: opts.error },
  );
}

credentialPages.get('/admin/credentials/:id/secret', async (c) => {
  const v = await credentialStoreFor(c).get(parseCredentialId(c.req.param('id')));
  return renderSecretForm(c, v);
});

credentialPages.post('/admin/credentials/:id/secret', async (c) => {
  const id = parseCredentialId(c.req.param('id'));
  const store = credentialStoreFor(c);
  const before = await store.get(id);
  const form = await c.req.parseBody();
  const platform = getPlatform(before.platform)!;
  return orInvalid(
    async () => {
      const v = await store.replaceSecret(id, { fields: fieldsFromForm(platform, form) });
      return redirectWithFlash(c, '/admin/credentials', { kind: 'ok', text: `Replaced the secret of ${label(v)}; now under key ${v.key_id}.` });
    },
    (e) => renderSecretForm(c, before, { error: `Not saved: ${e.message}`, status: 422, values: form }),
  );
});

function renderEditForm(c: Context<AppEnv>, v: CredentialView, opts: { error?: string; status?: number; values?: FormBody } = {}) {
  const f = opts.values;
  const values = f
    ? { credential_name: formText(f, 'credential_name'), daily_quota: formText(f, 'daily_quota'), monthly_quota: formText(f, 'monthly_quota'), notes: formText(f, 'notes'), max_leases: formText(f, 'max_leases') }
    : { credential_name: v.credential_name, daily_quota: v.daily_quota?.toString() ?? '', monthly_quota: v.monthly_quota?.toString() ?? '', notes: v.notes ?? '', max_leases: String(v.max_leases) };
  return renderPage(
    c,
    'Edit credential',
    <div>
      <h1>Edit credential</h1>
      <CredentialSummary v={v} />
      <form method="post" action={`/admin/credentials/${v.id}/edit`} class="card">
        <CsrfField token={c.var.csrfToken} />
        <MetaInputs values={values} />
        <p class="actions">
          <button type="submit">Save</button>
          <a class="button secondary" href="/admin/credentials">Cancel</a>
        </p>
      </form>
    </div>,
    { status: opts.status, error: opts.error },
  );
}

credentialPages.get('/admin/credentials/:id/edit', async (c) => {
  const v = await credentialStoreFor(c).get(parseCredentialId(c.req.param('id')));
  return renderEditForm(c, v);
});

credentialPages.post('/admin/credentials/:id/edit', async (c) => {
  const id = parseCredentialId(c.req.param('id'));
  const store = credentialStoreFor(c);
  const before = await store.get(id);
  const form = await c.req.parseBody();
  return orInvalid(
    async () => {
      const v = await store.update(id, parseCredentialPatch(patchBodyFromForm(form)));
      return redirectWithFlash(c, '/admin/credentials', { kind: 'ok', text: `Saved ${label(v)}.` });
    },
    (e) => renderEditForm(c, before, { error: `Not saved: ${e.message}`, status: 422, values: form }),
  );
});

const ACTIONS = {
  activate: { run: (s: ReturnType<typeof credentialStoreFor>, id: number) => s.setActive(id, true), done: 'Activated' },
  deactivate: { run: (s: ReturnType<typeof credentialStoreFor>, id: number) => s.setActive(id, false), done: 'Deactivated' },
  'reset-errors': { run: (s: ReturnType<typeof credentialStoreFor>, id: number) => s.resetErrors(id), done: 'Reset the errors of' },
} as const;

for (const [action, { run, done }] of Object.entries(ACTIONS)) {
  credentialPages.post(`/admin/credentials/:id/${action}`, async (c) => {
    const v = await run(credentialStoreFor(c), parseCredentialId(c.req.param('id')));
    return redirectWithFlash(c, backTo(await c.req.parseBody()), { kind: 'ok', text: `${done} ${label(v)}.` });
  });
}

const VERIFY_TEXT = {
  ok: 'decrypts under the current key',
  needs_previous_key: 'decrypts, but only under a previous key: run a key rotation',
  undecryptable: 'does NOT decrypt',
} as const;

credentialPages.post('/admin/credentials/:id/verify', async (c) => {
  const store = credentialStoreFor(c);
  const id = parseCredentialId(c.req.param('id'));
  const r = await store.verify(id);
  const v = await store.get(id);
  const why = r.reason === 'key_missing' ? ` (key ${r.key_id} is not in the key ring)` : r.reason ? ` (${r.reason.replace('_', ' ')})` : '';
  const fieldNote = r.fields_valid === false ? '; its fields no longer match the registry, replace the secret' : '';
  return redirectWithFlash(c, backTo(await c.req.parseBody()), {
    kind: r.result === 'ok' && r.fields_valid ? 'ok' : 'error',
    text: `Verify ${label(v)}: ${VERIFY_TEXT[r.result]}${why}${fieldNote}.`,
  });
});

function renderDeleteConfirm(c: Context<AppEnv>, v: CredentialView, error?: string) {
  return renderPage(
    c,
    'Delete credential',
    <div>
      <h1>Delete credential?</h1>
      <CredentialSummary v={v} />
      <form method="post" action={`/admin/credentials/${v.id}/delete`} class="card">
        <CsrfField token={c.var.csrfToken} />
        <p>The encrypted value is removed for good; collectors can no longer lease it.</p>
        <label>
          <input type="checkbox" name="confirm" value="yes" required /> I understand this deletes “{v.credential_name}” permanently
        </label>
        <p class="actions">
          <button type="submit" class="danger">Delete credential</button>
          <a class="button secondary" href="/admin/credentials">Cancel</a>
        </p>
      </form>
    </div>,
    { status: error ? 422 : 200, error },
  );
}

credentialPages.get('/admin/credentials/:id/delete', async (c) => {
  const v = await credentialStoreFor(c).get(parseCredentialId(c.req.param('id')));
  return renderDeleteConfirm(c, v);
});

credentialPages.post('/admin/credentials/:id/delete', async (c) => {
  const id = parseCredentialId(c.req.param('id'));
  const store = credentialStoreFor(c);
  const v = await store.get(id);
  if (formText(await c.req.parseBody(), 'confirm') !== 'yes') {
    return renderDeleteConfirm(c, v, 'Nothing deleted: tick the confirmation box to delete.');
  }
  await store.delete(id);
  return redirectWithFlash(c, '/admin/credentials', { kind: 'ok', text: `Deleted credential ${label(v)}.` });
});
