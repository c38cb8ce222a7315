// The printable QR page: payloads split and join back exactly, and the codes
// drawn on the page decode (with an independent decoder) to the armored backup.
import { describe, expect, it } from 'vitest';
import { joinQrPayloads, renderQrPage, splitQrPayloads } from '../../../scripts/lib/qr-page.ts';
import { encryptBackup } from '../../../scripts/lib/secret-backup.ts';
import { decodeQrPage } from './qr-raster.ts';

const KEY_ID = '0123456789abcdef';
const armored = `-----BEGIN PGP MESSAGE-----\nComment: test\n\n${'QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo'.repeat(12)}\n=abcd\n-----END PGP MESSAGE-----\n`;

describe('QR payloads', () => {
  it('keeps a backup that fits in one code exactly as it is', () => {
    expect(splitQrPayloads(armored, KEY_ID, 10_000)).toEqual([armored]);
    expect(joinQrPayloads([armored])).toBe(armored);
  });

  it('splits a large backup into numbered parts that join back in any order', () => {
    const parts = splitQrPayloads(armored, KEY_ID, 100);
    expect(parts.length).toBe(Math.ceil(armored.length / 100));
    for (const [i, p] of parts.entries()) expect(p.startsWith(`AVQR ${i + 1}/${parts.length} ${KEY_ID}\n`)).toBe(true);
    expect(joinQrPayloads([...parts].reverse())).toBe(armored);
  });

  it('refuses a missing part and parts of different backups', () => {
    const parts = splitQrPayloads(armored, KEY_ID, 100);
    expect(() => joinQrPayloads(parts.slice(1))).toThrow(/part 1 of \d+ is missing/);
    const other = splitQrPayloads(armored, 'fedcba9876543210', 100);
    expect(() => joinQrPayloads([parts[0]!, ...other.slice(1)])).toThrow(/different backups/);
  });
});

describe('renderQrPage', () => {
  it('draws codes that decode back to the armored backup, with the key id in clear', async () => {
    const value = 'CANARY-SECRET-qr-page-0123456789abcdef0123456789abcdef';
    const backup = await encryptBackup({ name: 'SECRET_KEY', value, keyId: KEY_ID, passphrase: 'purple-elephant-42 sings' });
    for (const maxChars of [10_000, 150]) {
      const svg = renderQrPage({ name: 'SECRET_KEY', keyId: KEY_ID, armored: backup, fileName: 'b.asc', createdAt: new Date(0), maxChars });
      const payloads = decodeQrPage(svg);
      expect(payloads.length).toBe(maxChars === 150 ? Math.ceil(backup.length / 150) : 1);
      expect(joinQrPayloads(payloads)).toBe(backup);
      expect(svg).toContain(`Key id: ${KEY_ID}`);
      expect(svg).toContain(`part ${payloads.length} of ${payloads.length}`);
      expect(svg).not.toContain(value);
    }
  });
});
