/**
 * Sealing and opening a credential's fields with the credential key ring.
 * The encrypted value is the Fernet token of the JSON object of fields (as the
 * original platform stored it). Writes always use the ring's current key and
 * return its key id, which the row stores beside the token.
 *
 * `openCredential` never throws for a bad row: it classifies it, so a list
 * page can show every row and a verify can report without the value.
 */
import type { CredentialKeyRing, CredentialKeyStatus } from '../crypto/key-ring.ts';
import { utf8 } from '../crypto/encoding.ts';
import { isVaultError } from '../errors.ts';
import type { CredentialFields } from './fields.ts';
import { isPlainObject } from './fields.ts';

/** Why a row cannot be opened. */
type UnreadableReason = 'key_missing' | 'token_invalid' | 'payload_invalid';

export type OpenedCredential =
  | { readable: true; keyStatus: 'current' | 'previous'; payload: Record<string, unknown> }
  | { readable: false; keyStatus: CredentialKeyStatus; reason: UnreadableReason };

export async function sealCredentialFields(ring: CredentialKeyRing, fields: CredentialFields): Promise<{ token: string; keyId: string }> {
  return ring.encrypt(JSON.stringify(fields));
}

export async function openCredential(ring: CredentialKeyRing, token: string, keyId: string): Promise<OpenedCredential> {
  const status = ring.statusOf(keyId);
  if (status === 'missing') return { readable: false, keyStatus: status, reason: 'key_missing' };
  let bytes: Uint8Array;
  try {
    bytes = await ring.decrypt(token, keyId);
  } catch (e) {
    if (isVaultError(e)) return { readable: false, keyStatus: status, reason: 'token_invalid' };
    throw e;
  }
  let payload: unknown;
  try {
    payload = JSON.parse(utf8.decode(bytes));
  } catch {
    payload = undefined;
  } finally {
    bytes.fill(0);
  }
  if (!isPlainObject(payload)) return { readable: false, keyStatus: status, reason: 'payload_invalid' };
  return { readable: true, keyStatus: status, payload };
}
