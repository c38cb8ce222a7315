/**
 * Alert destinations after a credential-key rotation (this project's ring:
 * key 2 current, key 1 previous). The rotation engine walks api_credentials
 * only; the alert check re-seals a destination left under the previous key
 * with the rotation's re-encrypter, so it keeps opening once key 1 is gone.
 */
import { env } from 'cloudflare:test';
import { expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { CredentialKeyRing } from '../../src/crypto/key-ring.ts';
import { createDestination, openDestinations, resealDestinations } from '../../src/alerts/destination-store.ts';
import { TEST_CREDENTIAL_KEY, TEST_CREDENTIAL_KEY_2 } from '../support/keys.ts';

it('a destination sealed under the previous key is re-sealed under the current one, audited, and still opens with the new key alone', async () => {
  const ring = (await loadConfig(env)).credentialKeys;
  const oldRing = await CredentialKeyRing.fromKeys(TEST_CREDENTIAL_KEY);
  const { destination } = await createDestination(
    env.DB,
    oldRing,
    { kind: 'slack', name: 'chat', url: 'https://hooks.example.test/T0/B0/rotation-token' },
    { actor: 'user:1', ip: null },
  );
  const before = await env.DB.prepare('SELECT key_id, encrypted_value FROM alert_destinations WHERE id = ?')
    .bind(destination.id)
    .first<{ key_id: string; encrypted_value: string }>();
  expect(before!.key_id).toBe(oldRing.currentKeyId);
  expect(await resealDestinations(env.DB, ring)).toBe(1);
  expect(await resealDestinations(env.DB, ring)).toBe(0); // nothing left to do
  const after = await env.DB.prepare('SELECT key_id, encrypted_value FROM alert_destinations WHERE id = ?')
    .bind(destination.id)
    .first<{ key_id: string; encrypted_value: string }>();
  expect(after!.key_id).toBe(ring.currentKeyId);
  expect(after!.encrypted_value).not.toBe(before!.encrypted_value);
  const newOnly = await CredentialKeyRing.fromKeys(TEST_CREDENTIAL_KEY_2);
  const { opened, unreadable } = await openDestinations(env.DB, newOnly);
  expect(unreadable).toEqual([]);
  expect(opened.get(destination.id)!.url).toBe('https://hooks.example.test/T0/B0/rotation-token');
  const ev = await env.DB.prepare("SELECT detail FROM audit_events WHERE action = 'alert_destination.reseal'").first<{ detail: string }>();
  expect(JSON.parse(ev!.detail)).toEqual({ ids: [destination.id], to_key_id: ring.currentKeyId });
  expect(ev!.detail).not.toContain('rotation-token');
});
