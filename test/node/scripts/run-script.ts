// Test helpers: run an operator script as the operator would (a Node child
// process), and open its backups with the real gpg binary.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

export const ROOT = path.resolve(import.meta.dirname, '../../..');
// Resolved here so a script can also run with another working directory.
const TSX = import.meta.resolve('tsx');

export interface ScriptResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs scripts/NAME.ts with tsx. Async, so an in-process HTTP server can answer it. */
export function runScript(
  name: string,
  args: string[],
  opts: { input?: string; env?: Record<string, string | undefined>; cwd?: string } = {},
): Promise<ScriptResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', TSX, path.join(ROOT, 'scripts', `${name}.ts`), ...args], {
      cwd: opts.cwd ?? ROOT,
      env: { ...process.env, NO_COLOR: '1', ...opts.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(opts.input ?? '');
  });
}

export function tempDir(prefix: string): string {
  return mkdtempSync(path.join(tmpdir(), `av-${prefix}-`));
}

/** `gpg --decrypt FILE` with the passphrase from a file, in a throwaway GNUPGHOME. */
export function gpgDecrypt(file: string, passphraseFile: string): { code: number | null; stdout: string; stderr: string } {
  const home = tempDir('gnupg');
  try {
    const res = spawnSync(
      'gpg',
      ['--homedir', home, '--batch', '--quiet', '--pinentry-mode', 'loopback', '--passphrase-file', passphraseFile, '--decrypt', file],
      { encoding: 'utf8' },
    );
    return { code: res.status, stdout: res.stdout, stderr: res.stderr };
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
}

/** `gpg --symmetric` (binary output), as the original platform's runbook made backups. */
export function gpgSymmetric(input: string, out: string, passphraseFile: string): void {
  const home = tempDir('gnupg');
  try {
    const res = spawnSync(
      'gpg',
      [
        '--homedir',
        home,
        '--batch',
        '--pinentry-mode',
        'loopback',
        '--passphrase-file',
        passphraseFile,
        '--symmetric',
        '--cipher-algo',
        'AES256',
        '--output',
        out,
      ],
      { input, encoding: 'utf8' },
    );
    if (res.status !== 0) throw new Error(`gpg --symmetric failed: ${res.stderr}`);
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
}
