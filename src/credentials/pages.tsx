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
 * Query strings, ids and forms go through the same validator seam and
 * schemas as the REST API (input.ts, forms.tsx). Every action ends in
 * Post/Redirect/Get with a one-shot flash message; a refused form re-renders
 * (422) with each problem next to its input, secret inputs left empty.
 * The only script (auto-submit of the platform picker) carries the CSP nonce.
 */
import { Hono, type Context, type MiddlewareHandler } from 'hono';
import { raw } from 'hono/html';
import * as v from 'valibot';
import type { AppEnv } from '../http/types.ts';
import { requireAdmin } from '../http/guards.ts';
import { PLATFORM_IDS, PLATFORMS, getPlatform, type PlatformId, type PlatformSpec } from '../arenas/registry.ts';
import { VaultError } from '../errors.ts';
import { renderPage, redirectWithFlash } from '../ui/page.tsx';
import { CsrfField } from '../ui/layout.tsx';
import { validationError, type FieldProblem } from '../schema/problems.ts';
import { blankAsUndefined, IdParams, strict } from '../schema/types.ts';
import { form, params, parseWith, query, readFormFields } from '../schema/validate.ts';
import { credentialStoreFor } from './context.ts';
import { CredentialListQuery, type NewCredentialInput } from './input.ts';
import {
  ActionForm,
  DeleteForm,
  EditForm,
  FieldInputs,
  MetaInputs,
  NewCredentialForm,
  newCredentialForm,
  problemSummary,
  secretForm,
  type FormValues,
} from './forms.tsx';
import { CredentialListView, KeyStatusBadge, PoolFacts } from './list-view.tsx';
import type { CredentialView } from './view.ts';

export const credentialPages = new Hono<AppEnv>();
credentialPages.use('/admin/credentials', requireAdmin());
credentialPages.use('/admin/credentials/*', requireAdmin());

const id = params<typeof IdParams, AppEnv>(IdParams, 'credential');

/** The id the `params` validator checked (for `onInvalid` renderers, whose context is not typed with it). */
function checkedId(c: Context<AppEnv>): number {
  return (c.req.valid as (target: 'param') => { id: number })('param').id;
}

/** Where to go after an action: a list URL the form carried, or the plain list (never off-site). */
function backTo(back: string): string {
  return /^\/admin\/credentials(\?[A-Za-z0-9_=&%.-]*)?$/.test(back) ? back : '/admin/credentials';
}

const label = (v: { credential_name: string; platform: string; tier: string }) => `“${v.credential_name}” (${v.platform}, ${v.tier})`;

/** A form that cannot be refused for its fields (only hidden inputs): a problem is the API's 422. */
const refuse = (_c: Context<AppEnv>, problems: FieldProblem[]): never => {
  throw validationError(problems);
};

credentialPages.get('/admin/credentials', query<typeof CredentialListQuery, AppEnv>(CredentialListQuery), async (c) => {
  const q = c.req.valid('query');
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
      <p>
        <button type="submit">Continue</button>
      </p>
      {/* A constant script (no data in it), so raw() is safe; jsx would escape its quotes. */}
      <script nonce={props.nonce}>{raw(PICKER_SCRIPT)}</script>
    </form>
  );
}

interface Refused {
  values?: FormValues;
  problems?: FieldProblem[];
  error?: string;
}

function renderNewForm(c: Context<AppEnv>, platform: PlatformSpec | undefined, opts: Refused = {}) {
  return renderPage(
    c,
    'Add credential',
    <div>
      <h1>Add credential</h1>
      {platform ? (
        <NewCredentialForm platform={platform} csrfToken={c.var.csrfToken} values={opts.values} problems={opts.problems} />
      ) : (
        <PlatformPicker nonce={c.get('secureHeadersNonce')} />
      )}
    </div>,
    refusedPage(opts),
  );
}

/** A refused form is a 422 whose notice lists every problem. */
function refusedPage(opts: Refused): { status?: number; error?: string } {
  if (opts.problems?.length) return { status: 422, error: problemSummary(opts.problems) };
  return opts.error ? { status: 422, error: opts.error } : {};
}

/** `?platform=` of the add page: empty is step 1 (pick one). */
const NewPageQuery = strict({ platform: blankAsUndefined(v.picklist(PLATFORM_IDS, 'must be a platform from the arena registry')) });
const newPageQuery = query<typeof NewPageQuery, AppEnv>(NewPageQuery);

/** The add form's validator for each platform (its tiers and fields make it a schema of its own). */
const NEW_FORMS = Object.fromEntries(
  PLATFORM_IDS.map((p) => [
    p,
    form<ReturnType<typeof newCredentialForm>, AppEnv>(newCredentialForm(PLATFORMS[p]), (c, problems, values) =>
      renderNewForm(c, PLATFORMS[p], { values, problems }),
    ),
  ]),
) as Record<PlatformId, MiddlewareHandler<AppEnv>>;

/** Runs the add form's validator of the platform the query names. */
const newForm: MiddlewareHandler<AppEnv, string, { out: { form: NewCredentialInput } }> = async (c, next) => {
  const platform = (c.req.valid as (target: 'query') => v.InferOutput<typeof NewPageQuery>)('query').platform;
  if (!platform) return renderNewForm(c, undefined, { error: 'Choose a platform first.' });
  return NEW_FORMS[platform](c, next);
};

credentialPages.get('/admin/credentials/new', newPageQuery, (c) => {
  const platform = c.req.valid('query').platform;
  return renderNewForm(c, platform && PLATFORMS[platform]);
});

credentialPages.post('/admin/credentials/new', newPageQuery, newForm, async (c) => {
  const view = await credentialStoreFor(c).create(c.req.valid('form'));
  return redirectWithFlash(c, '/admin/credentials', { kind: 'ok', text: `Added credential ${label(view)}, encrypted under key ${view.key_id}.` });
});

function CredentialSummary(props: { v: CredentialView }) {
  return (
    <div>
      <p>
        <strong>{props.v.credential_name}</strong> · {props.v.platform} · {props.v.tier} · <KeyStatusBadge view={props.v} />
      </p>
      <PoolFacts view={props.v} />
    </div>
  );
}

/** The registry's spec of a stored credential's platform (404 if the registry dropped it). */
function platformOf(v: CredentialView): PlatformSpec {
  const platform = getPlatform(v.platform);
  if (!platform) throw new VaultError('NOT_FOUND', `Platform ${v.platform} is no longer in the registry.`);
  return platform;
}

function renderSecretForm(c: Context<AppEnv>, v: CredentialView, opts: Refused = {}) {
  return renderPage(
    c,
    'Replace secret',
    <div>
      <h1>Replace secret</h1>
      <CredentialSummary v={v} />
      <form method="post" action={`/admin/credentials/${v.id}/secret`} class="card">
        <CsrfField token={c.var.csrfToken} />
        <p class="hint">Enter every field; the new value is encrypted under the current key.</p>
        <FieldInputs platform={platformOf(v)} values={opts.values} problems={opts.problems} />
        <p class="actions">
          <button type="submit">Replace secret</button>
          <a class="button secondary" href="/admin/credentials">
            Cancel
          </a>
        </p>
      </form>
    </div>,
    refusedPage(opts),
  );
}

credentialPages.get('/admin/credentials/:id/secret', id, async (c) => {
  return renderSecretForm(c, await credentialStoreFor(c).get(c.req.valid('param').id));
});

credentialPages.post('/admin/credentials/:id/secret', id, async (c) => {
  const store = credentialStoreFor(c);
  const before = await store.get(c.req.valid('param').id);
  // Which fields the form needs is the stored row's platform, known only after the read above.
  const values = await readFormFields(c);
  const r = parseWith(secretForm(platformOf(before)), values);
  if (!r.ok) return renderSecretForm(c, before, { values, problems: r.problems });
  const v = await store.replaceSecret(before.id, r.value.fields);
  return redirectWithFlash(c, '/admin/credentials', { kind: 'ok', text: `Replaced the secret of ${label(v)}; now under key ${v.key_id}.` });
});

function renderEditForm(c: Context<AppEnv>, v: CredentialView, opts: Refused = {}) {
  const f = opts.values;
  const values = f
    ? {
        credential_name: f.credential_name,
        daily_quota: f.daily_quota,
        monthly_quota: f.monthly_quota,
        notes: f.notes,
        max_leases: f.max_leases,
        sharing: f.sharing,
        expires_at: f.expires_at,
      }
    : {
        credential_name: v.credential_name,
        daily_quota: v.daily_quota?.toString() ?? '',
        monthly_quota: v.monthly_quota?.toString() ?? '',
        notes: v.notes ?? '',
        max_leases: String(v.max_leases),
        sharing: v.sharing,
        expires_at: v.expires_at ?? '',
      };
  return renderPage(
    c,
    'Edit credential',
    <div>
      <h1>Edit credential</h1>
      <CredentialSummary v={v} />
      <form method="post" action={`/admin/credentials/${v.id}/edit`} class="card">
        <CsrfField token={c.var.csrfToken} />
        <MetaInputs values={values} problems={opts.problems} />
        <p class="actions">
          <button type="submit">Save</button>
          <a class="button secondary" href="/admin/credentials">
            Cancel
          </a>
        </p>
      </form>
    </div>,
    refusedPage(opts),
  );
}

credentialPages.get('/admin/credentials/:id/edit', id, async (c) => {
  return renderEditForm(c, await credentialStoreFor(c).get(c.req.valid('param').id));
});

credentialPages.post(
  '/admin/credentials/:id/edit',
  id,
  form<typeof EditForm, AppEnv>(EditForm, async (c, problems, values) =>
    renderEditForm(c, await credentialStoreFor(c).get(checkedId(c)), { values, problems }),
  ),
  async (c) => {
    const v = await credentialStoreFor(c).update(c.req.valid('param').id, c.req.valid('form'));
    return redirectWithFlash(c, '/admin/credentials', { kind: 'ok', text: `Saved ${label(v)}.` });
  },
);

const actionForm = form<typeof ActionForm, AppEnv>(ActionForm, refuse);

const ACTIONS = {
  activate: { run: (s: ReturnType<typeof credentialStoreFor>, id: number) => s.setActive(id, true), done: 'Activated' },
  deactivate: { run: (s: ReturnType<typeof credentialStoreFor>, id: number) => s.setActive(id, false), done: 'Deactivated' },
  'reset-errors': { run: (s: ReturnType<typeof credentialStoreFor>, id: number) => s.resetErrors(id), done: 'Reset the errors of' },
} as const;

for (const [action, { run, done }] of Object.entries(ACTIONS)) {
  credentialPages.post(`/admin/credentials/:id/${action}`, id, actionForm, async (c) => {
    const v = await run(credentialStoreFor(c), c.req.valid('param').id);
    return redirectWithFlash(c, backTo(c.req.valid('form').back), { kind: 'ok', text: `${done} ${label(v)}.` });
  });
}

const VERIFY_TEXT = {
  ok: 'decrypts under the current key',
  needs_previous_key: 'decrypts, but only under a previous key: run a key rotation',
  undecryptable: 'does NOT decrypt',
} as const;

credentialPages.post('/admin/credentials/:id/verify', id, actionForm, async (c) => {
  const store = credentialStoreFor(c);
  const credentialId = c.req.valid('param').id;
  const r = await store.verify(credentialId);
  const v = await store.get(credentialId);
  const why = r.reason === 'key_missing' ? ` (key ${r.key_id} is not in the key ring)` : r.reason ? ` (${r.reason.replace('_', ' ')})` : '';
  const fieldNote = r.fields_valid === false ? '; its fields no longer match the registry, replace the secret' : '';
  return redirectWithFlash(c, backTo(c.req.valid('form').back), {
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
          <button type="submit" class="danger">
            Delete credential
          </button>
          <a class="button secondary" href="/admin/credentials">
            Cancel
          </a>
        </p>
      </form>
    </div>,
    { status: error ? 422 : 200, error },
  );
}

credentialPages.get('/admin/credentials/:id/delete', id, async (c) => {
  return renderDeleteConfirm(c, await credentialStoreFor(c).get(c.req.valid('param').id));
});

credentialPages.post(
  '/admin/credentials/:id/delete',
  id,
  form<typeof DeleteForm, AppEnv>(DeleteForm, async (c) =>
    renderDeleteConfirm(c, await credentialStoreFor(c).get(checkedId(c)), 'Nothing deleted: tick the confirmation box to delete.'),
  ),
  async (c) => {
    const store = credentialStoreFor(c);
    const v = await store.get(c.req.valid('param').id);
    await store.delete(v.id);
    return redirectWithFlash(c, '/admin/credentials', { kind: 'ok', text: `Deleted credential ${label(v)}.` });
  },
);
