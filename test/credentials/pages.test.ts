// The /admin/credentials pages as a browser without JavaScript uses them:
// GET forms, same-origin POSTs with the CSRF token, redirects with a flash.
import { beforeAll, describe, expect, it } from 'vitest';
import { api, createTestUser, type TestUser } from '../support/auth.ts';
import { TEST_CREDENTIAL_KEY_2 } from '../support/keys.ts';
import { createCredential, insertRawCredential, pageSession, rawRow, redditBody, sealWith, serperBody, type PageSession } from './support.ts';

let admin: TestUser;
let page: PageSession;

beforeAll(async () => {
  admin = await createTestUser('admin');
  page = await pageSession(admin);
});

describe('access', () => {
  it('sends anonymous visitors to login and refuses researchers', async () => {
    const anon = await api('/admin/credentials', { redirect: 'manual' });
    expect(anon.status).toBe(303);
    expect(anon.headers.get('location')).toBe('/login?next=%2Fadmin%2Fcredentials');
    const researcher = await createTestUser('researcher');
    const r = await api('/admin/credentials/new', { headers: { authorization: `Bearer ${researcher.token}` } });
    expect(r.status).toBe(403);
  });
});

describe('list', () => {
  it('shows name, platform, tier, active, key status, errors and times, with filters', async () => {
    const v = await createCredential(admin, serperBody('Listed serper'));
    const other = await sealWith(TEST_CREDENTIAL_KEY_2, { api_key: 'whatever-000000000' });
    await insertRawCredential({ token: other.token, keyId: other.keyId, name: 'Lost key row' });
    const { status, html } = await page.get('/admin/credentials?platform=serper');
    expect(status).toBe(200);
    expect(html).toContain('Listed serper');
    expect(html).toContain('current key');
    expect(html).toContain(`undecryptable: key ${other.keyId} missing`);
    expect(html).toContain('ends …KEY9');
    expect(html).toContain(`action="/admin/credentials/${v.id}/deactivate"`);
    expect(html).toContain(`href="/admin/credentials/${v.id}/delete"`);
    expect(html).toMatch(/<option value="serper" selected="">/);
    const filtered = await page.get('/admin/credentials?platform=reddit');
    expect(filtered.html).not.toContain('Listed serper');
    expect((await page.get('/admin/credentials?tier=gold')).status).toBe(422);
  });

  it('escapes <script> in names, notes and non-secret fields', async () => {
    const evil = '<script>alert(1)</script>';
    await createCredential(admin, {
      ...redditBody(`name ${evil}`),
      notes: `note ${evil}`,
      fields: { client_id: `id${evil}`, client_secret: 'reddit-secret-0000000', user_agent: `ua ${evil}` },
    });
    const { html } = await page.get('/admin/credentials?platform=reddit');
    expect(html).not.toContain('<script>alert(1)</script>');
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
  });
});

describe('add', () => {
  it('step 1 picks a platform with a plain GET form (auto-submit script carries the CSP nonce)', async () => {
    const r = await page.get('/admin/credentials/new');
    expect(r.html).toContain('<form method="get" action="/admin/credentials/new"');
    const nonce = /<script nonce="([^"]+)"/.exec(r.html)?.[1];
    expect(nonce).toBeTruthy();
    expect(r.headers.get('content-security-policy')).toContain(`'nonce-${nonce}'`);
    // The script source reaches the browser unescaped.
    expect(r.html).toContain(`<script nonce="${nonce}">document.getElementById('platform').addEventListener('change',`);
  });

  it("step 2 shows the platform's fields and tiers from the registry", async () => {
    const { html } = await page.get('/admin/credentials/new?platform=reddit');
    expect(html).toMatch(/<input id="field_client_secret" name="field_client_secret" type="password" autocomplete="off"/);
    expect(html).toMatch(/<input id="field_user_agent" name="field_user_agent" type="text" autocomplete="off"/);
    expect(html).toContain('<option value="free">free</option>');
    expect(html).not.toContain('<option value="premium">');
    const x = await page.get('/admin/credentials/new?platform=x_twitter');
    for (const f of ['bearer_token', 'api_key', 'api_secret']) expect(x.html).toContain(`name="field_${f}" type="password"`);
    expect(x.html).toContain('<option value="premium">premium</option>');
    expect((await page.get('/admin/credentials/new?platform=myspace')).status).toBe(422);
  });

  it('creates on POST and redirects with a flash shown once', async () => {
    const r = await page.post('/admin/credentials/new?platform=serper', {
      tier: 'medium',
      credential_name: 'Page-made',
      daily_quota: '',
      monthly_quota: '900',
      notes: '',
      field_api_key: 'page-made-serper-key-0000',
    });
    expect(r.status).toBe(303);
    expect(r.headers.get('location')).toBe('/admin/credentials');
    expect(r.flash).toContain('Added credential “Page-made” (serper, medium)');
    const shown = await page.get('/admin/credentials', r.flashCookie);
    expect(shown.html).toContain('role="status"');
    expect(shown.html).toContain('Added credential');
    // One-shot: the page that shows it deletes the cookie.
    expect(shown.headers.getSetCookie().some((c) => /^__Host-av_flash=;.*Max-Age=0/i.test(c))).toBe(true);
  });

  it('re-renders an invalid form with 422, keeping non-secret values and never echoing secrets', async () => {
    const secret = 'SECRET-NEVER-ECHO-0001';
    const r = await page.post('/admin/credentials/new?platform=reddit', {
      tier: 'free',
      credential_name: 'Half filled',
      field_client_id: 'my-client-id',
      field_client_secret: secret,
      field_user_agent: '',
    });
    expect(r.status).toBe(422);
    expect(r.html).toContain('fields.user_agent');
    // The API's message, next to its input.
    expect(r.html).toContain('<div class="notice error" id="field_user_agent_problem">is required and must not be empty</div>');
    expect(r.html).toContain('value="my-client-id"');
    expect(r.html).toContain('value="Half filled"');
    expect(r.html).not.toContain(secret);
    const tier = await page.post('/admin/credentials/new?platform=reddit', { tier: 'premium', credential_name: 'x' });
    expect(tier.status).toBe(422);
  });

  it('refuses a post without the CSRF token and changes nothing', async () => {
    const r = await page.post(
      '/admin/credentials/new?platform=serper',
      { tier: 'medium', credential_name: 'csrf-less', field_api_key: 'k'.repeat(20) },
      { csrf: false },
    );
    expect(r.status).toBe(403);
    expect((await page.get('/admin/credentials?platform=serper')).html).not.toContain('csrf-less');
  });
});

describe('row actions', () => {
  it('replaces the secret', async () => {
    const v = await createCredential(admin, serperBody('replace via page'));
    const form = await page.get(`/admin/credentials/${v.id}/secret`);
    expect(form.html).toContain('name="field_api_key" type="password" autocomplete="off"');
    const before = (await rawRow(v.id))!.encrypted_value;
    const bad = await page.post(`/admin/credentials/${v.id}/secret`, { field_api_key: 'short' });
    expect(bad.status).toBe(422);
    const r = await page.post(`/admin/credentials/${v.id}/secret`, { field_api_key: 'replaced-serper-key-0000ZZZZ' });
    expect(r.status).toBe(303);
    expect(r.flash).toContain('Replaced the secret');
    expect((await rawRow(v.id))!.encrypted_value).not.toBe(before);
  });

  it('edits name, quotas and notes', async () => {
    const v = await createCredential(admin, serperBody('edit via page'));
    expect((await page.get(`/admin/credentials/${v.id}/edit`)).html).toContain('value="edit via page"');
    const bad = await page.post(`/admin/credentials/${v.id}/edit`, { credential_name: 'x', daily_quota: 'lots', monthly_quota: '', notes: '' });
    expect(bad.status).toBe(422);
    expect(bad.html).toContain('daily_quota');
    const r = await page.post(`/admin/credentials/${v.id}/edit`, {
      credential_name: 'edited',
      daily_quota: '50',
      monthly_quota: '',
      notes: 'n',
      max_leases: '2',
    });
    expect(r.status).toBe(303);
    expect(await rawRow(v.id)).toMatchObject({ credential_name: 'edited', daily_quota: 50, monthly_quota: null, notes: 'n', max_leases: 2 });
  });

  it('activates, deactivates, resets errors and verifies, returning to the filtered list', async () => {
    const v = await createCredential(admin, serperBody('actions via page'));
    const back = '/admin/credentials?platform=serper&offset=0';
    const d = await page.post(`/admin/credentials/${v.id}/deactivate`, { back });
    expect(d.headers.get('location')).toBe(back);
    expect(d.flash).toContain('Deactivated “actions via page”');
    expect((await rawRow(v.id))!.is_active).toBe(0);
    expect((await page.post(`/admin/credentials/${v.id}/activate`, { back })).flash).toContain('Activated');
    expect((await page.post(`/admin/credentials/${v.id}/reset-errors`, { back })).flash).toContain('Reset the errors');
    const verify = await page.post(`/admin/credentials/${v.id}/verify`, { back });
    expect(verify.flash).toContain('decrypts under the current key');
    // An off-site "back" is ignored.
    const evil = await page.post(`/admin/credentials/${v.id}/activate`, { back: 'https://evil.example/' });
    expect(evil.headers.get('location')).toBe('/admin/credentials');
    expect((await page.post('/admin/credentials/999999/activate', {})).status).toBe(404);
  });

  it('reports an undecryptable row on verify', async () => {
    const other = await sealWith(TEST_CREDENTIAL_KEY_2, { api_key: 'whatever-000000000' });
    const id = await insertRawCredential({ token: other.token, keyId: other.keyId });
    const r = await page.post(`/admin/credentials/${id}/verify`, {});
    expect(r.flash).toContain('does NOT decrypt');
    expect(r.flash).toContain(`key ${other.keyId} is not in the key ring`);
  });

  it('deletes only after the confirmation box is ticked', async () => {
    const v = await createCredential(admin, serperBody('delete via page'));
    const confirm = await page.get(`/admin/credentials/${v.id}/delete`);
    expect(confirm.html).toContain('name="confirm" value="yes" required=""');
    const unticked = await page.post(`/admin/credentials/${v.id}/delete`, {});
    expect(unticked.status).toBe(422);
    expect(unticked.html).toContain('Nothing deleted');
    expect(await rawRow(v.id)).not.toBeNull();
    const r = await page.post(`/admin/credentials/${v.id}/delete`, { confirm: 'yes' });
    expect(r.status).toBe(303);
    expect(r.flash).toContain('Deleted credential “delete via page”');
    expect(await rawRow(v.id)).toBeNull();
    expect((await page.get(`/admin/credentials/${v.id}/delete`)).status).toBe(404);
  });
});
