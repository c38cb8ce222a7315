// decryptAll and rotateAllFrom (src/crypto/fernet.ts, "Many tokens at once"):
// one AES-CBC call for a group of tokens must give exactly what one call per
// token gives, whatever lengths, keys and bad tokens are mixed in the group.
import { describe, expect, it } from 'vitest';
import { decryptAll, Fernet, InvalidToken, rotateAllFrom } from '../../src/crypto/fernet.ts';
import { base64urlDecode, hexEncode } from '../../src/crypto/encoding.ts';
import { concat, forgeSigned, outcome, prng, rawCbc } from './support.ts';

const KEY_1 = 'w05RkQSU1mQMnwedhw6CjFivN7WcwEEBSNL2vtxWdoQ=';
const KEY_2 = 'hrbIRs839cf0fiasG7UuwspvKj3QzB8CFMIQYXCiIPI=';
const F1 = await Fernet.fromKey(KEY_1);
const F2 = await Fernet.fromKey(KEY_2);
const T = 1_700_000_000;
const iv = new Uint8Array(16).fill(5);

/** MAC-valid under KEY_1, but its padding is bad: only a key holder makes one, and it must still fail. */
const badPadding = forgeSigned(KEY_1, rawCbc(KEY_1, concat(new Uint8Array(31).fill(65), Uint8Array.of(0)), iv), { iv });

/** What one `decrypt` per token says: the plaintext, or null for InvalidToken. */
async function oneByOne(f: Fernet, tokens: string[]): Promise<(Uint8Array | null)[]> {
  const out: (Uint8Array | null)[] = [];
  for (const t of tokens) {
    const r = await outcome(() => f.decrypt(t));
    if (r instanceof InvalidToken) out.push(null);
    else out.push(await f.decrypt(t));
  }
  return out;
}

/** Tokens of every length around the block size, with bad ones among them. */
async function mixedTokens(seed: number): Promise<string[]> {
  const rnd = prng(seed);
  const tokens: string[] = [];
  for (let i = 0; i < 60; i++) {
    const roll = rnd.int(10);
    if (roll === 0)
      tokens.push(await F2.encrypt(rnd.bytes(rnd.int(40)))); // another key's MAC
    else if (roll === 1) tokens.push(badPadding);
    else if (roll === 2) tokens.push('gAAAAA-not-a-token');
    else tokens.push(await F1.encryptAtTime(rnd.bytes(rnd.int(70)), T + i));
  }
  return tokens;
}

describe('decryptAll', () => {
  it('opens every token a single decrypt opens, and only those, at every length and in any mix', async () => {
    for (const seed of [1, 2, 3]) {
      const tokens = await mixedTokens(seed);
      expect(await decryptAll(F1, tokens)).toEqual(await oneByOne(F1, tokens));
    }
  });

  it('a bad token last (the one Web Crypto unpads) fails alone', async () => {
    const good = [await F1.encrypt('a'), await F1.encrypt('b'.repeat(16))];
    const opened = await decryptAll(F1, [...good, badPadding]);
    expect(opened.map((p) => (p ? new TextDecoder().decode(p) : null))).toEqual(['a', 'b'.repeat(16), null]);
  });

  it('a bad token in the middle (unpadded here, not by Web Crypto) fails alone', async () => {
    const opened = await decryptAll(F1, [await F1.encrypt('first'), badPadding, await F1.encrypt('last')]);
    expect(opened.map((p) => (p ? new TextDecoder().decode(p) : null))).toEqual(['first', null, 'last']);
  });

  it('an empty list, or nothing that opens, gives nulls and no error', async () => {
    expect(await decryptAll(F1, [])).toEqual([]);
    expect(await decryptAll(F1, ['', 'x', await F2.encrypt('other key')])).toEqual([null, null, null]);
  });

  it('more tokens than one Web Crypto call takes (1,024) open as well', async () => {
    const plains = Array.from({ length: 1_100 }, (_, i) => `row-${i}`);
    const tokens = await Promise.all(plains.map((p) => F1.encrypt(p)));
    const opened = await decryptAll(F1, tokens);
    expect(opened.map((p) => new TextDecoder().decode(p!))).toEqual(plains);
  });
});

describe('rotateAllFrom', () => {
  it('re-seals each token under the new key with its plaintext and all 64 timestamp bits, null where it would not open', async () => {
    const tokens = await mixedTokens(4);
    const before = await oneByOne(F1, tokens);
    const rotated = await rotateAllFrom(F1, F2, tokens);
    expect(rotated.map((t) => t === null)).toEqual(before.map((p) => p === null));
    for (let i = 0; i < tokens.length; i++) {
      if (!rotated[i]) continue;
      expect(await F2.decrypt(rotated[i]!)).toEqual(before[i]);
      expect(base64urlDecode(rotated[i]!)!.subarray(1, 9)).toEqual(base64urlDecode(tokens[i]!)!.subarray(1, 9));
      expect(await outcome(() => F1.decrypt(rotated[i]!))).toBeInstanceOf(InvalidToken);
    }
  });

  it('gives every token its own IV, none of them equal, even for equal plaintexts', async () => {
    const tokens = await Promise.all(Array.from({ length: 1_100 }, () => F1.encryptAtTime('same', T)));
    const rotated = await rotateAllFrom(F1, F2, tokens);
    const ivs = new Set(rotated.map((t) => hexEncode(base64urlDecode(t!)!.subarray(9, 25))));
    expect(ivs.size).toBe(tokens.length);
    expect(new Set(rotated).size).toBe(tokens.length);
    expect((await decryptAll(F2, rotated as string[])).every((p) => new TextDecoder().decode(p!) === 'same')).toBe(true);
  });

  it('from a key that sealed none of them: all null', async () => {
    expect(await rotateAllFrom(F2, F1, [await F1.encrypt('x'), await F1.encrypt('y')])).toEqual([null, null]);
  });
});
