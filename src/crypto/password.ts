/**
 * Password hashing, runtime-neutral (workerd with nodejs_compat, Deno, Node >= 20).
 *
 * Current algorithm: scrypt with N = 2^14, r = 8, p = 5 — one of OWASP's
 * equivalent recommended scrypt settings
 * (https://cheatsheetseries.owasp.org/cheatsheets/Password_Storage_Cheat_Sheet.html#scrypt).
 * It needs 128·N·r = 16 MiB of memory, well inside a Worker's 128 MB, and costs
 * about 120 ms of CPU in workerd (docs/api/auth.md has the measurement). scrypt
 * comes from `node:crypto`, native in all three runtimes.
 *
 * PBKDF2-SHA256 (Web Crypto) is also understood, so hashes made elsewhere can be
 * verified and upgraded; production Workers refuse PBKDF2 above 100,000
 * iterations while local workerd does not, so the cap is enforced here.
 *
 * Encoded form (records algorithm and parameters, so they can be raised later;
 * `needsRehash` tells the login code to upgrade an old hash):
 *   scrypt$ln=14,r=8,p=5$<base64url salt>$<base64url hash>
 *   pbkdf2-sha256$i=100000$<base64url salt>$<base64url hash>
 *
 * @example
 *   const stored = await hashPassword('correct horse battery staple');
 *   await verifyPassword('correct horse battery staple', stored); // true
 *   needsRehash(stored); // false until CURRENT_PASSWORD_PARAMS is raised
 */
import { scrypt as scryptCallback } from 'node:crypto';
import { base64urlDecode, base64urlEncode, timingSafeEqual, utf8 } from './encoding.ts';

/** Production Workers throw NotSupportedError above this; local workerd does not. */
export const PBKDF2_MAX_ITERATIONS = 100_000;
/** scrypt memory (128·N·r bytes) allowed, so a stored hash cannot exhaust a 128 MB isolate. */
const SCRYPT_MAX_MEMORY_BYTES = 64 * 1024 * 1024;

const SALT_BYTES = 16;
const HASH_BYTES = 32;

type ScryptParams = { alg: 'scrypt'; ln: number; r: number; p: number };
type Pbkdf2Params = { alg: 'pbkdf2-sha256'; i: number };
type PasswordHashParams = ScryptParams | Pbkdf2Params;

/** What new hashes use. Raise it and old hashes are upgraded at their next login. */
export const CURRENT_PASSWORD_PARAMS: ScryptParams = { alg: 'scrypt', ln: 14, r: 8, p: 5 };

interface ParsedPasswordHash {
  params: PasswordHashParams;
  salt: Uint8Array;
  hash: Uint8Array;
}

/** Rejects parameters this vault will not run: too weak to be real, or too costly for a Worker. */
export function checkParams(params: PasswordHashParams): void {
  if (params.alg === 'pbkdf2-sha256') {
    if (!Number.isInteger(params.i) || params.i < 1_000) throw new RangeError('PBKDF2 iterations must be an integer >= 1000');
    if (params.i > PBKDF2_MAX_ITERATIONS) {
      throw new RangeError(`PBKDF2 iterations above ${PBKDF2_MAX_ITERATIONS} are rejected by production Workers`);
    }
    return;
  }
  const { ln, r, p } = params;
  if (![ln, r, p].every(Number.isInteger)) throw new RangeError('scrypt parameters must be integers');
  if (ln < 10 || ln > 20) throw new RangeError('scrypt ln must be between 10 and 20');
  if (r < 1 || r > 32 || p < 1 || p > 16) throw new RangeError('scrypt r must be 1..32 and p 1..16');
  if (128 * 2 ** ln * r > SCRYPT_MAX_MEMORY_BYTES) throw new RangeError('scrypt parameters need more memory than a Worker can spare');
}

function encodeParams(params: PasswordHashParams): string {
  return params.alg === 'scrypt' ? `scrypt$ln=${params.ln},r=${params.r},p=${params.p}` : `pbkdf2-sha256$i=${params.i}`;
}

function parseParams(alg: string, text: string): PasswordHashParams | null {
  const fields = new Map<string, number>();
  for (const part of text.split(',')) {
    const m = /^([a-z]+)=(\d{1,9})$/.exec(part);
    if (!m || fields.has(m[1]!)) return null;
    fields.set(m[1]!, Number(m[2]));
  }
  if (alg === 'scrypt' && fields.size === 3 && fields.has('ln') && fields.has('r') && fields.has('p')) {
    return { alg, ln: fields.get('ln')!, r: fields.get('r')!, p: fields.get('p')! };
  }
  if (alg === 'pbkdf2-sha256' && fields.size === 1 && fields.has('i')) return { alg, i: fields.get('i')! };
  return null;
}

/** Parses an encoded hash; `null` if it is malformed or its parameters are out of bounds. */
export function parsePasswordHash(encoded: string): ParsedPasswordHash | null {
  const parts = encoded.split('$');
  if (parts.length !== 4) return null;
  const [alg, paramText, saltText, hashText] = parts as [string, string, string, string];
  const params = parseParams(alg, paramText);
  const salt = base64urlDecode(saltText);
  const hash = base64urlDecode(hashText);
  if (!params || !salt || !hash || salt.length < 16 || hash.length < 16 || hash.length > 64) return null;
  try {
    checkParams(params);
  } catch {
    return null;
  }
  return { params, salt, hash };
}

function scrypt(password: Uint8Array, salt: Uint8Array, length: number, { ln, r, p }: ScryptParams): Promise<Uint8Array> {
  const N = 2 ** ln;
  return new Promise((resolve, reject) => {
    scryptCallback(password, salt, length, { N, r, p, maxmem: 256 * N * r }, (err, key) => {
      if (err) reject(err);
      else resolve(new Uint8Array(key.buffer, key.byteOffset, key.byteLength));
    });
  });
}

async function pbkdf2(password: Uint8Array, salt: Uint8Array, length: number, { i }: Pbkdf2Params): Promise<Uint8Array> {
  const key = await crypto.subtle.importKey('raw', password as Uint8Array<ArrayBuffer>, 'PBKDF2', false, ['deriveBits']);
  const params = { name: 'PBKDF2', hash: 'SHA-256', salt: salt as Uint8Array<ArrayBuffer>, iterations: i };
  const bits = await crypto.subtle.deriveBits(params, key, length * 8);
  return new Uint8Array(bits);
}

function derive(password: string, salt: Uint8Array, length: number, params: PasswordHashParams): Promise<Uint8Array> {
  checkParams(params); // the cap holds on every path, not only when parsing
  const bytes = utf8.encode(password.normalize('NFC'));
  return params.alg === 'scrypt' ? scrypt(bytes, salt, length, params) : pbkdf2(bytes, salt, length, params);
}

/** Hashes with fresh random salt under `params` (default: the current parameters). */
export async function hashPassword(password: string, params: PasswordHashParams = CURRENT_PASSWORD_PARAMS): Promise<string> {
  checkParams(params);
  const salt = crypto.getRandomValues(new Uint8Array(SALT_BYTES));
  const hash = await derive(password, salt, HASH_BYTES, params);
  return `${encodeParams(params)}$${base64urlEncode(salt)}$${base64urlEncode(hash)}`;
}

/**
 * True when `password` matches `encoded`. A malformed hash, or one whose
 * parameters exceed the caps, never matches (and costs nothing to reject).
 * The comparison is constant-time.
 */
export async function verifyPassword(password: string, encoded: string): Promise<boolean> {
  const parsed = parsePasswordHash(encoded);
  if (!parsed) return false;
  const candidate = await derive(password, parsed.salt, parsed.hash.length, parsed.params);
  return timingSafeEqual(candidate, parsed.hash);
}

/** True when `encoded` was made with other (older, weaker) parameters than `target`. */
export function needsRehash(encoded: string, target: PasswordHashParams = CURRENT_PASSWORD_PARAMS): boolean {
  const parsed = parsePasswordHash(encoded);
  if (!parsed) return true;
  return encodeParams(parsed.params) !== encodeParams(target) || parsed.hash.length !== HASH_BYTES;
}

/**
 * A hash that matches no password, with the current parameters. Login verifies
 * against it when the email is unknown, so a missing account takes as long to
 * refuse as a wrong password.
 */
export function decoyPasswordHash(params: ScryptParams = CURRENT_PASSWORD_PARAMS): string {
  const zeros = base64urlEncode(new Uint8Array(SALT_BYTES));
  const hash = base64urlEncode(new Uint8Array(HASH_BYTES));
  return `${encodeParams(params)}$${zeros}$${hash}`;
}

/**
 * A hash no one knows the password of (random salt and random hash bytes),
 * for an account that signs in only through single sign-on: made without
 * running the key derivation, and refused like any wrong password.
 */
export function unusablePasswordHash(params: ScryptParams = CURRENT_PASSWORD_PARAMS): string {
  const salt = base64urlEncode(crypto.getRandomValues(new Uint8Array(SALT_BYTES)));
  const hash = base64urlEncode(crypto.getRandomValues(new Uint8Array(HASH_BYTES)));
  return `${encodeParams(params)}$${salt}$${hash}`;
}
