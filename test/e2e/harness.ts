/**
 * A tiny sequential test runner for the e2e suite: each step has a name and
 * a timeout; a failing step is reported (with a screenshot and the page's
 * HTML, via the `onFailure` hook) and the run goes on, because the later
 * flows mostly stand on their own. `summary()` gives the closing line.
 */
export interface StepResult {
  name: string;
  ok: boolean;
  ms: number;
  error?: string;
}

export class Runner {
  readonly results: StepResult[] = [];
  onFailure: (name: string) => Promise<void> = async () => undefined;

  async step(name: string, fn: () => Promise<void>, timeoutMs = 60_000): Promise<boolean> {
    const started = Date.now();
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        fn(),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs / 1000} s`)), timeoutMs);
        }),
      ]);
      const ms = Date.now() - started;
      this.results.push({ name, ok: true, ms });
      console.log(`  ok    ${name} (${(ms / 1000).toFixed(1)} s)`);
      return true;
    } catch (e) {
      const ms = Date.now() - started;
      const error = e instanceof Error ? (e.stack ?? e.message) : String(e);
      this.results.push({ name, ok: false, ms, error });
      console.log(`  FAIL  ${name} (${(ms / 1000).toFixed(1)} s)\n${indent(error)}`);
      await this.onFailure(name).catch((err) => console.log(`        (could not save failure artifacts: ${String(err)})`));
      return false;
    } finally {
      clearTimeout(timer);
    }
  }

  /** A step that must pass for the rest to make sense (setup): throws if it fails. */
  async required(name: string, fn: () => Promise<void>, timeoutMs?: number): Promise<void> {
    if (!(await this.step(name, fn, timeoutMs))) throw new Error(`required step failed: ${name}`);
  }

  get failed(): number {
    return this.results.filter((r) => !r.ok).length;
  }

  summary(): string {
    const passed = this.results.length - this.failed;
    return `${passed} passed, ${this.failed} failed`;
  }
}

function indent(s: string): string {
  return s.split('\n').slice(0, 12).map((l) => `        ${l}`).join('\n');
}
