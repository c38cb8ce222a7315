/**
 * The admin page for credential-key rotation, server-rendered and working
 * without JavaScript:
 *
 *   GET  /admin/rotation         key ids, rows per key, status, checklist, start/abort forms
 *   POST /admin/rotation/start   needs the ticked confirmation box (requests.ts: StartRotationForm)
 *   POST /admin/rotation/abort
 *
 * A small nonce'd script polls GET /api/admin/rotations/credential-key to
 * move the progress bar and reloads the page when the rotation ends; it also
 * adds "Copy" buttons to the commands. Without it, "Refresh" does the same.
 */
import { Hono, type Context } from 'hono';
import { raw } from 'hono/html';
import type { AppEnv } from '../http/types.ts';
import { requireAdmin } from '../http/guards.ts';
import { isVaultError } from '../errors.ts';
import { renderPage, redirectWithFlash } from '../ui/page.tsx';
import { CsrfField } from '../ui/layout.tsx';
import { countRowsByKeyId } from '../credentials/repository.ts';
import { abortRotation, rotationStatus, startRotation } from './service.ts';
import type { RotationStatus } from './status.ts';
import { form } from '../schema/validate.ts';
import { problemsText, type FieldProblem } from '../schema/problems.ts';
import { AbortRotationForm, StartRotationForm } from './requests.ts';
import { isActivePhase, type Phase } from './state-machine.ts';

export const rotationPages = new Hono<AppEnv>();
rotationPages.use('/admin/rotation', requireAdmin());
rotationPages.use('/admin/rotation/*', requireAdmin());

const PHASE_TEXT: Record<Phase, string> = {
  idle: 'No rotation has run yet',
  locking: 'Locking collection',
  draining: 'Waiting for outstanding leases to end',
  verifying: 'Verifying that every row decrypts',
  reencrypting: 'Re-encrypting',
  checking: 'Checking that no row needs an old key',
  done: 'Done',
  failed: 'Failed',
  aborted: 'Aborted',
};

const POLL_SCRIPT = `(function(){
var live=document.getElementById('rotation-live');
document.querySelectorAll('pre[data-copy]').forEach(function(pre){
  if(!navigator.clipboard)return;var b=document.createElement('button');b.type='button';b.className='secondary';b.textContent='Copy';
  b.addEventListener('click',function(){navigator.clipboard.writeText(pre.textContent.trim()).then(function(){b.textContent='Copied';setTimeout(function(){b.textContent='Copy'},1500)})});
  pre.insertAdjacentElement('afterend',b);
});
if(!live||live.getAttribute('data-active')!=='true')return;
var bar=document.getElementById('rotation-bar'),text=document.getElementById('rotation-count'),phase=document.getElementById('rotation-phase');
var ended=['idle','done','failed','aborted'];
function tick(){fetch('/api/admin/rotations/credential-key',{credentials:'same-origin',headers:{accept:'application/json'}})
.then(function(r){return r.ok?r.json():null}).then(function(s){
 if(!s){setTimeout(tick,3000);return}
 if(ended.indexOf(s.phase)>=0){location.reload();return}
 phase.textContent=s.phase;bar.max=Math.max(1,s.total);bar.value=s.done;
 text.textContent=s.done+' of '+s.total+' re-encrypted, '+s.skipped+' skipped, '+s.failed+' failed ('+s.verified+' verified)';
 setTimeout(tick,1000)}).catch(function(){setTimeout(tick,3000)})}
setTimeout(tick,1000)})();`;

function Command(props: { text: string }) {
  return (
    <pre data-copy="">
      <code>{props.text}</code>
    </pre>
  );
}

function keyStatus(keyId: string, status: RotationStatus): string {
  if (keyId === status.ring.current_key_id) return 'current';
  return status.ring.previous_key_ids.includes(keyId) ? 'previous' : 'missing from the ring';
}

/** Which vault runs this page: the Worker (on Cloudflare or under `wrangler dev`) or the self-hosted Deno edition. */
export type Edition = 'worker' | 'deno';

/** workerd names itself `Cloudflare-Workers` (the Deno edition runs this same code in Deno, which says `Deno/...`). */
export function runtimeEdition(userAgent = globalThis.navigator?.userAgent ?? ''): Edition {
  return userAgent.startsWith('Cloudflare-Workers') ? 'worker' : 'deno';
}

/** Where the operator's commands act: `wrangler dev` on this machine, or production. */
export function isLocalOrigin(origin: string): boolean {
  return /^https?:\/\/(127\.0\.0\.1|localhost|\[::1\])(:\d+)?$/.test(origin);
}

const OLD_BACKUP = '/media/backup-a/arena-vault-CREDENTIAL_ENCRYPTION_KEY-<current key id>.asc';
const NEW_BACKUP = '/media/backup-b/arena-vault-CREDENTIAL_ENCRYPTION_KEY-<new key id>.asc';

/**
 * The operator checklist, for the edition and target this page runs on. Step 1
 * is always the new key's backup, verified; no command writes a key or a
 * secrets file to disk (keys travel from the backups through pipes).
 */
export function Checklist(props: { origin: string; edition: Edition }) {
  const o = props.origin;
  const local = isLocalOrigin(o);
  const keys = `--old-key-file <(gpg --decrypt ${OLD_BACKUP}) --new-key-file <(gpg --decrypt ${NEW_BACKUP})`;
  const where = props.edition === 'deno' ? 'the self-hosted Deno edition' : local ? 'a local vault (wrangler dev, .dev.vars)' : 'the Worker on Cloudflare';
  return (
    <section class="card" aria-labelledby="checklist">
      <h2 id="checklist">Operator checklist</h2>
      <p class="hint">Commands for {where}, run from the repository root. No step writes a key to disk: keys go from their gpg backups through pipes.</p>
      <ol>
        <li>
          <p>
            <strong>Back up and verify the new key</strong>, before anything else: a new key generated in memory, only its encrypted backup written (on other
            media than the current key's backup), then opened again:
          </p>
          <Command text="npm run backup-secrets -- --from new --only credential-key --out /media/backup-b" />
          <Command text={`npm run verify-backup -- ${NEW_BACKUP} --url ${o}`} />
          <p class="hint">It prints the new key id; it says UNKNOWN until the key is installed, CURRENT after.</p>
        </li>
        {props.edition === 'worker' && !local && (
          <li>
            <p>Note the D1 Time Travel bookmark, your undo point (the script below prints it too):</p>
            <Command text="npx wrangler d1 time-travel info DB" />
          </li>
        )}
        {props.edition === 'worker' ? (
          <li>
            <p>
              Install the new key as <code>CREDENTIAL_ENCRYPTION_KEY</code> and the old one as <code>CREDENTIAL_ENCRYPTION_KEY_PREVIOUS</code>, start the
              rotation and follow it, all in one go (
              {local ? (
                <>
                  it writes both keys into <code>.dev.vars</code> and asks you to restart <code>npm run dev</code>
                </>
              ) : (
                <>
                  one <code>wrangler secret bulk</code>, fed through stdin
                </>
              )}
              ; it asks for an admin API key without echo):
            </p>
            <Command text={local ? `npm run rotate-credential-key -- --url ${o} ${keys}` : `npm run rotate-credential-key -- --remote --url ${o} ${keys}`} />
          </li>
        ) : (
          <li>
            <p>
              Give the server the new key as <code>CREDENTIAL_ENCRYPTION_KEY</code> and the old one as <code>CREDENTIAL_ENCRYPTION_KEY_PREVIOUS</code>{' '}
              (environment variables, or the <code>*_FILE</code> secret files outside the checkout: see docs/deno.md), then restart it (
              <code>npm run start:deno</code>, or <code>docker compose up -d vault</code>).
            </p>
          </li>
        )}
        <li>
          <p>
            {props.edition === 'worker'
              ? 'Or start it here (below), or over REST with an admin API key:'
              : 'Start the rotation here (below), or over REST with an admin API key:'}
          </p>
          <Command text={`curl -X POST -H "Authorization: ApiKey $ARENA_VAULT_API_KEY" ${o}/api/admin/rotations/credential-key`} />
        </li>
        <li>
          <p>When it is done, check arena health:</p>
          <Command text={`curl -s ${o}/api/arenas/health`} />
        </li>
        <li>
          {props.edition === 'worker' ? (
            <>
              <p>Then remove the previous key:</p>
              <Command
                text={local ? `npm run rotate-credential-key -- --finalize --url ${o}` : `npm run rotate-credential-key -- --finalize --remote --url ${o}`}
              />
            </>
          ) : (
            <p>
              Then remove <code>CREDENTIAL_ENCRYPTION_KEY_PREVIOUS</code> (the variable or its secret file) and restart the server.
            </p>
          )}
          <p>Verify the new key's backup once more (now CURRENT); keep the old key's backup at least for the Time Travel window:</p>
          <Command text={`npm run verify-backup -- ${NEW_BACKUP} --url ${o}`} />
        </li>
      </ol>
    </section>
  );
}

function StatusCard(props: { status: RotationStatus; csrfToken: string; rowsNotUnderCurrent: number }) {
  const s = props.status;
  const active = isActivePhase(s.phase);
  const badge = s.phase === 'done' ? 'ok' : s.phase === 'failed' ? 'err' : active || s.phase === 'aborted' ? 'warn' : '';
  return (
    <section class="card" aria-labelledby="status" id="rotation-live" data-active={active ? 'true' : 'false'}>
      <h2 id="status">Status</h2>
      <p>
        <span class={`badge ${badge}`} id="rotation-phase">
          {s.phase}
        </span>{' '}
        {PHASE_TEXT[s.phase]}
        {s.abort_requested ? ' (abort requested: stops after the current batch)' : ''}
      </p>
      {s.run_id && (
        <>
          <label for="rotation-bar">Progress</label>
          <progress id="rotation-bar" max={Math.max(1, s.total)} value={s.done} aria-describedby="rotation-count" />
          <p id="rotation-count" aria-live="polite">
            {`${s.done} of ${s.total} re-encrypted, ${s.skipped} skipped, ${s.failed} failed (${s.verified} verified)`}
          </p>
          <p class="hint">
            Started {s.started_at ?? '—'} · updated {s.updated_at ?? '—'}
            {s.finished_at ? ` · finished ${s.finished_at}` : ''} · collection {s.locked ? 'locked' : 'not locked'} ({Math.round(s.locked_ms / 1000)} s locked)
          </p>
        </>
      )}
      {s.reason && (
        <div class={`notice ${s.phase === 'failed' ? 'error' : 'warning'}`} role="alert">
          {s.reason}
        </div>
      )}
      {s.last_error && s.phase !== 'done' && <p class="hint">Last error: {s.last_error}</p>}
      <p>
        <strong>Next step:</strong>{' '}
        {s.phase === 'done' && props.rowsNotUnderCurrent === 0
          ? 'Every row is under the new key. Check GET /api/arenas/health; you may now delete CREDENTIAL_ENCRYPTION_KEY_PREVIOUS.'
          : s.next_step}
      </p>
      {active ? (
        <form method="post" action="/admin/rotation/abort">
          <CsrfField token={props.csrfToken} />
          <button type="submit" class="danger">
            Abort after the current batch
          </button>
        </form>
      ) : props.rowsNotUnderCurrent > 0 ? (
        <form method="post" action="/admin/rotation/start">
          <CsrfField token={props.csrfToken} />
          <p>{props.rowsNotUnderCurrent} row(s) are not under the current key.</p>
          <label>
            <input type="checkbox" name="confirm" value="yes" required /> I have backed up both keys, and I understand that collectors get no credentials until
            the rotation ends.
          </label>
          <button type="submit">Start rotation</button>
        </form>
      ) : (
        <p>Every row is under the current key: there is nothing to rotate.</p>
      )}
      <p>
        <a href="/admin/rotation">Refresh</a>
      </p>
    </section>
  );
}

rotationPages.get('/admin/rotation', async (c) => {
  const status = await rotationStatus(c.env);
  const counts = await countRowsByKeyId(c.env.DB);
  const current = c.var.config.credentialKeys.currentKeyId;
  const notUnderCurrent = counts.filter((k) => k.keyId !== current).reduce((a, k) => a + k.rows, 0);
  const origin = new URL(c.req.url).origin;
  return renderPage(
    c,
    'Key rotation',
    <>
      <h1>Credential-key rotation</h1>
      <section class="card" aria-labelledby="keys">
        <h2 id="keys">Keys in use</h2>
        <p>
          Current key id: <code>{status.ring.current_key_id}</code>
          <br />
          Previous key ids: {status.ring.previous_key_ids.length ? status.ring.previous_key_ids.map((k) => <code>{k} </code>) : 'none'}
        </p>
        <div class="table-wrap">
          <table>
            <caption class="hint">Credential rows per key</caption>
            <thead>
              <tr>
                <th scope="col">Key id</th>
                <th scope="col">In the ring as</th>
                <th scope="col">Rows</th>
              </tr>
            </thead>
            <tbody>
              {counts.length === 0 && (
                <tr>
                  <td colspan={3}>No credentials stored yet.</td>
                </tr>
              )}
              {counts.map((k) => (
                <tr>
                  <td>
                    <code>{k.keyId}</code>
                  </td>
                  <td>{keyStatus(k.keyId, status)}</td>
                  <td>{k.rows}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </section>
      <StatusCard status={status} csrfToken={c.var.csrfToken} rowsNotUnderCurrent={notUnderCurrent} />
      <Checklist origin={origin} edition={runtimeEdition()} />
      <script nonce={c.get('secureHeadersNonce')}>{raw(POLL_SCRIPT)}</script>
    </>,
  );
});

async function formAction(c: Context<AppEnv>, run: () => Promise<{ kind: 'ok' | 'info'; text: string }>): Promise<Response> {
  try {
    return redirectWithFlash(c, '/admin/rotation', await run());
  } catch (e) {
    if (isVaultError(e) && ['ROTATION_IN_PROGRESS', 'CONFLICT'].includes(e.code)) {
      return redirectWithFlash(c, '/admin/rotation', { kind: 'error', text: e.message });
    }
    throw e;
  }
}

/** A refused form: back to the page (Post/Redirect/Get) with every problem in the notice. */
const refused = (what: string) => (c: Context<AppEnv>, problems: FieldProblem[]) =>
  redirectWithFlash(c, '/admin/rotation', { kind: 'error', text: `Not ${what}: ${problemsText(problems)}.` });

rotationPages.post('/admin/rotation/start', form(StartRotationForm, refused('started')), async (c) =>
  formAction(c, async () => {
    const outcome = await startRotation(c.env, { actor: c.var.principal!.actor });
    return outcome.started
      ? { kind: 'ok', text: 'Rotation started: collection is locked until it ends.' }
      : { kind: 'info', text: 'Nothing to rotate: every credential is already under the current key.' };
  }),
);

rotationPages.post('/admin/rotation/abort', form(AbortRotationForm, refused('aborted')), async (c) =>
  formAction(c, async () => {
    await abortRotation(c.env, c.var.principal!.actor);
    return { kind: 'ok', text: 'Abort requested: the rotation stops after the current batch and unlocks collection.' };
  }),
);
