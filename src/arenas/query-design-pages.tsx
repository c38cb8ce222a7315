/**
 * The query design pages, server-rendered, working without JavaScript:
 *
 *   GET  /admin/query-designs              the designs this user may see + a "new design" form
 *   POST /admin/query-designs              create
 *   GET  /admin/query-designs/:id          edit: name, description, and per arena enabled + tier
 *   POST /admin/query-designs/:id          save
 *   POST /admin/query-designs/:id/delete   delete (needs the ticked confirmation box)
 *
 * The form is turned into the REST body and validated by the same parser, so
 * the registry rules (unknown arena, tier the arena lacks → 422) hold here too.
 */
import { Hono, type Context } from 'hono';
import type { AppEnv } from '../http/types.ts';
import { requireUser } from '../auth/middleware.ts';
import { isVaultError, VaultError } from '../errors.ts';
import { renderPage, redirectWithFlash } from '../ui/page.tsx';
import { CsrfField } from '../ui/layout.tsx';
import { ARENA_IDS, ARENAS, arenaTiers } from './registry.ts';
import type { ArenasConfig } from './arenas-config.ts';
import { parseDesignId, parseQueryDesign } from './query-design-input.ts';
import { queryDesignStoreFor } from './query-design-routes.ts';
import type { QueryDesignView } from './query-design-store.ts';

type FormBody = Record<string, string | File | (string | File)[]>;
const text = (f: FormBody, k: string) => (typeof f[k] === 'string' ? (f[k] as string) : '');

export const queryDesignPages = new Hono<AppEnv>();
queryDesignPages.use('/admin/query-designs', requireUser());
queryDesignPages.use('/admin/query-designs/*', requireUser());

/**
 * Builds arenas_config from the edit form: an arena is listed when it is
 * ticked or was listed before (so an unticked arena keeps its tier choice).
 */
export function arenasConfigFromForm(form: FormBody, before: ArenasConfig): unknown {
  const listed = new Set(before.arenas.map((a) => a.id as string));
  const arenas = [];
  for (const id of ARENA_IDS) {
    const enabled = text(form, `enabled_${id}`) === 'on';
    if (!enabled && !listed.has(id)) continue;
    arenas.push({ id, enabled, tier: text(form, `tier_${id}`) });
  }
  return { arenas };
}

function enabledSummary(d: QueryDesignView): string {
  const on = d.arenas_config.arenas.filter((a) => a.enabled);
  return on.length ? on.map((a) => `${ARENAS[a.id].label} (${a.tier})`).join(', ') : 'none';
}

queryDesignPages.get('/admin/query-designs', async (c) => {
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
            <tr><th scope="col">Name</th><th scope="col">Owner</th><th scope="col">Enabled arenas</th><th scope="col">Updated</th></tr>
          </thead>
          <tbody>
            {items.map((d) => (
              <tr>
                <td><a href={`/admin/query-designs/${d.id}`}>{d.name}</a></td>
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
        <input id="name" name="name" required maxlength={120} />
        <label for="description">Description</label>
        <textarea id="description" name="description" rows={3} maxlength={2000}></textarea>
        <p><button type="submit">Create</button></p>
      </form>
    </div>,
  );
});

queryDesignPages.post('/admin/query-designs', async (c) => {
  const form = await c.req.parseBody();
  try {
    const d = await queryDesignStoreFor(c).create(parseQueryDesign({ name: text(form, 'name'), description: text(form, 'description') }, false));
    return redirectWithFlash(c, `/admin/query-designs/${d.id}`, { kind: 'ok', text: `Created “${d.name}”. Now pick its arenas.` });
  } catch (e) {
    if (isVaultError(e) && e.code === 'VALIDATION_FAILED') return redirectWithFlash(c, '/admin/query-designs', { kind: 'error', text: `Not created: ${e.message}` });
    throw e;
  }
});

function EditForm(props: { d: QueryDesignView; csrf: string; posted?: FormBody }) {
  const { d, posted } = props;
  const current = new Map(d.arenas_config.arenas.map((a) => [a.id as string, a]));
  return (
    <form method="post" action={`/admin/query-designs/${d.id}`} class="card">
      <CsrfField token={props.csrf} />
      <label for="name">Name</label>
      <input id="name" name="name" required maxlength={120} value={posted ? text(posted, 'name') : d.name} />
      <label for="description">Description</label>
      <textarea id="description" name="description" rows={3} maxlength={2000}>{posted ? text(posted, 'description') : d.description}</textarea>
      <h2>Arenas</h2>
      <div class="table-wrap">
        <table>
          <thead>
            <tr><th scope="col">Arena</th><th scope="col">Enabled</th><th scope="col">Tier</th><th scope="col">Needs credentials</th></tr>
          </thead>
          <tbody>
            {ARENA_IDS.map((id) => {
              const setting = current.get(id);
              const tiers = arenaTiers(id);
              const enabled = posted ? text(posted, `enabled_${id}`) === 'on' : Boolean(setting?.enabled);
              const tier = posted ? text(posted, `tier_${id}`) : setting?.tier ?? tiers[0];
              return (
                <tr>
                  <th scope="row"><label for={`enabled_${id}`}>{ARENAS[id].label}</label></th>
                  <td><input type="checkbox" id={`enabled_${id}`} name={`enabled_${id}`} checked={enabled} /></td>
                  <td>
                    <select name={`tier_${id}`} aria-label={`${ARENAS[id].label} tier`}>
                      {tiers.map((t) => <option value={t} selected={t === tier}>{t}</option>)}
                    </select>
                  </td>
                  <td>{ARENAS[id].needsCredentials ? 'yes' : 'no'}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
      <p><button type="submit">Save</button> <a href="/admin/query-designs">Back to the list</a></p>
    </form>
  );
}

function DeleteForm(props: { d: QueryDesignView; csrf: string }) {
  return (
    <form method="post" action={`/admin/query-designs/${props.d.id}/delete`} class="card">
      <h2>Delete</h2>
      <CsrfField token={props.csrf} />
      <label><input type="checkbox" name="confirm" value="yes" required /> {`Yes, delete “${props.d.name}”`}</label>
      <p><button type="submit" class="danger">Delete query design</button></p>
    </form>
  );
}

function editPage(c: Context<AppEnv>, d: QueryDesignView, opts: { posted?: FormBody; error?: string; status?: number } = {}) {
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

queryDesignPages.get('/admin/query-designs/:id', async (c) => editPage(c, await queryDesignStoreFor(c).get(parseDesignId(c.req.param('id')))));

queryDesignPages.post('/admin/query-designs/:id', async (c) => {
  const store = queryDesignStoreFor(c);
  const before = await store.get(parseDesignId(c.req.param('id')));
  const form = await c.req.parseBody();
  try {
    const body = { name: text(form, 'name'), description: text(form, 'description'), arenas_config: arenasConfigFromForm(form, before.arenas_config) };
    const d = await store.update(before.id, parseQueryDesign(body, true));
    return redirectWithFlash(c, `/admin/query-designs/${d.id}`, { kind: 'ok', text: `Saved “${d.name}”: enabled ${enabledSummary(d)}.` });
  } catch (e) {
    if (isVaultError(e) && e.code === 'VALIDATION_FAILED') return editPage(c, before, { posted: form, error: `Not saved: ${e.message}`, status: 422 });
    throw e;
  }
});

queryDesignPages.post('/admin/query-designs/:id/delete', async (c) => {
  const store = queryDesignStoreFor(c);
  const d = await store.get(parseDesignId(c.req.param('id')));
  const form = await c.req.parseBody();
  if (text(form, 'confirm') !== 'yes') throw new VaultError('VALIDATION_FAILED', 'Tick the confirmation box to delete.', { details: { field: 'confirm' } });
  await store.delete(d.id);
  return redirectWithFlash(c, '/admin/query-designs', { kind: 'ok', text: `Deleted “${d.name}”.` });
});
