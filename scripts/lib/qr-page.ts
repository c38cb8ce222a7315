/**
 * A printable page (SVG, A4 wide) carrying an armored backup as QR codes, for
 * the "printed QR code in a safe" copy. The page shows the secret's name and
 * key id in clear, the armored text itself (ciphertext, safe to print) as a
 * fallback for typing, and how to restore.
 *
 * QR payloads: a backup that fits in one code is the armored text exactly, so
 * any scanner's output can be saved as the .asc file. A larger one is split
 * into parts of at most `maxChars` characters, each prefixed with one line
 * `AVQR <part>/<count> <key id>`; `joinQrPayloads` puts them back together in
 * any scan order.
 *
 * @example
 *   const svg = renderQrPage({ name, keyId, armored, fileName, createdAt: new Date() });
 */
import QRCode from 'qrcode';
import { CliError } from './cli.ts';

export const QR_PART_CHARS = 700;
const PART_HEADER = /^AVQR (\d+)\/(\d+) ([0-9a-f]+)\n/;

export function splitQrPayloads(armored: string, keyId: string, maxChars = QR_PART_CHARS): string[] {
  if (armored.length <= maxChars) return [armored];
  const count = Math.ceil(armored.length / maxChars);
  return Array.from({ length: count }, (_, i) => `AVQR ${i + 1}/${count} ${keyId}\n${armored.slice(i * maxChars, (i + 1) * maxChars)}`);
}

/** The armored backup from scanned payloads, in any order; refuses gaps and mixed backups. */
export function joinQrPayloads(payloads: string[]): string {
  if (payloads.length === 1 && !PART_HEADER.test(payloads[0]!)) return payloads[0]!;
  const parts = new Map<number, string>();
  let count = 0;
  let keyId = '';
  for (const payload of payloads) {
    const m = PART_HEADER.exec(payload);
    if (!m) throw new CliError('a scanned code is not an arena-vault backup part');
    const [, part, total, id] = m;
    if ((count && Number(total) !== count) || (keyId && id !== keyId)) throw new CliError('the scanned codes come from different backups');
    count = Number(total);
    keyId = id!;
    parts.set(Number(part), payload.slice(m[0].length));
  }
  for (let i = 1; i <= count; i++) if (!parts.has(i)) throw new CliError(`part ${i} of ${count} is missing`);
  return Array.from({ length: count }, (_, i) => parts.get(i + 1)!).join('');
}

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** Dark modules as a path in module units: one `M x y h n v1 h-n z` per horizontal run. */
export function qrModulePath(payload: string): { size: number; d: string } {
  const { modules } = QRCode.create(payload, { errorCorrectionLevel: 'M' });
  const runs: string[] = [];
  for (let y = 0; y < modules.size; y++) {
    let x = 0;
    while (x < modules.size) {
      if (!modules.get(y, x)) {
        x++;
        continue;
      }
      const start = x;
      while (x < modules.size && modules.get(y, x)) x++;
      runs.push(`M${start} ${y}h${x - start}v1h-${x - start}z`);
    }
  }
  return { size: modules.size, d: runs.join('') };
}

export interface QrPageInput {
  name: string;
  keyId: string;
  armored: string;
  fileName: string;
  createdAt: Date;
  maxChars?: number;
}

/** The whole page as an SVG document (millimetre units, 210 mm wide). */
export function renderQrPage(input: QrPageInput): string {
  const payloads = splitQrPayloads(input.armored, input.keyId, input.maxChars);
  const width = 210;
  const margin = 15;
  const out: string[] = [];
  let y = 22;
  const text = (value: string, size: number, opts: { mono?: boolean; bold?: boolean } = {}) => {
    const family = opts.mono ? 'DejaVu Sans Mono, Menlo, Consolas, monospace' : 'DejaVu Sans, Helvetica, Arial, sans-serif';
    out.push(
      `<text x="${margin}" y="${y.toFixed(1)}" font-family="${family}" font-size="${size}"${opts.bold ? ' font-weight="bold"' : ''}>${escapeXml(value)}</text>`,
    );
    y += size * 1.45;
  };
  text('arena-vault secret backup', 8, { bold: true });
  text(`Secret: ${input.name}`, 5);
  text(`Key id: ${input.keyId}`, 6, { mono: true, bold: true });
  text(`Made: ${input.createdAt.toISOString()}`, 3.2);
  text(`File: ${input.fileName}`, 3.2, { mono: true });
  y += 2;
  text('OpenPGP, AES-256, passphrase-protected. Keep the passphrase somewhere else than this page.', 3.2);
  if (payloads.length > 1) {
    text(`Restore: scan all ${payloads.length} codes (any order), drop each code's first line "AVQR i/n ...",`, 3.2);
    text('join the rest in part order, save the text as the file above, then run:', 3.2);
  } else {
    text('Restore: scan the code, save its text as the file above, then run:', 3.2);
  }
  text(`gpg --decrypt ${input.fileName}`, 3.2, { mono: true });
  text('Check it against the vault:', 3.2);
  text(`npm run verify-backup -- ${input.fileName}`, 3.2, { mono: true });
  y += 4;

  const codeWidth = 85;
  const gap = width - 2 * margin - 2 * codeWidth; // two codes per row
  payloads.forEach((payload, i) => {
    const { size, d } = qrModulePath(payload);
    const quiet = 4;
    const scale = codeWidth / (size + 2 * quiet);
    const col = i % 2;
    const x = margin + col * (codeWidth + gap);
    const top = y;
    out.push(
      `<g class="qr" data-part="${i + 1}" data-parts="${payloads.length}" data-modules="${size}" transform="translate(${(x + quiet * scale).toFixed(3)} ${(top + quiet * scale).toFixed(3)}) scale(${scale.toFixed(5)})"><path fill="#000" d="${d}"/></g>`,
    );
    out.push(
      `<text x="${(x + codeWidth / 2).toFixed(1)}" y="${(top + codeWidth + 5).toFixed(1)}" text-anchor="middle" font-family="DejaVu Sans, Helvetica, Arial, sans-serif" font-size="4">part ${i + 1} of ${payloads.length} · key id ${input.keyId}</text>`,
    );
    if (col === 1 || i === payloads.length - 1) y += codeWidth + 12;
  });

  text('The armored backup as text (for typing in if no code scans):', 3.2, { bold: true });
  for (const line of input.armored.trimEnd().split('\n')) text(line, 3, { mono: true });
  const height = Math.ceil(y + margin);
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}mm" height="${height}mm" viewBox="0 0 ${width} ${height}">`,
    `<title>arena-vault backup of ${escapeXml(input.name)}, key id ${escapeXml(input.keyId)}</title>`,
    `<rect width="${width}" height="${height}" fill="#fff"/>`,
    ...out,
    '</svg>',
    '',
  ].join('\n');
}
