// The crypto core is runtime-neutral: the same module works on Node >= 20.
import { describe, expect, it } from 'vitest';
import { Fernet } from '../../src/crypto/fernet.ts';

describe('Fernet on Node', () => {
  it('round-trips', async () => {
    const f = await Fernet.fromKey(Fernet.generateKey());
    expect(new TextDecoder().decode(await f.decrypt(await f.encrypt('hello')))).toBe('hello');
  });
});
