/**
 * `--decrypt-with gpg`: hands a backup to the operator's own `gpg --decrypt`
 * (and so to its agent, pinentry and smartcard), since a script can never
 * read a private key that lives on a hardware token. The plaintext comes back
 * through a pipe into memory and goes no further than the caller's checks;
 * gpg's own messages (which key, "please insert the card") pass through to
 * stderr, its status lines (`--status-fd 2`) are read for the literal file
 * name, which names the secret.
 *
 * @example
 *   const { entries } = await decryptWithGpg('/media/usb/arena-vault-SECRET_KEY-0123456789abcdef.asc', data);
 */
import { spawn } from 'node:child_process';
import { CliError } from './cli.ts';
import { interpretBackup, readBackupLabel, type BackupEntry, type BackupLabel } from './secret-backup.ts';

const STATUS = '[GNUPG:] ';

/** gpg's status-line escaping (%XX) undone. */
function unescapeStatus(s: string): string {
  return s.replace(/%([0-9A-Fa-f]{2})/g, (_m, h: string) => String.fromCharCode(parseInt(h, 16)));
}

/** Runs `gpg --decrypt FILE`; resolves the decrypted entries, or a CliError with gpg's last message. */
export async function decryptWithGpg(file: string, data: Uint8Array): Promise<{ entries: BackupEntry[]; label: BackupLabel }> {
  const child = spawn('gpg', ['--decrypt', '--status-fd', '2', '--', file], { stdio: ['inherit', 'pipe', 'pipe'] });
  const out: Buffer[] = [];
  let status = '';
  let lastMessage = '';
  let pending = '';
  child.stdout.on('data', (d: Buffer) => out.push(d));
  child.stderr.on('data', (d: Buffer) => {
    pending += d.toString('utf8');
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) {
      if (line.startsWith(STATUS)) status += `${line.slice(STATUS.length)}\n`;
      else if (line.trim()) {
        lastMessage = line.trim();
        process.stderr.write(`${line}\n`);
      }
    }
  });
  const code = await new Promise<number | null>((resolve, reject) => {
    child.on('error', (e) => reject(new CliError(`could not run gpg: ${e.message}`, 1)));
    child.on('close', resolve);
  });
  const plaintext = Buffer.concat(out);
  try {
    if (code !== 0 || !/^DECRYPTION_OKAY$/m.test(status)) {
      throw new CliError(`gpg could not decrypt ${file}${lastMessage ? ` (${lastMessage.replace(/^gpg:\s*/, '')})` : ''}`);
    }
    const literal = /^PLAINTEXT \S+ \S+ ?(.*)$/m.exec(status)?.[1];
    const entries = await interpretBackup(literal ? unescapeStatus(literal) : undefined, plaintext.toString('utf8'));
    return { entries, label: readBackupLabel(new TextDecoder().decode(data)) };
  } finally {
    plaintext.fill(0);
  }
}
