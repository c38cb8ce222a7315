// The REST surface's guards and errors, and the /admin/rotation page (works
// without JavaScript; nonce'd polling script; no secret anywhere).
import { SELF } from 'cloudflare:test';
import { beforeEach, describe, expect, it } from 'vitest';
import { createTestUser } from '../support/auth.ts';
import { Checklist, isLocalOrigin, runtimeEdition, type Edition } from '../../src/rotation/page.tsx';
import { MAX_BATCH_SIZE } from '../../src/rotation/state-machine.ts';
import { NEW, OLD, ROTATION_PATH, SECRET_KEYS, apiKeyHeaders, callJson, driveToEnd, planFaults, resetWorld, seedRows, waitFor } from './support.ts';

beforeEach(resetWorld);

const ORIGIN = 'https://vault.test';

describe('REST guards and errors', () => {
  it('is admin only: 401 without credentials, 403 for a researcher and a collector key', async () => {
    const researcher = await createTestUser('researcher');
    const collector = await apiKeyHeaders('collector');
    for (const [method, path] of [
      ['GET', ROTATION_PATH],
      ['POST', ROTATION_PATH],
      ['POST', `${ROTATION_PATH}/abort`],
    ] as const) {
      expect((await callJson(method, path, { 'content-type': 'application/json' })).status).toBe(401);
      const r = await callJson(method, path, researcher.headers);
      expect(r.status).toBe(403);
      expect(r.body.error.code).toBe('FORBIDDEN');
      expect((await callJson(method, path, collector)).status).toBe(403);
    }
  });

  it('accepts an admin API key (what the script uses)', async () => {
    await seedRows(3);
    const headers = await apiKeyHeaders('admin');
    const res = await callJson('POST', ROTATION_PATH, headers);
    expect(res.status).toBe(202);
    expect(res.body.phase).toBe('locking');
    expect(res.body.run_id).toMatch(/^[0-9a-f-]{36}$/);
    expect((await driveToEnd()).phase).toBe('done');
    expect((await callJson('GET', ROTATION_PATH, headers)).body).toMatchObject({ phase: 'done', done: 3 });
  });

  it('rejects malformed bodies: 400 INVALID_JSON, 422 for unknown fields and out-of-range options', async () => {
    const headers = await apiKeyHeaders('admin');
    const bad = await SELF.fetch(`${ORIGIN}${ROTATION_PATH}`, { method: 'POST', headers, body: '{"batch_size":' });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as any).error.code).toBe('INVALID_JSON');
    expect((await callJson('POST', ROTATION_PATH, headers, [1])).body.error.code).toBe('INVALID_JSON');
    const unknown = await callJson('POST', ROTATION_PATH, headers, { batchsize: 5 });
    expect(unknown.status).toBe(422);
    expect(unknown.body.error.details.field).toBe('batchsize');
    await seedRows(1);
    for (const body of [
      { batch_size: 0 },
      { batch_size: MAX_BATCH_SIZE + 1 },
      { batch_size: 2.5 },
      { drain_timeout_seconds: -1 },
      { drain_timeout_seconds: '5' },
    ]) {
      const r = await callJson('POST', ROTATION_PATH, headers, body);
      expect(r.status, JSON.stringify(body)).toBe(422);
      expect(r.body.error.code).toBe('VALIDATION_FAILED');
    }
  });

  it('abort with nothing running is 409 CONFLICT', async () => {
    const r = await callJson('POST', `${ROTATION_PATH}/abort`, await apiKeyHeaders('admin'));
    expect(r.status).toBe(409);
    expect(r.body.error.code).toBe('CONFLICT');
    expect(r.body.error.details.rotation.phase).toBe('idle');
  });

  it('GET before any rotation: idle, key ids from the ring, live count of rows still under an old key', async () => {
    await seedRows(4);
    const r = await callJson('GET', ROTATION_PATH, await apiKeyHeaders('admin'));
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({
      phase: 'idle',
      run_id: null,
      total: 0,
      done: 0,
      skipped: 0,
      failed: 0,
      started_at: null,
      updated_at: null,
      current_key_id: NEW.keyId,
      previous_key_ids: [OLD.keyId],
      last_error: null,
      rows_not_under_current_key: 4,
    });
  });
});

describe('/admin/rotation page', () => {
  async function page(user: { headers: Record<string, string> }) {
    const res = await SELF.fetch(`${ORIGIN}/admin/rotation`, { headers: { authorization: user.headers.authorization! } });
    return { res, html: await res.text() };
  }

  it('sends anonymous visitors to the login page and refuses researchers', async () => {
    const anon = await SELF.fetch(`${ORIGIN}/admin/rotation`, { redirect: 'manual' });
    expect(anon.status).toBe(303);
    expect(anon.headers.get('location')).toBe('/login?next=%2Fadmin%2Frotation');
    expect((await page(await createTestUser('researcher'))).res.status).toBe(403);
  });

  it('shows key ids, rows per key, the checklist with exact commands, and a start form that needs confirmation', async () => {
    await seedRows(7);
    const { res, html } = await page(await createTestUser('admin'));
    expect(res.status).toBe(200);
    expect(html).toContain(NEW.keyId);
    expect(html).toContain(OLD.keyId);
    expect(html).toContain('7 row(s) are not under the current key');
    expect(html).toMatch(/<form method="post" action="\/admin\/rotation\/start">/);
    expect(html).toMatch(/<input type="checkbox" name="confirm" value="yes" required/);
    expect(html).toContain('name="csrf_token"');
    for (const command of [
      'npm run backup-secrets -- --from new --only credential-key --out /media/backup-b',
      `npm run verify-backup -- /media/backup-b/arena-vault-CREDENTIAL_ENCRYPTION_KEY-&lt;new key id&gt;.asc --url ${ORIGIN}`,
      'npx wrangler d1 time-travel info DB',
      `npm run rotate-credential-key -- --remote --url ${ORIGIN} --old-key-file &lt;(gpg --decrypt /media/backup-a/arena-vault-CREDENTIAL_ENCRYPTION_KEY-&lt;current key id&gt;.asc) --new-key-file &lt;(gpg --decrypt /media/backup-b/arena-vault-CREDENTIAL_ENCRYPTION_KEY-&lt;new key id&gt;.asc)`,
      `${ORIGIN}/api/admin/rotations/credential-key`,
      `curl -s ${ORIGIN}/api/arenas/health`,
      `npm run rotate-credential-key -- --finalize --remote --url ${ORIGIN}`,
    ])
      expect(html).toContain(command);
    // The polling script carries the CSP nonce.
    const nonce = /script-src 'nonce-([^']+)'/.exec(res.headers.get('content-security-policy') ?? '')?.[1];
    expect(nonce).toBeTruthy();
    expect(html).toContain(`<script nonce="${nonce}">`);
    for (const k of SECRET_KEYS) expect(html).not.toContain(k);
  });

  it('starts only with the box ticked (no JavaScript needed), shows progress, then the result and the next step', async () => {
    const { openForm, postForm } = await import('../auth/support.ts');
    const originals = await seedRows(12);
    const user = await createTestUser('admin');
    const cookie = `__Host-av_session=${user.token}`;
    const form = await openForm('/admin/rotation', cookie);

    const unticked = await postForm('/admin/rotation/start', form, {});
    expect(unticked.status).toBe(303);
    expect(decodeURIComponent(decodeURIComponent(unticked.headers.get('set-cookie') ?? ''))).toContain(
      'Not started: confirm: tick the confirmation box to start the rotation.',
    );
    expect((await callJson('GET', ROTATION_PATH, user.headers)).body.phase).toBe('idle');

    await planFaults([{ point: 'before-commit', kind: 'throw', batch: 1, times: 2 }]);
    const started = await postForm('/admin/rotation/start', form, { confirm: 'yes' });
    expect(started.status).toBe(303);
    expect(started.headers.get('location')).toBe('/admin/rotation');
    await waitFor((s) => s.lastError !== null);
    const running = await (await SELF.fetch(`${ORIGIN}/admin/rotation`, { headers: { cookie: form.cookie } })).text();
    expect(running).toContain('data-active="true"');
    expect(running).toMatch(/<progress id="rotation-bar" max="12" value="\d+"/);
    expect(running).toContain('action="/admin/rotation/abort"');

    await driveToEnd();
    const done = await (await SELF.fetch(`${ORIGIN}/admin/rotation`, { headers: { cookie: form.cookie } })).text();
    expect(done).toContain('data-active="false"');
    expect(done).toContain('12 of 12 re-encrypted');
    expect(done).toContain('you may now delete CREDENTIAL_ENCRYPTION_KEY_PREVIOUS');
    expect(done).toContain('there is nothing to rotate');
    for (const plain of originals.values()) expect(done).not.toContain(JSON.parse(plain).api_key);
  });

  it('abort from the page', async () => {
    const { openForm, postForm } = await import('../auth/support.ts');
    await seedRows(40);
    const user = await createTestUser('admin');
    const form = await openForm('/admin/rotation', `__Host-av_session=${user.token}`);
    await planFaults([{ point: 'before-commit', kind: 'throw', batch: 1, times: 4 }]);
    await postForm('/admin/rotation/start', form, { confirm: 'yes' });
    await waitFor((s) => s.lastError !== null);
    const res = await postForm('/admin/rotation/abort', form, {});
    expect(res.status).toBe(303);
    const end = await driveToEnd();
    expect(end.phase).toBe('aborted');
    const html = await (await SELF.fetch(`${ORIGIN}/admin/rotation`, { headers: { cookie: form.cookie } })).text();
    expect(html).toContain('Aborted by user:');
    expect(html).toContain('Keep CREDENTIAL_ENCRYPTION_KEY_PREVIOUS');
  });
});

describe('the operator checklist, per edition and target', () => {
  const render = (origin: string, edition: Edition) =>
    String(Checklist({ origin, edition }))
      .replace(/&lt;/g, '<')
      .replace(/&gt;/g, '>')
      .replace(/&quot;/g, '"')
      .replace(/&#39;/g, "'");
  const steps = (html: string) => [...html.matchAll(/<li>([\s\S]*?)<\/li>/g)].map((m) => m[1]!);
  const commands = (html: string) => [...html.matchAll(/<code>([^<]*(?:<(?!\/code>)[^<]*)*)<\/code>/g)].map((m) => m[1]!).filter((c) => / /.test(c));

  it('knows which edition runs it: workerd here says Cloudflare-Workers, Deno says Deno/…', () => {
    expect(runtimeEdition()).toBe('worker');
    expect(runtimeEdition('Deno/2.9.6')).toBe('deno');
    expect(isLocalOrigin('http://127.0.0.1:8787')).toBe(true);
    expect(isLocalOrigin('https://vault.test')).toBe(false);
  });

  it.each([
    ['worker', 'https://vault.test'],
    ['worker', 'http://127.0.0.1:8787'],
    ['deno', 'https://vault.example.org'],
  ] as const)('%s at %s: step 1 backs up and verifies the new key; no secrets file, no shred, no key file', (edition, origin) => {
    const html = render(origin, edition);
    const first = steps(html)[0]!;
    expect(first).toContain('Back up and verify the new key');
    expect(first).toContain('npm run backup-secrets -- --from new --only credential-key --out /media/backup-b');
    expect(first).toContain(`npm run verify-backup -- /media/backup-b/arena-vault-CREDENTIAL_ENCRYPTION_KEY-<new key id>.asc --url ${origin}`);
    expect(html).not.toMatch(/secrets\.json|secret bulk [^\s<]|shred|old\.key|new\.key|admin\.key|> ?[\w./-]+\.key/);
  });

  it('the Worker in production: every command that changes keys says --remote', () => {
    const cmds = commands(render('https://vault.test', 'worker'));
    const scripted = cmds.filter((c) => c.startsWith('npm run rotate-credential-key'));
    expect(scripted).toHaveLength(2);
    for (const c of scripted) expect(c).toContain('--remote --url https://vault.test');
    expect(cmds).toContain('npx wrangler d1 time-travel info DB');
  });

  it('the Worker under wrangler dev: local commands, no --remote, no Time Travel', () => {
    const html = render('http://127.0.0.1:8787', 'worker');
    for (const c of commands(html).filter((x) => x.startsWith('npm run rotate-credential-key'))) {
      expect(c).not.toContain('--remote');
      expect(c).toContain('--url http://127.0.0.1:8787');
    }
    expect(html).not.toContain('time-travel');
    expect(html).toContain('.dev.vars');
  });

  it('the Deno edition shows no wrangler command and no Worker-only script', () => {
    const html = render('https://vault.example.org', 'deno');
    expect(html).not.toMatch(/wrangler|rotate-credential-key|\.dev\.vars/);
    expect(html).toContain('npm run start:deno');
    expect(html).toContain('CREDENTIAL_ENCRYPTION_KEY_PREVIOUS');
  });
});
