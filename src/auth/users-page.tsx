/**
 * /admin/users (admins only): list users; create one with a temporary password;
 * activate / deactivate; change role; revoke sessions; set a new temporary
 * password. Plain forms (no JavaScript), each with its CSRF field; every
 * action goes through the same services and audit events as /api/users.
 */
import { Hono, type Context } from 'hono';
import type { AppEnv } from '../http/types.ts';
import type { User } from '../db/schema.ts';
import { CsrfField } from '../ui/layout.tsx';
import { flashProblems, redirectWithFlash, renderPage } from '../ui/page.tsx';
import { requireAdmin } from '../http/guards.ts';
import { actorOf } from '../http/request-context.ts';
import { formAction, formatTime } from '../ui/form-action.ts';
import { PASSWORD_MIN_LENGTH } from './user-rules.ts';
import { ActiveForm, NewUserForm, RoleForm, SetPasswordBody } from './schemas.ts';
import { form, params } from '../schema/validate.ts';
import { IdParams } from '../schema/types.ts';
import { problemsText } from '../schema/problems.ts';
import { createUser, getUser, listUsers, revokeSessions, setPassword, updateUser } from './users.ts';
import { VaultError } from '../errors.ts';
import { removeUserPasskeys } from './passkeys.ts';

export const usersPage = new Hono<AppEnv>();
usersPage.use('/admin/users', requireAdmin());
usersPage.use('/admin/users/*', requireAdmin());

const BACK = '/admin/users';

function RoleSelect(props: { id: string; value: string }) {
  return (
    <select id={props.id} name="role">
      <option value="researcher" selected={props.value === 'researcher'}>
        researcher
      </option>
      <option value="admin" selected={props.value === 'admin'}>
        admin
      </option>
    </select>
  );
}

function UserRow(props: { u: User; csrf: string; self: boolean }) {
  const { u, csrf } = props;
  const base = `/admin/users/${u.id}`;
  return (
    <tr>
      <td>
        <strong>{u.email}</strong>
        {props.self && <span class="hint"> (you)</span>}
      </td>
      <td data-label="Name">{u.displayName}</td>
      <td data-label="Role">{u.role}</td>
      <td data-label="Status">{u.isActive ? <span class="badge ok">active</span> : <span class="badge err">inactive</span>}</td>
      <td data-label="Last login">{formatTime(u.lastLoginAt)}</td>
      <td>
        <details>
          <summary>Manage {u.email}</summary>
          <form method="post" action={`${base}/role`}>
            <CsrfField token={csrf} />
            <label for={`role-${u.id}`}>Role</label>
            <RoleSelect id={`role-${u.id}`} value={u.role} />
            <button type="submit" class="secondary">
              Change role
            </button>
          </form>
          <form method="post" action={`${base}/active`}>
            <CsrfField token={csrf} />
            <input type="hidden" name="is_active" value={u.isActive ? 'false' : 'true'} />
            <button type="submit" class={u.isActive ? 'danger' : ''}>
              {u.isActive ? 'Deactivate' : 'Activate'}
            </button>
          </form>
          <form method="post" action={`${base}/revoke-sessions`}>
            <CsrfField token={csrf} />
            <button type="submit" class="secondary">
              Revoke sessions
            </button>
          </form>
          <form method="post" action={`${base}/passkeys/remove`}>
            <CsrfField token={csrf} />
            <button type="submit" class="danger">
              Remove passkeys
            </button>
          </form>
          <form method="post" action={`${base}/password`}>
            <CsrfField token={csrf} />
            <label for={`password-${u.id}`}>New temporary password</label>
            <input id={`password-${u.id}`} name="password" type="password" autocomplete="new-password" minlength={PASSWORD_MIN_LENGTH} required />
            <button type="submit" class="secondary">
              Set password
            </button>
          </form>
        </details>
      </td>
    </tr>
  );
}

function CreateForm(props: { csrf: string; values: Record<string, string> }) {
  const v = props.values;
  return (
    <form method="post" action="/admin/users" class="card">
      <h2>Create a user</h2>
      <CsrfField token={props.csrf} />
      <label for="new-email">Email</label>
      <input id="new-email" name="email" type="email" autocomplete="off" required value={v.email ?? ''} />
      <label for="new-display-name">Display name</label>
      <input id="new-display-name" name="display_name" type="text" autocomplete="off" value={v.display_name ?? ''} />
      <label for="new-role">Role</label>
      <RoleSelect id="new-role" value={v.role ?? 'researcher'} />
      <label for="new-password">Temporary password</label>
      <input
        id="new-password"
        name="password"
        type="password"
        autocomplete="new-password"
        minlength={PASSWORD_MIN_LENGTH}
        required
        aria-describedby="new-password-hint"
      />
      <p class="hint" id="new-password-hint">
        At least {PASSWORD_MIN_LENGTH} characters. Give it to the user over a separate channel; they replace it at /account/password.
      </p>
      <button type="submit">Create user</button>
    </form>
  );
}

async function showPage(c: Context<AppEnv>, opts: { values?: Record<string, string>; error?: string; status?: number } = {}) {
  const rows = await listUsers(c.var.db);
  const csrf = c.var.csrfToken;
  return renderPage(
    c,
    'Users',
    <>
      <h1>Users</h1>
      <div class="table-wrap">
        <table class="stack">
          <caption class="hint">Admins manage everything; researchers manage their query designs.</caption>
          <thead>
            <tr>
              <th scope="col">Email</th>
              <th scope="col">Name</th>
              <th scope="col">Role</th>
              <th scope="col">Status</th>
              <th scope="col">Last login</th>
              <th scope="col">Actions</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((u) => (
              <UserRow u={u} csrf={csrf} self={u.id === c.var.principal?.userId} />
            ))}
          </tbody>
        </table>
      </div>
      <CreateForm csrf={csrf} values={opts.values ?? {}} />
    </>,
    { status: opts.status, error: opts.error },
  );
}

usersPage.get('/admin/users', (c) => showPage(c));

const backWithProblems = flashProblems(BACK);
const userParams = params(IdParams, 'user');

usersPage.post(
  '/admin/users',
  form(NewUserForm, (c, problems, v) =>
    showPage(c, { values: { email: v.email ?? '', display_name: v.display_name ?? '', role: v.role ?? '' }, error: problemsText(problems), status: 422 }),
  ),
  async (c) => {
    const input = c.req.valid('form');
    try {
      const user = await createUser(c.var.db, input, actorOf(c));
      return redirectWithFlash(c, BACK, { kind: 'ok', text: `Created ${user.email} (${user.role}).` });
    } catch (e) {
      if (e instanceof VaultError && e.code === 'CONFLICT') {
        return showPage(c, { values: { email: input.email, display_name: input.displayName, role: input.role }, error: e.message, status: e.status });
      }
      throw e;
    }
  },
);

usersPage.post('/admin/users/:id/role', userParams, form(RoleForm, backWithProblems), async (c) => {
  return formAction(c, BACK, async () => {
    const u = await updateUser(c.var.db, c.req.valid('param').id, { role: c.req.valid('form').role }, actorOf(c));
    return `${u.email} is now ${u.role === 'admin' ? 'an admin' : 'a researcher'}.`;
  });
});

usersPage.post('/admin/users/:id/active', userParams, form(ActiveForm, backWithProblems), async (c) => {
  return formAction(c, BACK, async () => {
    const u = await updateUser(c.var.db, c.req.valid('param').id, { isActive: c.req.valid('form').is_active }, actorOf(c));
    return `${u.email} is ${u.isActive ? 'active again' : 'deactivated; their sessions have ended'}.`;
  });
});

usersPage.post('/admin/users/:id/revoke-sessions', userParams, async (c) => {
  return formAction(c, BACK, async () => {
    const u = await revokeSessions(c.var.db, c.req.valid('param').id, actorOf(c));
    return `Every session of ${u.email} has ended.`;
  });
});

usersPage.post('/admin/users/:id/password', userParams, form(SetPasswordBody, backWithProblems), async (c) => {
  return formAction(c, BACK, async () => {
    const u = await setPassword(c.var.db, c.req.valid('param').id, c.req.valid('form').password, actorOf(c));
    return `Set a new temporary password for ${u.email}; their sessions have ended.`;
  });
});

usersPage.post('/admin/users/:id/passkeys/remove', userParams, async (c) => {
  return formAction(c, BACK, async () => {
    const u = await getUser(c.var.db, c.req.valid('param').id);
    const n = await removeUserPasskeys(c.var.db, u.id, actorOf(c));
    return `Removed ${n} passkey${n === 1 ? '' : 's'} of ${u.email}.`;
  });
});
