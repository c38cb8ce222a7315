// Converting one original-platform row (pure; the script's end-to-end test is test/node/import-credentials.test.ts).
import { describe, expect, it } from 'vitest';
import { Fernet } from '../../src/crypto/fernet.ts';
import { convertLegacyRow } from '../../src/credentials/legacy-import.ts';
import { TEST_CREDENTIAL_KEY, TEST_CREDENTIAL_KEY_2 } from '../support/keys.ts';

const row = (credentials: string, extra: Record<string, unknown> = {}) =>
  JSON.stringify({ platform: 'serper', tier: 'medium', credential_name: 'S', credentials, ...extra });

describe('convertLegacyRow', () => {
  it('keeps a valid token under the current key byte-for-byte', async () => {
    const vault = await Fernet.fromKey(TEST_CREDENTIAL_KEY);
    const token = await vault.encrypt(JSON.stringify({ api_key: 'k'.repeat(20) }));
    const r = await convertLegacyRow(row(token), [vault], vault);
    expect(r).toMatchObject({ ok: true, credential: { token, keyId: vault.keyId, keptToken: true, normalized: false, isActive: true } });
  });

  it('re-encrypts under the current key when the original key differs or fields need normalising', async () => {
    const [vault, old] = await Promise.all([Fernet.fromKey(TEST_CREDENTIAL_KEY), Fernet.fromKey(TEST_CREDENTIAL_KEY_2)]);
    const token = await old.encrypt(JSON.stringify({ api_key: 'k'.repeat(20) }));
    const r = await convertLegacyRow(row(token, { is_active: 0 }), [vault, old], vault);
    if (!r.ok) throw new Error(r.problem);
    expect(r.credential).toMatchObject({ keptToken: false, keyId: vault.keyId, isActive: false });
    expect(new TextDecoder().decode(await vault.decrypt(r.credential.token))).toBe(JSON.stringify({ api_key: 'k'.repeat(20) }));
    const padded = await vault.encrypt(JSON.stringify({ api_key: ` ${'k'.repeat(20)} ` }));
    const n = await convertLegacyRow(row(padded), [vault], vault);
    expect(n).toMatchObject({ ok: true, credential: { keptToken: false, normalized: true } });
  });

  it('explains bad rows without quoting them', async () => {
    const vault = await Fernet.fromKey(TEST_CREDENTIAL_KEY);
    const nested = await vault.encrypt(JSON.stringify({ api_key: { v: 'SECRET-nested' } }));
    const cases: [string, string][] = [
      ['{"credentials": "SECRET-in-broken-json"', 'not valid JSON'],
      ['[1]', 'not a JSON object'],
      [row(''), 'column "credentials" must be a Fernet token string'],
      [row('SECRET-not-a-token'), 'does not decrypt'],
      [row(await vault.encrypt('SECRET plain text')), 'not to a JSON object'],
      [row(nested), 'credentials field "api_key" is not a string or number'],
      [row(await vault.encrypt('{"api_key":"kkkkkkkkkkkk"}'), { is_active: 'maybe' }), 'is_active'],
      [row(await vault.encrypt('{"api_key":"kkkkkkkkkkkk"}'), { daily_quota: 0 }), 'daily_quota'],
    ];
    for (const [line, want] of cases) {
      const r = await convertLegacyRow(line, [vault], vault);
      expect(r.ok, line).toBe(false);
      if (!r.ok) {
        expect(r.problem).toContain(want);
        expect(r.problem).not.toContain('SECRET');
      }
    }
  });
});
