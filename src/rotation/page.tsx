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
import { requireAdmin } from '../auth/middleware.ts';
import { isVaultError } from '../errors.ts';
import { renderPage, redirectWithFlash } from '../ui/page.tsx';
import { CsrfField } from '../ui/layout.tsx';
import { countRowsByKeyId } from '../credentials/repository.ts';
import { abortRotation, rotationStatus, startRotation } from './service.ts';
import type { RotationStatus } from './status.ts';
import { form } from '../schema/validate.ts';
import { problemsText, type FieldProblem } from '../schema/problems.ts';
import { AbortRotationForm, StartRotationForm } from './requests.ts';

export const rotationPages = new Hono<AppEnv>();
rotationPages.use('/admin/rotation', requireAdmin());
rotationPages.use('/admin/rotation/*', requireAdmin());

const ACTIVE = new Set(['locking', 'draining', 'verifying', 'reencrypting', 'checking']);

const PHASE_TEXT: Record<string, string> = {
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

function Checklist(props: { origin: string }) {
  const o = props.origin;
  return (
    <section class="card" aria-labelledby="checklist">
      <h2 id="checklist">Operator checklist</h2>
      <ol>
        <li>
          <p>Generate a new key into a file only you can read (a key on the command line lands in shell history). Put the key in use now into <code>old.key</code> the same way, from your secret store or backup.</p>
          <Command text="(umask 077; npm run -s generate-keys -- --only credential-key > new.key)" />
        </li>
        <li>
          <p>Note the D1 Time Travel bookmark (production), your undo point:</p>
          <Command text="npx wrangler d1 time-travel info DB" />
        </li>
        <li>
          <p>Install the new key as <code>CREDENTIAL_ENCRYPTION_KEY</code> and the old one as <code>CREDENTIAL_ENCRYPTION_KEY_PREVIOUS</code>, start the rotation and follow it, all in one go:</p>
          <Command text={`npm run rotate-credential-key -- --remote --url ${o} --old-key-file old.key --new-key-file new.key --api-key-file admin.key`} />
          <p class="hint">Locally, leave out <code>--remote</code> and <code>--url</code>: the script writes both keys into <code>.dev.vars</code>. By hand in production instead: one <code>npx wrangler secret bulk secrets.json</code> with <code>{'{"CREDENTIAL_ENCRYPTION_KEY": "<new key>", "CREDENTIAL_ENCRYPTION_KEY_PREVIOUS": "<old key>"}'}</code>, then delete that file.</p>
        </li>
        <li>
          <p>Or start it here (below), or over REST with an admin API key:</p>
          <Command text={`curl -X POST -H "Authorization: ApiKey $ARENA_VAULT_API_KEY" ${o}/api/admin/rotations/credential-key`} />
        </li>
        <li>
          <p>When it is done, check arena health:</p>
          <Command text={`curl -s ${o}/api/arenas/health`} />
        </li>
        <li>
          <p>Then delete the previous key (locally: the same script with <code>--finalize</code>), and shred the key files:</p>
          <Command text="npx wrangler secret delete CREDENTIAL_ENCRYPTION_KEY_PREVIOUS" />
          <Command text="npm run rotate-credential-key -- --finalize" />
          <Command text="shred -u old.key new.key" />
        </li>
      </ol>
    </section>
  );
}

function StatusCard(props: { status: RotationStatus; csrfToken: string; rowsNotUnderCurrent: number }) {
  const s = props.status;
  const active = ACTIVE.has(s.phase);
  const badge = s.phase === 'done' ? 'ok' : s.phase === 'failed' ? 'err' : active || s.phase === 'aborted' ? 'warn' : '';
  return (
    <section class="card" aria-labelledby="status" id="rotation-live" data-active={active ? 'true' : 'false'}>
      <h2 id="status">Status</h2>
      <p>
        <span class={`badge ${badge}`} id="rotation-phase">{s.phase}</span> {PHASE_TEXT[s.phase] ?? s.phase}
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
      {s.reason && <div class={`notice ${s.phase === 'failed' ? 'error' : 'warning'}`} role="alert">{s.reason}</div>}
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
          <button type="submit" class="danger">Abort after the current batch</button>
        </form>
      ) : props.rowsNotUnderCurrent > 0 ? (
        <form method="post" action="/admin/rotation/start">
          <CsrfField token={props.csrfToken} />
          <p>{props.rowsNotUnderCurrent} row(s) are not under the current key.</p>
          <label>
            <input type="checkbox" name="confirm" value="yes" required /> I have backed up both keys, and I understand
            that collectors get no credentials until the rotation ends.
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
          Previous key ids:{' '}
          {status.ring.previous_key_ids.length ? status.ring.previous_key_ids.map((k) => <code>{k} </code>) : 'none'}
        </p>
        <div class="table-wrap">
          <table>
            <caption class="hint">Credential rows per key</caption>
            <thead>
              <tr><th scope="col">Key id</th><th scope="col">In the ring as</th><th scope="col">Rows</th></tr>
            </thead>
            <tbody>
              {counts.length === 0 && (
                <tr><td colspan={3}>No credentials stored yet.</td></tr>
              )}
              {counts.map((k) => (
                <tr><td><code>{k.keyId}</code></td><td>{keyStatus(k.keyId, status)}</td><td>{k.rows}</td></tr>
              ))}
            </tbody>
          </table>
        </div>
      </section>
      <StatusCard status={status} csrfToken={c.var.csrfToken} rowsNotUnderCurrent={notUnderCurrent} />
      <Checklist origin={origin} />
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
