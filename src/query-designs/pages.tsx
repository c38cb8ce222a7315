/**
 * The query design pages, server-rendered, working without JavaScript:
 *
 *   GET  /admin/query-designs              the designs this user may see + a "new design" form
 *   POST /admin/query-designs              create
 *   GET  /admin/query-designs/:id          edit: name, description, and per arena enabled + tier
 *   POST /admin/query-designs/:id          save
 *   POST /admin/query-designs/:id/delete   delete (needs the ticked confirmation box)
 *
 * The forms are schemas built from the same field schemas as the REST bodies
 * (input.ts), so the registry rules (a tier the arena lacks →
 * 422) hold here too; a refused form re-renders with every problem.
 */
import { Hono, type Context } from 'hono';
import type { AppEnv } from '../http/types.ts';
import { requireUser } from '../http/guards.ts';
import { renderPage, redirectWithFlash } from '../ui/page.tsx';
import { CsrfField } from '../ui/layout.tsx';
import { form, params } from '../schema/validate.ts';
import { IdParams } from '../schema/types.ts';
import { problemsText, type FieldProblem } from '../schema/problems.ts';
import { ARENA_IDS, ARENAS, arenaTiers } from '../arenas/registry.ts';
import type { ArenasConfig } from '../arenas/arenas-config.ts';
import { QueryDesignCreateForm, QueryDesignDeleteForm, QueryDesignEditForm, type QueryDesignEditFields } from './input.ts';
import { queryDesignStoreFor } from './routes.ts';
import type { QueryDesignView } from './store.ts';

type Posted = Record<string, string>;
const text = (f: Posted, k: string) => f[k] ?? '';

export const queryDesignPages = new Hono<AppEnv>();
queryDesignPages.use('/admin/query-designs', requireUser());
queryDesignPages.use('/admin/query-designs/*', requireUser());

const designId = params(IdParams, 'query design');

/**
 * Builds arenas_config from the (validated) edit form: an arena is listed
 * when it is ticked or was listed before (so an unticked arena keeps its tier
 * choice); a listed arena whose tier was not sent keeps its tier.
 */
function arenasConfigFromForm(f: QueryDesignEditFields, before: ArenasConfig): ArenasConfig {
  const listed = new Map(before.arenas.map((a) => [a.id as string, a]));
  const arenas: ArenasConfig['arenas'] = [];
  for (const id of ARENA_IDS) {
    const enabled = f[`enabled_${id}`] === 'on';
    if (!enabled && !listed.has(id)) continue;
    arenas.push({ id, enabled, tier: f[`tier_${id}`] ?? listed.get(id)?.tier ?? arenaTiers(id)[0]! });
  }
  return { arenas };
}

function enabledSummary(d: QueryDesignView): string {
  const on = d.arenas_config.arenas.filter((a) => a.enabled);
  return on.length ? on.map((a) => `${ARENAS[a.id].label} (${a.tier})`).join(', ') : 'none';
}

/** The list with the "new design" form; a refused form comes back with its values and every problem. */
async function listPage(c: Context<AppEnv>, refused?: { posted: Posted; problems: FieldProblem[] }) {
  const { items, total } = await queryDesignStoreFor(c).list(200, 0);
  return renderPage(
    c,
    'Query designs',
    <div>
      <h1>Query designs</h1>
      <div class="card table-wrap">
        <table>
          <caption class="hint">{`${total} query design${total === 1 ? '' : 's'}`}</caption>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Owner</th>
              <th scope="col">Enabled arenas</th>
              <th scope="col">Updated</th>
            </tr>
          </thead>
          <tbody>
            {items.map((d) => (
              <tr>
                <td>
                  <a href={`/admin/query-designs/${d.id}`}>{d.name}</a>
                </td>
                <td>{`user ${d.owner_id}`}</td>
                <td>{enabledSummary(d)}</td>
                <td>{d.updated_at.slice(0, 16).replace('T', ' ')}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <form method="post" action="/admin/query-designs" class="card">
        <h2>New query design</h2>
        <CsrfField token={c.var.csrfToken} />
        <label for="name">Name</label>
        <input id="name" name="name" required maxlength={120} value={refused ? text(refused.posted, 'name') : undefined} />
        <label for="description">Description</label>
        <textarea id="description" name="description" rows={3} maxlength={2000}>
          {refused ? text(refused.posted, 'description') : ''}
        </textarea>
        <p>
          <button type="submit">Create</button>
        </p>
      </form>
    </div>,
    refused ? { status: 422, error: `Not created: ${problemsText(refused.problems)}` } : {},
  );
}

queryDesignPages.get('/admin/query-designs', async (c) => listPage(c));

queryDesignPages.post(
  '/admin/query-designs',
  form(QueryDesignCreateForm, (c, problems, posted) => listPage(c as Context<AppEnv>, { posted, problems })),
  async (c) => {
    const d = await queryDesignStoreFor(c).create(c.req.valid('form'));
    return redirectWithFlash(c, `/admin/query-designs/${d.id}`, { kind: 'ok', text: `Created “${d.name}”. Now pick its arenas.` });
  },
);

function EditForm(props: { d: QueryDesignView; csrf: string; posted?: Posted }) {
  const { d, posted } = props;
  const current = new Map(d.arenas_config.arenas.map((a) => [a.id as string, a]));
  return (
    <form method="post" action={`/admin/query-designs/${d.id}`} class="card">
      <CsrfField token={props.csrf} />
      <label for="name">Name</label>
      <input id="name" name="name" required maxlength={120} value={posted ? text(posted, 'name') : d.name} />
      <label for="description">Description</label>
      <textarea id="description" name="description" rows={3} maxlength={2000}>
        {posted ? text(posted, 'description') : d.description}
      </textarea>
      <h2>Arenas</h2>
      <div class="table-wrap">
        <table>
          <thead>
            <tr>
              <th scope="col">Arena</th>
              <th scope="col">Enabled</th>
              <th scope="col">Tier</th>
              <th scope="col">Needs credentials</th>
            </tr>
          </thead>
          <tbody>
            {ARENA_IDS.map((id) => {
              const setting = current.get(id);
              const tiers = arenaTiers(id);
              const enabled = posted ? text(posted, `enabled_${id}`) === 'on' : Boolean(setting?.enabled);
              const tier = posted ? text(posted, `tier_${id}`) : (setting?.tier ?? tiers[0]);
              return (
                <tr>
                  <th scope="row">
                    <label for={`enabled_${id}`}>{ARENAS[id].label}</label>
                  </th>
                  <td>
                    <input type="checkbox" id={`enabled_${id}`} name={`enabled_${id}`} checked={enabled} />
                  </td>
                  <td>
                    <select name={`tier_${id}`} aria-label={`${ARENAS[id].label} tier`}>
                      {tiers.map((t) => (
                        <option value={t} selected={t === tier}>
                          {t}
                        </option>
                      ))}
                    </select>
                  </td>
                  <td>{ARENAS[id].needsCredentials ? 'yes' : 'no'}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
      <p>
        <button type="submit">Save</button> <a href="/admin/query-designs">Back to the list</a>
      </p>
    </form>
  );
}

function DeleteForm(props: { d: QueryDesignView; csrf: string }) {
  return (
    <form method="post" action={`/admin/query-designs/${props.d.id}/delete`} class="card">
      <h2>Delete</h2>
      <CsrfField token={props.csrf} />
      <label>
        <input type="checkbox" name="confirm" value="yes" required /> {`Yes, delete “${props.d.name}”`}
      </label>
      <p>
        <button type="submit" class="danger">
          Delete query design
        </button>
      </p>
    </form>
  );
}

function editPage(c: Context<AppEnv>, d: QueryDesignView, opts: { posted?: Posted; error?: string; status?: number } = {}) {
  return renderPage(
    c,
    `Query design: ${d.name}`,
    <div>
      <h1>{`Query design: ${d.name}`}</h1>
      <EditForm d={d} csrf={c.var.csrfToken} posted={opts.posted} />
      <DeleteForm d={d} csrf={c.var.csrfToken} />
    </div>,
    { status: opts.status, error: opts.error },
  );
}

queryDesignPages.get('/admin/query-designs/:id', designId, async (c) => editPage(c, await queryDesignStoreFor(c).get(c.req.valid('param').id)));

/** A refused edit or delete form: the edit page again, with the posted values (none is a secret) and every problem. */
const refusedEdit = (what: string) => async (c: Context<AppEnv>, problems: FieldProblem[], posted: Posted) => {
  const before = await queryDesignStoreFor(c).get((c.req.valid as (t: 'param') => { id: number })('param').id);
  return editPage(c, before, { posted: what === 'saved' ? posted : undefined, error: `Not ${what}: ${problemsText(problems)}`, status: 422 });
};

queryDesignPages.post('/admin/query-designs/:id', designId, form(QueryDesignEditForm, refusedEdit('saved')), async (c) => {
  const store = queryDesignStoreFor(c);
  const before = await store.get(c.req.valid('param').id);
  const f = c.req.valid('form') as QueryDesignEditFields;
  const d = await store.update(before.id, { name: f.name, description: f.description ?? '', arenas_config: arenasConfigFromForm(f, before.arenas_config) });
  return redirectWithFlash(c, `/admin/query-designs/${d.id}`, { kind: 'ok', text: `Saved “${d.name}”: enabled ${enabledSummary(d)}.` });
});

queryDesignPages.post('/admin/query-designs/:id/delete', designId, form(QueryDesignDeleteForm, refusedEdit('deleted')), async (c) => {
  const store = queryDesignStoreFor(c);
  const d = await store.get(c.req.valid('param').id);
  await store.delete(d.id);
  return redirectWithFlash(c, '/admin/query-designs', { kind: 'ok', text: `Deleted “${d.name}”.` });
});
