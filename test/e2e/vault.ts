/**
 * The vault under test: a real `wrangler dev` on a fresh local D1 (see
 * test/support/wrangler-dev.ts for the temp directory it lives in).
 *
 * Test keys are generated per run and written to the temp `.dev.vars` at each
 * start. A restart with other variables (a new key ring) keeps the same
 * state, as an operator's `wrangler secret bulk` + redeploy would. The whole
 * wrangler log of every start goes to one file for debugging.
 */
import { appendFileSync, writeFileSync } from 'node:fs';
import { ROOT, WranglerDev } from '../support/wrangler-dev.ts';

export { ROOT };
export type Vars = Record<string, string>;

export class E2eVault extends WranglerDev {
  constructor(readonly logFile: string) {
    super('arena-vault-e2e-');
    writeFileSync(logFile, `arena-vault e2e: wrangler log (${new Date().toISOString()})\n`);
  }

  protected override output(text: string): void {
    appendFileSync(this.logFile, text);
  }

  protected override failureHint(): string {
    return `; see ${this.logFile}`;
  }

  /** The first admin, through the project's own script (password via env, never argv). */
  bootstrapAdmin(email: string, password: string): string {
    return this.run(process.execPath, ['--import', 'tsx', 'scripts/bootstrap-admin.ts', '--persist-to', this.state], {
      cwd: ROOT,
      env: { FIRST_ADMIN_EMAIL: email, FIRST_ADMIN_PASSWORD: password },
    });
  }
}
