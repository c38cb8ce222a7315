/**
 * /admin/api-keys (admins only): list machine keys, create one (the key is
 * shown once, in the response to the create form, and never again: it is not
 * put in a redirect, a cookie or a log), revoke one. Plain forms, no JavaScript.
 */
import { Hono, type Context } from 'hono';
import type { AppEnv } from '../http/types.ts';
import type { ApiKeyRow, User } from '../db/schema.ts';
import { VaultError } from '../errors.ts';
import { CsrfField } from '../ui/layout.tsx';
import { renderPage } from '../ui/page.tsx';
import { requireAdmin } from '../http/guards.ts';
import { actorOf } from '../http/request-context.ts';
import { formAction, formatTime } from '../ui/form-action.ts';
import { apiKeyStatus } from './api-keys.ts';
import { NewApiKeyForm } from './schemas.ts';
import { form, params, readFormFields } from '../schema/validate.ts';
import { IdParams } from '../schema/types.ts';
import { problemsText } from '../schema/problems.ts';
import { createApiKey, listApiKeys, revokeApiKey, type KeyCreator } from './api-key-repository.ts';
import { listUsers } from './users.ts';

export const apiKeysPage = new Hono<AppEnv>();
apiKeysPage.use('/admin/api-keys', requireAdmin());
apiKeysPage.use('/admin/api-keys/*', requireAdmin());

const BACK = '/admin/api-keys';

function KeyRow(props: { k: ApiKeyRow; creator: KeyCreator | null; owner: string; csrf: string; now: number }) {
  const { k, creator } = props;
  const status = apiKeyStatus(k, props.now);
  return (
    <tr>
      <td>
        <strong>{k.name}</strong>
      </td>
      <td data-label="Scope">{k.scope}</td>
      <td data-label="Acts for">{props.owner}</td>
      <td data-label="Key">
        <code>{`av_${k.keyPrefix}_…`}</code>
      </td>
      <td data-label="Created">
        {formatTime(k.createdAt)}
        <br />
        <span class="hint">by {creator ? creator.email : 'a script'}</span>
        {creator && !creator.stillAdmin && <span class="badge warn">creator no longer an admin</span>}
      </td>
      <td data-label="Expires">{k.expiresAt === null ? 'never' : formatTime(k.expiresAt)}</td>
      <td data-label="Last used">{formatTime(k.lastUsedAt)}</td>
      <td data-label="Status">
        {status === 'revoked' && <span class="badge err">revoked {formatTime(k.revokedAt)}</span>}
        {status === 'expired' && <span class="badge err">expired</span>}
        {status !== 'revoked' && (
          <form method="post" action={`/admin/api-keys/${k.id}/revoke`}>
            <CsrfField token={props.csrf} />
            <button type="submit" class="danger" aria-label={`Revoke ${k.name}`}>
              Revoke
            </button>
          </form>
        )}
      </td>
    </tr>
  );
}

function CreateForm(props: { csrf: string; users: User[]; values: Record<string, string> }) {
  const v = props.values;
  return (
    <form method="post" action="/admin/api-keys" class="card">
      <h2>Create an API key</h2>
      <CsrfField token={props.csrf} />
      <label for="key-name">Name</label>
      <input id="key-name" name="name" type="text" autocomplete="off" required maxlength={100} value={v.name ?? ''} aria-describedby="key-name-hint" />
      <p class="hint" id="key-name-hint">
        What uses it, e.g. “reddit collector, host 3”.
      </p>
      <label for="key-scope">Scope</label>
      <select id="key-scope" name="scope">
        <option value="collector" selected={v.scope !== 'admin'}>
          collector: the credential pool only
        </option>
        <option value="admin" selected={v.scope === 'admin'}>
          admin: everything an admin can do
        </option>
      </select>
      <label for="key-user">Acts for</label>
      <select id="key-user" name="user_id">
        <option value="">a service (no user)</option>
        {props.users.map((u) => (
          <option value={String(u.id)} selected={v.user_id === String(u.id)}>
            {u.email}
          </option>
        ))}
      </select>
      <label for="key-expires">Expires (optional)</label>
      <input id="key-expires" name="expires_at" type="date" value={v.expires_at ?? ''} aria-describedby="key-expires-hint" />
      <p class="hint" id="key-expires-hint">
        The key is refused after the end of this day (UTC). Leave empty for no expiry.
      </p>
      <p>
        <button type="submit">Create key</button>
      </p>
    </form>
  );
}

async function showPage(
  c: Context<AppEnv>,
  opts: { created?: { name: string; key: string }; error?: string; values?: Record<string, string>; status?: number } = {},
) {
  const [keys, users] = await Promise.all([listApiKeys(c.var.db), listUsers(c.var.db)]);
  const emailOf = new Map(users.map((u) => [u.id, u.email]));
  const csrf = c.var.csrfToken;
  const now = Date.now();
  return renderPage(
    c,
    'API keys',
    <>
      <h1>API keys</h1>
      <p class="hint">
        Machines send <code>Authorization: ApiKey &lt;key&gt;</code>. Only a hash of each key is stored.
      </p>
      {opts.created && (
        <div class="notice warning" role="status">
          <p>
            <strong>Copy the key for “{opts.created.name}” now.</strong> It is shown only this once.
          </p>
          <label for="new-key">New API key</label>
          <input id="new-key" type="text" readonly value={opts.created.key} autocomplete="off" spellcheck={false} />
        </div>
      )}
      <div class="table-wrap">
        <table class="stack">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Scope</th>
              <th scope="col">Acts for</th>
              <th scope="col">Key</th>
              <th scope="col">Created</th>
              <th scope="col">Expires</th>
              <th scope="col">Last used</th>
              <th scope="col">Status</th>
            </tr>
          </thead>
          <tbody>
            {keys.map(({ row: k, creator }) => (
              <KeyRow k={k} creator={creator} now={now} csrf={csrf} owner={k.userId === null ? 'service' : (emailOf.get(k.userId) ?? `user ${k.userId}`)} />
            ))}
          </tbody>
        </table>
      </div>
      <CreateForm csrf={csrf} users={users.filter((u) => u.isActive)} values={opts.values ?? {}} />
    </>,
    { status: opts.status, error: opts.error },
  );
}

apiKeysPage.get('/admin/api-keys', (c) => showPage(c));

apiKeysPage.post(
  '/admin/api-keys',
  form(NewApiKeyForm, (c, problems, values) => showPage(c, { error: problemsText(problems), values, status: 422 })),
  async (c) => {
    try {
      const created = await createApiKey(c.var.db, c.req.valid('form'), c.var.principal?.userId ?? null, actorOf(c));
      return showPage(c, { created, status: 201 });
    } catch (e) {
      // The store's own refusals (no such user; an admin-scope key for a non-admin): the form again, filled in, like the schema's.
      if (e instanceof VaultError && e.code === 'VALIDATION_FAILED')
        return showPage(c, { error: e.message, values: await readFormFields(c), status: e.status });
      throw e;
    }
  },
);

apiKeysPage.post('/admin/api-keys/:id/revoke', params(IdParams, 'API key'), async (c) => {
  return formAction(c, BACK, async () => {
    const k = await revokeApiKey(c.var.db, c.req.valid('param').id, actorOf(c));
    return `Revoked “${k.name}”. Machines using it are refused from now on.`;
  });
});
