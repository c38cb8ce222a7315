/**
 * /admin/recovery: the lost-key procedure as a page (admins; works without
 * JavaScript). It shows which key ids are missing and what they hold, then
 * the three ways forward:
 *   (a) "I have the old key": add it as CREDENTIAL_ENCRYPTION_KEY_PREVIOUS and
 *       press "Check again" (POST /admin/recovery/check): the rows become readable;
 *   (b) "The key is gone": type the phrase, purge (POST /admin/recovery/purge);
 *   (c) after re-entering credentials: re-enable exactly what a purge disabled
 *       (POST /admin/recovery/:id/reenable).
 */
import { Hono, type Context } from 'hono';
import type { AppEnv } from '../http/types.ts';
import { requireAdmin } from '../http/guards.ts';
import { isVaultError } from '../errors.ts';
import { renderPage, redirectWithFlash } from '../ui/page.tsx';
import { CsrfField } from '../ui/layout.tsx';
import { ARENAS, isArenaId } from '../arenas/registry.ts';
import type { DisabledArena } from '../arenas/arenas-config.ts';
import { PURGE_CONFIRMATION, PurgeForm } from './plan.ts';
import type { RecoveryStatus } from './schemas.ts';
import { recoveryStoreFor } from './context.ts';
import { actorOf } from '../http/request-context.ts';
import { form, params } from '../schema/validate.ts';
import { IdParams } from '../schema/types.ts';
import { problemsText } from '../schema/problems.ts';

export const recoveryPages = new Hono<AppEnv>();
recoveryPages.use('/admin/recovery', requireAdmin());
recoveryPages.use('/admin/recovery/*', requireAdmin());

const arenaLabel = (d: DisabledArena) => `${isArenaId(d.arena) ? ARENAS[d.arena].label : d.arena} (${d.tier}) in query design ${d.query_design_id}`;

function KeyTable(props: { s: RecoveryStatus }) {
  return (
    <div class="table-wrap">
      <table>
        <caption class="hint">Credential rows per key id</caption>
        <thead>
          <tr>
            <th scope="col">Key id</th>
            <th scope="col">Status</th>
            <th scope="col">Rows</th>
          </tr>
        </thead>
        <tbody>
          {props.s.keys.map((k) => (
            <tr>
              <td>
                <code>{k.key_id}</code>
              </td>
              <td>
                <span class={`badge ${k.status === 'missing' ? 'err' : k.status === 'previous' ? 'warn' : 'ok'}`}>
                  {k.status === 'missing' ? 'missing: unreadable' : k.status === 'previous' ? 'previous key: readable' : 'current key'}
                </span>
              </td>
              <td>{k.rows}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function RecoveryPage(props: { s: RecoveryStatus; csrf: string }) {
  const { s, csrf } = props;
  const missing = s.missing_keys;
  return (
    <div>
      <h1>Lost-key recovery</h1>
      <div class="card">
        <h2>Where things stand</h2>
        {missing.length ? (
          <p>
            {missing.map((m) => `${m.rows} row${m.rows === 1 ? '' : 's'} under missing key ${m.key_id}`).join('; ')}. These credentials cannot be decrypted
            until that key is back in the key ring. Everything else keeps working.
          </p>
        ) : (
          <p>Every credential row is under a key in the key ring: nothing is unrecoverable.</p>
        )}
        {s.keys.length > 0 && <KeyTable s={s} />}
        {missing.map((m) => (
          <p class="hint">
            {`Key ${m.key_id} holds: `}
            {m.by_platform.map((p) => `${p.platform} ${p.tier} (${p.rows})`).join(', ')}
          </p>
        ))}
      </div>

      <div class="card">
        <h2>(a) I have the old key</h2>
        <ol>
          <li>
            Add it as a previous key (comma-separate it from any previous key already set). In production:
            <pre>wrangler secret put CREDENTIAL_ENCRYPTION_KEY_PREVIOUS</pre>
            Locally, in <code>.dev.vars</code>: <code>CREDENTIAL_ENCRYPTION_KEY_PREVIOUS=&lt;old key&gt;</code>, then restart <code>wrangler dev</code>.
          </li>
          <li>Press “Check again”: rows under that key move from “missing” to “previous key: readable”.</li>
          <li>
            Then rotate, so they move to the current key: <a href="/admin/rotation">Key rotation</a>.
          </li>
        </ol>
        <form method="post" action="/admin/recovery/check">
          <CsrfField token={csrf} />
          <button type="submit" class="secondary">
            Check again
          </button>
        </form>
      </div>

      <div class="card">
        <h2>(b) The key is gone</h2>
        <p>
          Purging deletes only the unrecoverable rows and switches off, in every query design, the arenas that lose their last usable credential. The vault
          records exactly which, so you can switch them back on after re-entering the credentials. Users, query designs and other credentials are untouched.
        </p>
        {s.purge_preview.rows > 0 && (
          <p>
            {`Purging every missing-key row now deletes ${s.purge_preview.rows} row${s.purge_preview.rows === 1 ? '' : 's'} and disables `}
            {s.purge_preview.disabled_arenas.length ? s.purge_preview.disabled_arenas.map(arenaLabel).join('; ') : 'no arena'}.
          </p>
        )}
        <form method="post" action="/admin/recovery/purge">
          <CsrfField token={csrf} />
          <fieldset>
            <legend>What to purge</legend>
            <label>
              <input type="radio" name="scope" value="all" checked /> Every unrecoverable row (missing key, or does not decrypt under its key)
            </label>
            {missing.map((m) => (
              <label>
                <input type="radio" name="scope" value={`key:${m.key_id}`} /> {`Only the ${m.rows} row${m.rows === 1 ? '' : 's'} under missing key ${m.key_id}`}
              </label>
            ))}
          </fieldset>
          <label for="confirm">
            Type <code>{PURGE_CONFIRMATION}</code> to confirm
          </label>
          <input id="confirm" name="confirm" autocomplete="off" required />
          <p>
            <button type="submit" class="danger">
              Purge unrecoverable credentials
            </button>
          </p>
        </form>
      </div>

      <div class="card">
        <h2>(c) Re-enable arenas after re-entering credentials</h2>
        {s.actions.length === 0 ? (
          <p>No purge has been made.</p>
        ) : (
          <div class="table-wrap">
            <table class="stack">
              <thead>
                <tr>
                  <th scope="col">When</th>
                  <th scope="col">By</th>
                  <th scope="col">Keys</th>
                  <th scope="col">Rows purged</th>
                  <th scope="col">Arenas disabled</th>
                  <th scope="col">Re-enabled</th>
                </tr>
              </thead>
              <tbody>
                {s.actions.map((a) => (
                  <tr>
                    <td data-label="When">{a.at.slice(0, 16).replace('T', ' ')}</td>
                    <td data-label="By">{a.actor}</td>
                    <td data-label="Keys">{a.key_ids.join(', ')}</td>
                    <td data-label="Rows purged">{a.purged_count}</td>
                    <td data-label="Arenas disabled">{a.disabled_arenas.length ? a.disabled_arenas.map(arenaLabel).join('; ') : 'none'}</td>
                    <td data-label="Re-enabled">
                      {a.reenabled_at ? (
                        a.reenabled_at.slice(0, 16).replace('T', ' ')
                      ) : a.disabled_arenas.length ? (
                        <form method="post" action={`/admin/recovery/${a.id}/reenable`}>
                          <CsrfField token={csrf} />
                          <button type="submit">{`Re-enable these ${a.disabled_arenas.length}`}</button>
                        </form>
                      ) : (
                        '—'
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </div>
    </div>
  );
}

recoveryPages.get('/admin/recovery', async (c) => renderPage(c, 'Recovery', <RecoveryPage s={await recoveryStoreFor(c).status()} csrf={c.var.csrfToken} />));

recoveryPages.post('/admin/recovery/check', async (c) => {
  const s = await recoveryStoreFor(c).check(actorOf(c));
  const previousRows = s.keys.filter((k) => k.status === 'previous').reduce((n, k) => n + k.rows, 0);
  const stillMissing = s.missing_keys.reduce((n, m) => n + m.rows, 0);
  return redirectWithFlash(c, '/admin/recovery', {
    kind: stillMissing ? 'info' : 'ok',
    text: `${previousRows} row${previousRows === 1 ? ' is' : 's are'} readable under previous keys; ${stillMissing} still under missing keys.`,
  });
});

recoveryPages.post(
  '/admin/recovery/purge',
  form(PurgeForm, (c, problems) =>
    redirectWithFlash(c as Context<AppEnv>, '/admin/recovery', { kind: 'error', text: `Nothing purged: ${problemsText(problems)}.` }),
  ),
  async (c) => {
    try {
      const { action } = await recoveryStoreFor(c).purge(c.req.valid('form'), actorOf(c));
      return redirectWithFlash(c, '/admin/recovery', {
        kind: 'ok',
        text: `Purged ${action.purged_count} unrecoverable credential${action.purged_count === 1 ? '' : 's'}; disabled ${action.disabled_arenas.length} arena setting${action.disabled_arenas.length === 1 ? '' : 's'}. Re-enter the credentials, then re-enable them below.`,
      });
    } catch (e) {
      if (isVaultError(e) && (e.code === 'VALIDATION_FAILED' || e.code === 'CONFLICT')) {
        return redirectWithFlash(c, '/admin/recovery', { kind: 'error', text: `Nothing purged: ${e.message}` });
      }
      throw e;
    }
  },
);

recoveryPages.post('/admin/recovery/:id/reenable', params(IdParams, 'recovery action'), async (c) => {
  try {
    const r = await recoveryStoreFor(c).reenable(c.req.valid('param').id, actorOf(c));
    const warn = r.still_without_credentials.length ? ` Still without a usable credential: ${r.still_without_credentials.map(arenaLabel).join('; ')}.` : '';
    return redirectWithFlash(c, '/admin/recovery', {
      kind: warn ? 'info' : 'ok',
      text: `Re-enabled ${r.reenabled.length} arena setting${r.reenabled.length === 1 ? '' : 's'}.${warn}`,
    });
  } catch (e) {
    if (isVaultError(e) && e.code === 'CONFLICT') return redirectWithFlash(c, '/admin/recovery', { kind: 'error', text: e.message });
    throw e;
  }
});
