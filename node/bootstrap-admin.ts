/**
 * First admin for the self-hosted Node edition: `npm run bootstrap-admin:node`
 * (in the Docker image: `node dist/node-bootstrap-admin.mjs`). The command is
 * shared with the Deno edition (selfhost/bootstrap-admin.ts); this file
 * brings Node's terminal prompts (scripts/lib/prompt.ts, as the operator
 * scripts ask).
 */
import { readFileSync } from 'node:fs';
import { CliError } from '../scripts/lib/cli.ts';
import { promptHidden, promptLine } from '../scripts/lib/prompt.ts';
import { BootstrapError, runBootstrapAdmin } from '../selfhost/bootstrap-admin.ts';
import { SettingsError } from '../selfhost/secrets.ts';

try {
  console.log(
    await runBootstrapAdmin('bootstrap-admin:node', process.argv.slice(2), process.env, {
      promptLine,
      promptHidden: async (question) => {
        if (!process.stdin.isTTY) throw new BootstrapError('FIRST_ADMIN_PASSWORD (or FIRST_ADMIN_PASSWORD_FILE) is not set and there is no terminal to ask on');
        return promptHidden(question);
      },
      readFile: (p) => readFileSync(p, 'utf8'),
    }),
  );
  process.exit(0);
} catch (e) {
  if (e instanceof BootstrapError || e instanceof SettingsError || e instanceof CliError) {
    console.error(`bootstrap-admin: ${e.message}`);
    process.exit(1);
  }
  throw e;
}
