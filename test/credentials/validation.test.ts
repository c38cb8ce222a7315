// Pure rules: field validation against the registry, the request schemas, masking.
import { describe, expect, it } from 'vitest';
import { VaultError } from '../../src/errors.ts';
import { credentialFieldProblems, validateCredentialFields } from '../../src/credentials/fields.ts';
import { CredentialListQuery, CredentialPatchBody, NewCredentialBody, SecretBody } from '../../src/credentials/input.ts';
import { parseOrThrow, parseWith } from '../../src/schema/validate.ts';
import { IdParams } from '../../src/schema/types.ts';
import { lengthClass, maskCredentialFields } from '../../src/credentials/masking.ts';

function failure(fn: () => unknown): VaultError {
  try {
    fn();
  } catch (e) {
    if (e instanceof VaultError) return e;
    throw e;
  }
  throw new Error('expected a VaultError');
}

// The schemas the routes validate with, called as the routes do.
const parseNewCredential = (body: unknown) => parseOrThrow(NewCredentialBody, body);
const parseCredentialPatch = (body: unknown) => parseOrThrow(CredentialPatchBody, body);
const parseCredentialListQuery = (q: Record<string, string | undefined>) => parseOrThrow(CredentialListQuery, q);
// PUT …/secret: the body's shape at the edge, its fields against the stored row's platform in the store.
const parseSecretReplacement = (platform: string, body: unknown) => validateCredentialFields(platform, parseOrThrow(SecretBody, body).fields);

const reddit = { client_id: 'abc123', client_secret: 'S3cr3t-S3cr3t-S3cr3t', user_agent: 'research-bot/1.0 by u/someone' };

describe('validateCredentialFields', () => {
  it('accepts the platform fields, trims them and keeps registry order', () => {
    const out = validateCredentialFields('reddit', { user_agent: ' research-bot/1.0 ', client_secret: 'S3cr3t-S3cr3t\n', client_id: 'abc' });
    expect(Object.keys(out)).toEqual(['client_id', 'client_secret', 'user_agent']);
    expect(out.user_agent).toBe('research-bot/1.0');
    expect(out.client_secret).toBe('S3cr3t-S3cr3t');
  });

  it('names a missing required field with 422', () => {
    const e = failure(() => validateCredentialFields('reddit', { client_id: 'abc', client_secret: 'S3cr3t-S3cr3t' }));
    expect(e.status).toBe(422);
    expect(e.code).toBe('VALIDATION_FAILED');
    expect(e.details?.field).toBe('fields.user_agent');
    expect(e.message).toBe('fields.user_agent: is required for reddit');
  });

  it('refuses unknown fields, non-strings, empties, control characters and bad lengths', () => {
    expect(credentialFieldProblems('serper', { api_key: 'k'.repeat(20), extra: 'x' }).map((p) => p.field)).toEqual(['fields.extra']);
    expect(credentialFieldProblems('serper', { api_key: 12345678901 })[0]!.message).toBe('must be a string');
    expect(credentialFieldProblems('serper', { api_key: '   ' })[0]!.message).toContain('required');
    expect(credentialFieldProblems('serper', { api_key: 'abc\u0000defghij' })[0]!.message).toContain('control');
    expect(credentialFieldProblems('serper', { api_key: 'short' })[0]!.message).toContain('at least 8');
    expect(credentialFieldProblems('serper', { api_key: 'k'.repeat(513) })[0]!.message).toContain('at most 512');
    expect(credentialFieldProblems('serper', null)[0]!.field).toBe('fields');
    expect(credentialFieldProblems('serper', ['x'])[0]!.field).toBe('fields');
    expect(credentialFieldProblems('nope', {})[0]!.field).toBe('platform');
  });

  it("checks Telegram's api_id pattern", () => {
    const base = { api_hash: 'a'.repeat(32), session_string: 's'.repeat(300) };
    expect(credentialFieldProblems('telegram', { ...base, api_id: '12345' })).toEqual([]);
    expect(credentialFieldProblems('telegram', { ...base, api_id: '12a45' })[0]!.field).toBe('fields.api_id');
  });

  it('never echoes a submitted value in a message', () => {
    const canary = 'CANARY-VALUE-\u0001-xyz';
    const e = failure(() => validateCredentialFields('serper', { api_key: canary, other: canary }));
    expect(JSON.stringify(e.toJSON())).not.toContain('CANARY');
  });
});

describe('NewCredentialBody', () => {
  const good = { platform: 'reddit', tier: 'free', credential_name: ' Main ', fields: reddit };

  it('parses a full body with defaults', () => {
    expect(parseNewCredential(good)).toEqual({
      platform: 'reddit',
      tier: 'free',
      credentialName: 'Main',
      fields: reddit,
      dailyQuota: null,
      monthlyQuota: null,
      notes: null,
      maxLeases: 1,
      sharing: 'allowed',
      expiresAt: null,
    });
    expect(parseNewCredential({ ...good, max_leases: 3 }).maxLeases).toBe(3);
    // Issue 21: sharing and the token expiry (Python's isoformat, microseconds and offset, kept to the millisecond).
    const issue21 = parseNewCredential({ ...good, sharing: 'never', expires_at: '2027-01-31T12:00:00.123456+00:00' });
    expect([issue21.sharing, issue21.expiresAt]).toEqual(['never', Date.UTC(2027, 0, 31, 12, 0, 0, 123)]);
    expect(failure(() => parseNewCredential({ ...good, sharing: 'sometimes' })).details?.field).toBe('sharing');
    expect(failure(() => parseNewCredential({ ...good, expires_at: 'soon' })).details?.field).toBe('expires_at');
    const withQuotas = parseNewCredential({ ...good, daily_quota: 100, monthly_quota: null, notes: ' hi ' });
    expect([withQuotas.dailyQuota, withQuotas.monthlyQuota, withQuotas.notes]).toEqual([100, null, 'hi']);
  });

  it('refuses a wrong platform, a tier the platform lacks, and unknown keys', () => {
    expect(failure(() => parseNewCredential({ ...good, platform: 'myspace' })).details?.field).toBe('platform');
    const tier = failure(() => parseNewCredential({ ...good, tier: 'premium' }));
    expect(tier.details?.field).toBe('tier');
    expect(tier.message).toContain('reddit has no premium tier');
    expect(failure(() => parseNewCredential({ ...good, tier: 'gold' })).details?.field).toBe('tier');
    expect(failure(() => parseNewCredential({ ...good, dailyQuota: 5 })).details?.field).toBe('dailyQuota');
  });

  it('checks name, quotas and notes', () => {
    expect(failure(() => parseNewCredential({ ...good, credential_name: '' })).details?.field).toBe('credential_name');
    expect(failure(() => parseNewCredential({ ...good, credential_name: 'a\nb' })).details?.field).toBe('credential_name');
    expect(failure(() => parseNewCredential({ ...good, credential_name: 'x'.repeat(121) })).details?.field).toBe('credential_name');
    expect(failure(() => parseNewCredential({ ...good, daily_quota: 0 })).details?.field).toBe('daily_quota');
    expect(failure(() => parseNewCredential({ ...good, monthly_quota: 1.5 })).details?.field).toBe('monthly_quota');
    expect(failure(() => parseNewCredential({ ...good, monthly_quota: '10' })).details?.field).toBe('monthly_quota');
    expect(failure(() => parseNewCredential({ ...good, notes: 'n'.repeat(2001) })).details?.field).toBe('notes');
    expect(failure(() => parseNewCredential({ ...good, max_leases: 0 })).details?.field).toBe('max_leases');
    expect(failure(() => parseNewCredential({ ...good, max_leases: 101 })).details?.field).toBe('max_leases');
    expect(failure(() => parseNewCredential({ ...good, fields: { ...reddit, client_id: 7 } })).details?.field).toBe('fields.client_id');
  });

  it('lists every problem also when the platform is not in the registry', () => {
    const e = failure(() => parseNewCredential({ platform: 'myspace', tier: 'gold', credential_name: '', fields: 'x', dailyQuota: 1 }));
    expect((e.details!.fields as { field: string }[]).map((p) => p.field)).toEqual(['platform', 'tier', 'credential_name', 'fields', 'dailyQuota']);
    expect(JSON.stringify(e.toJSON())).not.toContain('myspace');
  });

  it('lists every problem, first one in the message', () => {
    const e = failure(() => parseNewCredential({ platform: 'serper', tier: 'free', fields: {} }));
    const fields = (e.details!.fields as { field: string }[]).map((p) => p.field);
    expect(fields).toEqual(['tier', 'credential_name', 'fields.api_key']);
  });
});

describe('CredentialPatchBody and SecretBody', () => {
  it('accepts name, quotas and notes only', () => {
    expect(parseCredentialPatch({ credential_name: 'x', daily_quota: null, notes: '' })).toEqual({ credentialName: 'x', dailyQuota: null, notes: null });
    expect(parseCredentialPatch({ max_leases: 2 })).toEqual({ maxLeases: 2 });
    expect(failure(() => parseCredentialPatch({ max_leases: '2' })).details?.field).toBe('max_leases');
    expect(failure(() => parseCredentialPatch({})).details?.field).toBe('body');
    const f = failure(() => parseCredentialPatch({ fields: { api_key: 'x' } }));
    expect(f.message).toContain('/secret');
    expect(failure(() => parseCredentialPatch({ platform: 'serper' })).details?.field).toBe('platform');
    expect(failure(() => parseCredentialPatch({ is_active: false })).message).toContain('activate');
  });

  it('needs the full field set of the row platform', () => {
    expect(parseSecretReplacement('serper', { fields: { api_key: 'k'.repeat(32) } })).toEqual({ api_key: 'k'.repeat(32) });
    expect(failure(() => parseSecretReplacement('reddit', { fields: { client_id: 'abc' } })).details?.field).toBe('fields.client_secret');
    expect(failure(() => parseSecretReplacement('serper', {})).details?.field).toBe('fields');
    expect(failure(() => parseSecretReplacement('serper', { fields: { api_key: 'k'.repeat(32) }, name: 'x' })).details?.field).toBe('name');
  });
});

describe('CredentialListQuery and IdParams', () => {
  it('parses filters and paging, empty meaning any', () => {
    expect(parseCredentialListQuery({})).toEqual({ limit: 50, offset: 0 });
    expect(parseCredentialListQuery({ platform: 'serper', tier: 'medium', active: 'false', limit: '10', offset: '20' })).toEqual({
      platform: 'serper',
      tier: 'medium',
      active: false,
      limit: 10,
      offset: 20,
    });
    expect(parseCredentialListQuery({ platform: '', tier: '', active: '' })).toEqual({ limit: 50, offset: 0 });
  });

  it('refuses bad filters with 422', () => {
    for (const [k, v] of [
      ['platform', 'nope'],
      ['tier', 'gold'],
      ['active', 'maybe'],
      ['limit', '0'],
      ['limit', '201'],
      ['offset', '-1'],
    ]) {
      expect(failure(() => parseCredentialListQuery({ [k!]: v })).details?.field).toBe(k);
    }
  });

  it('treats impossible ids as unknown (404)', () => {
    expect(parseWith(IdParams, { id: '42' })).toEqual({ ok: true, value: { id: 42 } });
    // The params validator answers 404 for these (test/credentials/api.test.ts).
    for (const bad of ['0', '-1', 'abc', '1.5', '99999999999999999999', '']) expect(parseWith(IdParams, { id: bad }).ok, bad).toBe(false);
  });
});

describe('masking', () => {
  it('classes lengths', () => {
    expect([lengthClass(8), lengthClass(15), lengthClass(16), lengthClass(63), lengthClass(64)]).toEqual(['short', 'short', 'medium', 'medium', 'long']);
  });

  it('shows non-secret values, and last 4 only for hintable secrets of 16+ characters', () => {
    const masked = maskCredentialFields('reddit', reddit);
    expect(masked).toEqual([
      { name: 'client_id', label: 'Client id', secret: false, set: true, value: 'abc123' },
      { name: 'client_secret', label: 'Client secret', secret: true, set: true, length_class: 'medium' },
      { name: 'user_agent', label: 'User agent', secret: false, set: true, value: 'research-bot/1.0 by u/someone' },
    ]);
    const key = 'sk-0123456789abcdefWXYZ';
    expect(maskCredentialFields('serper', { api_key: key })[0]).toMatchObject({ secret: true, length_class: 'medium', last4: 'WXYZ' });
    expect(maskCredentialFields('serper', { api_key: 'shortkey1' })[0]!.last4).toBeUndefined();
    expect(JSON.stringify(maskCredentialFields('serper', { api_key: key }))).not.toContain('0123456789');
    expect(maskCredentialFields('bluesky', { handle: 'me.bsky.social', app_password: 'abcd-efgh-ijkl-mnop' })[1]).toEqual({
      name: 'app_password',
      label: 'App password',
      secret: true,
      set: true,
      length_class: 'medium',
    });
    expect(maskCredentialFields('serper', {})[0]).toEqual({ name: 'api_key', label: 'API key', secret: true, set: false });
  });
});
