// The SSO settings (src/kernel/sso-config.ts through config.ts): what is
// accepted, what /api/health names, and that no value is ever echoed.
import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import worker from '../../src/index.ts';
import { parseConfig, type RawBindings } from '../../src/config.ts';
import { emailDomainAllowed } from '../../src/kernel/sso-config.ts';
import { TEST_CREDENTIAL_KEY, TEST_SECRET_KEY } from '../support/keys.ts';

const BASE: RawBindings = { SECRET_KEY: TEST_SECRET_KEY, CREDENTIAL_ENCRYPTION_KEY: TEST_CREDENTIAL_KEY };
const OIDC: RawBindings = { OIDC_ISSUER: 'https://idp.example.edu', OIDC_CLIENT_ID: 'vault', OIDC_CLIENT_SECRET: 'zzCanaryClientSecret0123456789' };

async function problems(raw: RawBindings): Promise<string[]> {
  const { problems: found } = await parseConfig({ ...BASE, ...raw });
  return found.map((p) => p.binding);
}

describe('SSO settings', () => {
  it('are off when unset; OIDC and Access parse when complete', async () => {
    const off = await parseConfig(BASE);
    expect(off.config?.oidc).toBeNull();
    expect(off.config?.access).toBeNull();
    const on = await parseConfig({
      ...BASE,
      ...OIDC,
      OIDC_ALLOWED_DOMAINS: 'Example.edu, lab.example.org',
      OIDC_DEFAULT_ROLE: 'researcher',
      ACCESS_TEAM_DOMAIN: 'https://team.cloudflareaccess.com',
      ACCESS_AUD: 'tag',
    });
    expect(on.problems).toEqual([]);
    expect(on.config?.oidc).toMatchObject({
      clientId: 'vault',
      name: 'Single sign-on',
      allowedDomains: ['example.edu', 'lab.example.org'],
      defaultRole: 'researcher',
      loopbackHttp: false,
    });
    expect(on.config?.access).toEqual({ teamDomain: 'https://team.cloudflareaccess.com', aud: 'tag', loopbackHttp: false });
  });

  it('an issuer or team domain must be https; plain http only on loopback', async () => {
    expect(await problems({ ...OIDC, OIDC_ISSUER: 'http://idp.example.edu' })).toEqual(['OIDC_ISSUER']);
    expect(await problems({ ...OIDC, OIDC_ISSUER: 'ftp://idp.example.edu' })).toEqual(['OIDC_ISSUER']);
    const loop = await parseConfig({ ...BASE, ...OIDC, OIDC_ISSUER: 'http://127.0.0.1:9999' });
    expect(loop.config?.oidc?.loopbackHttp).toBe(true);
    expect((await parseConfig({ ...BASE, ...OIDC, OIDC_ISSUER: 'http://localhost:9999/realms/x' })).config?.oidc?.loopbackHttp).toBe(true);
    expect(await problems({ ACCESS_TEAM_DOMAIN: 'http://team.cloudflareaccess.com', ACCESS_AUD: 'a' })).toEqual(['ACCESS_TEAM_DOMAIN']);
    expect(await problems({ ACCESS_TEAM_DOMAIN: 'https://team.cloudflareaccess.com/', ACCESS_AUD: 'a' })).toEqual(['ACCESS_TEAM_DOMAIN']);
    expect((await parseConfig({ ...BASE, ACCESS_TEAM_DOMAIN: 'http://127.0.0.1:8123', ACCESS_AUD: 'a' })).config?.access?.loopbackHttp).toBe(true);
  });

  it('incomplete or contradictory settings are named', async () => {
    expect(await problems({ ...OIDC, OIDC_CLIENT_ID: '' })).toEqual(['OIDC_CLIENT_ID']);
    expect(await problems({ ...OIDC, OIDC_CLIENT_SECRET: undefined })).toEqual(['OIDC_CLIENT_SECRET']);
    expect(await problems({ OIDC_CLIENT_ID: 'vault' })).toEqual(['OIDC_CLIENT_ID']);
    expect(await problems({ ...OIDC, OIDC_DEFAULT_ROLE: 'admin', OIDC_ALLOWED_DOMAINS: 'example.edu' })).toEqual(['OIDC_DEFAULT_ROLE']);
    expect(await problems({ ...OIDC, OIDC_DEFAULT_ROLE: 'researcher' })).toEqual(['OIDC_DEFAULT_ROLE']);
    expect(await problems({ ...OIDC, OIDC_ALLOWED_DOMAINS: 'example.edu, not a domain' })).toEqual(['OIDC_ALLOWED_DOMAINS']);
    expect(await problems({ ACCESS_AUD: 'a' })).toEqual(['ACCESS_TEAM_DOMAIN']);
    expect(await problems({ ACCESS_TEAM_DOMAIN: 'https://team.cloudflareaccess.com' })).toEqual(['ACCESS_AUD']);
  });

  it('/api/health names a bad one with its fix and echoes no value', async () => {
    const broken = { ...env, ...OIDC, OIDC_ISSUER: 'http://idp.example.edu' };
    const res = await worker.fetch(new Request('https://vault.test/api/health'), broken, {} as ExecutionContext);
    expect(res.status).toBe(503);
    const text = await res.text();
    const body = JSON.parse(text);
    expect(body.config.bindings.OIDC_ISSUER).toMatchObject({ valid: false, set: true });
    expect(body.config.bindings.OIDC_ISSUER.problem).toMatch(/^OIDC_ISSUER must be an https URL/);
    expect(body.config.bindings.OIDC_ISSUER.fix).toMatch(/\[vars\]/);
    expect(text).not.toContain('idp.example.edu');
    expect(text).not.toContain(OIDC.OIDC_CLIENT_SECRET!);
    const missing = await worker.fetch(new Request('https://vault.test/api/health'), { ...env, ...OIDC, OIDC_CLIENT_SECRET: '' }, {} as ExecutionContext);
    expect(((await missing.json()) as any).config.bindings.OIDC_CLIENT_SECRET.fix).toMatch(/wrangler secret put OIDC_CLIENT_SECRET/);
  });

  it('email domains: exact match on the part after the last @, any domain when the list is empty', () => {
    expect(emailDomainAllowed('a@example.edu', ['example.edu'])).toBe(true);
    expect(emailDomainAllowed('a@sub.example.edu', ['example.edu'])).toBe(false);
    expect(emailDomainAllowed('a@example.edu.evil.test', ['example.edu'])).toBe(false);
    expect(emailDomainAllowed('a@other.test', [])).toBe(true);
  });
});
