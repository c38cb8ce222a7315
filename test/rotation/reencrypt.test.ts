// The re-encrypter on its own (src/rotation/reencrypt.ts): no bindings, only a key ring.
import { describe, expect, it } from 'vitest';
import { CredentialKeyRing } from '../../src/crypto/key-ring.ts';
import { base64urlDecode, base64urlEncode, utf8 } from '../../src/crypto/encoding.ts';
import { Fernet } from '../../src/crypto/fernet.ts';
import { RowReencrypter, verifyRows } from '../../src/rotation/reencrypt.ts';
import { withinBatchBudget } from '../../src/rotation/engine.ts';
import { MAX_BATCH_CIPHER_CHARS } from '../../src/rotation/state-machine.ts';
import { TEST_CREDENTIAL_KEY, TEST_CREDENTIAL_KEY_2 } from '../support/keys.ts';

const OLD = await Fernet.fromKey(TEST_CREDENTIAL_KEY);
const NEW = await Fernet.fromKey(TEST_CREDENTIAL_KEY_2);
const ring = new CredentialKeyRing(NEW, [OLD]);
const PLAIN = '{"api_key":"canary-reencrypt-1"}';

/**
 * A valid Fernet token under TEST_CREDENTIAL_KEY whose 64-bit timestamp is
 * `high * 2^32 + low`, built by hand: Fernet.encryptAtTime refuses times a JS
 * number cannot hold exactly, and such a token must still rotate bit for bit.
 */
async function tokenWithStamp(high: number, low: number): Promise<string> {
  const raw = base64urlDecode(TEST_CREDENTIAL_KEY)!;
  const signing = await crypto.subtle.importKey('raw', raw.slice(0, 16), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  const encryption = await crypto.subtle.importKey('raw', raw.slice(16), { name: 'AES-CBC' }, false, ['encrypt']);
  const iv = crypto.getRandomValues(new Uint8Array(16));
  const cipher = new Uint8Array(await crypto.subtle.encrypt({ name: 'AES-CBC', iv }, encryption, utf8.encode(PLAIN) as Uint8Array<ArrayBuffer>));
  const body = new Uint8Array(25 + cipher.length);
  body[0] = 0x80;
  new DataView(body.buffer).setUint32(1, high);
  new DataView(body.buffer).setUint32(5, low);
  body.set(iv, 9);
  body.set(cipher, 25);
  const mac = new Uint8Array(await crypto.subtle.sign('HMAC', signing, body));
  const token = new Uint8Array(body.length + 32);
  token.set(body);
  token.set(mac, body.length);
  return base64urlEncode(token);
}

function stampBytes(token: string): number[] {
  return [...base64urlDecode(token)!.subarray(1, 9)];
}

describe('RowReencrypter', () => {
  it('re-encrypts under the current key, keeping the plaintext and the original timestamp', async () => {
    const token = await OLD.encryptAtTime(PLAIN, 1_600_000_000);
    const { updates, failedIds } = await new RowReencrypter(ring).reencrypt([{ id: 7, keyId: OLD.keyId, encryptedValue: token }]);
    expect(failedIds).toEqual([]);
    expect(updates).toHaveLength(1);
    const u = updates[0]!;
    expect(u).toMatchObject({ id: 7, fromKeyId: OLD.keyId, fromValue: token, toKeyId: NEW.keyId });
    expect(utf8.decode(await NEW.decrypt(u.toValue))).toBe(PLAIN);
    expect(await NEW.extractTimestamp(u.toValue)).toBe(1_600_000_000);
    await expect(OLD.decrypt(u.toValue)).rejects.toThrow();
  });

  it('copies all 64 bits of a timestamp beyond 2^53', async () => {
    const token = await tokenWithStamp(0x0030_0000, 0xdead_beef);
    const { updates } = await new RowReencrypter(ring).reencrypt([{ id: 1, keyId: OLD.keyId, encryptedValue: token }]);
    expect(stampBytes(updates[0]!.toValue)).toEqual(stampBytes(token));
    expect(utf8.decode(await NEW.decrypt(updates[0]!.toValue))).toBe(PLAIN);
  });

  it('leaves rows already under the current key out, and lists rows that do not open under the key their key_id names', async () => {
    const rows = [
      { id: 1, keyId: NEW.keyId, encryptedValue: await NEW.encrypt(PLAIN) },
      // Tagged with the old key but sealed under the new one: only the named key may open it.
      { id: 2, keyId: OLD.keyId, encryptedValue: await NEW.encrypt(PLAIN) },
      { id: 3, keyId: 'no-such-key', encryptedValue: await OLD.encrypt(PLAIN) },
      { id: 4, keyId: OLD.keyId, encryptedValue: 'gAAAAA-not-a-token' },
      { id: 5, keyId: OLD.keyId, encryptedValue: await OLD.encrypt(PLAIN) },
    ];
    const { updates, failedIds } = await new RowReencrypter(ring).reencrypt(rows);
    expect(updates.map((u) => u.id)).toEqual([5]);
    expect(failedIds).toEqual([2, 3, 4]);
    // Verification refuses the same rows, so a rotation fails before writing anything.
    expect((await verifyRows(ring, rows)).undecryptableIds).toEqual([2, 3, 4]);
  });
});

describe('withinBatchBudget', () => {
  const row = (id: number, chars: number) => ({ id, keyId: 'k', encryptedValue: 'x'.repeat(chars) });

  it('keeps a page of ordinary rows whole', () => {
    const page = Array.from({ length: 1000 }, (_, i) => row(i + 1, 150));
    expect(withinBatchBudget(page)).toHaveLength(1000);
  });

  it('cuts a page at MAX_BATCH_CIPHER_CHARS of ciphertext, and keeps at least one row however large', () => {
    const half = MAX_BATCH_CIPHER_CHARS / 2;
    expect(withinBatchBudget([row(1, half), row(2, half), row(3, 1)]).map((r) => r.id)).toEqual([1, 2]);
    expect(withinBatchBudget([row(1, half), row(2, half + 1)]).map((r) => r.id)).toEqual([1]);
    expect(withinBatchBudget([row(1, 3 * MAX_BATCH_CIPHER_CHARS), row(2, 1)]).map((r) => r.id)).toEqual([1]);
    expect(withinBatchBudget([])).toEqual([]);
  });
});
