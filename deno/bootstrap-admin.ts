/**
 * First admin for the self-hosted Deno edition: `npm run bootstrap-admin:deno`.
 * The command itself is shared with the Node edition
 * (selfhost/bootstrap-admin.ts); this file brings Deno's terminal prompts.
 */
import { readFileSync } from 'node:fs';
import { BootstrapError, runBootstrapAdmin } from '../selfhost/bootstrap-admin.ts';
import { outsidePermissions, SettingsError } from '../selfhost/secrets.ts';
import { databasePathFrom } from '../selfhost/vault.ts';

/** Reads a line from the terminal without echoing it. */
async function promptHidden(question: string): Promise<string> {
  if (!Deno.stdin.isTerminal()) throw new BootstrapError('FIRST_ADMIN_PASSWORD (or FIRST_ADMIN_PASSWORD_FILE) is not set and there is no terminal to ask on');
  const encoder = new TextEncoder();
  Deno.stdout.writeSync(encoder.encode(question));
  Deno.stdin.setRaw(true);
  const bytes: number[] = [];
  const buf = new Uint8Array(1);
  try {
    for (;;) {
      const n = await Deno.stdin.read(buf);
      if (n === null || buf[0] === 13 || buf[0] === 10) break;
      if (buf[0] === 3) throw new BootstrapError('cancelled; nothing was changed');
      if (buf[0] === 127 || buf[0] === 8) bytes.pop();
      else bytes.push(buf[0]!);
    }
  } finally {
    Deno.stdin.setRaw(false);
    Deno.stdout.writeSync(encoder.encode('\n'));
  }
  return new TextDecoder().decode(new Uint8Array(bytes));
}

if (import.meta.main) {
  try {
    console.log(
      await runBootstrapAdmin('bootstrap-admin:deno', Deno.args, Deno.env.toObject(), {
        promptLine: async (q) => prompt(q.trimEnd()) ?? '',
        promptHidden,
        readFile: (p) => readFileSync(p, 'utf8'),
      }),
    );
    Deno.exit(0);
  } catch (e) {
    if (e instanceof BootstrapError || e instanceof SettingsError) {
      console.error(`bootstrap-admin: ${e.message}`);
      Deno.exit(1);
    }
    const refused = outsidePermissions(e);
    if (refused) {
      console.error(`bootstrap-admin: DATABASE_PATH=${databasePathFrom(Deno.env.toObject())}: ${refused}`);
      Deno.exit(1);
    }
    throw e;
  }
}
