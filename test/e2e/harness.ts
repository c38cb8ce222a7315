/**
 * The steps of the e2e suite on @playwright/test: each `step` is a
 * `test.step` (named in the list and the HTML report, with its own timeout),
 * but a failing step does not stop its flow, because the later steps of a
 * flow mostly stand on their own. It is recorded (with a screenshot and the
 * page's HTML via `onFailure`), and `assertStepsPassed` fails the test at its
 * end. A `required` step (setup) throws at once.
 */
import { test } from '@playwright/test';

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
    try {
      await test.step(name, fn, { timeout: timeoutMs });
      this.results.push({ name, ok: true, ms: Date.now() - started });
      return true;
    } catch (e) {
      const error = e instanceof Error ? (e.stack ?? e.message) : String(e);
      this.results.push({ name, ok: false, ms: Date.now() - started, error });
      await this.onFailure(name).catch((err) => console.log(`        (could not save failure artifacts: ${String(err)})`));
      return false;
    }
  }

  /** A step that must pass for the rest to make sense (setup): throws if it fails. */
  async required(name: string, fn: () => Promise<void>, timeoutMs?: number): Promise<void> {
    if (!(await this.step(name, fn, timeoutMs))) throw new Error(`required step failed: ${name}\n${this.results.at(-1)?.error ?? ''}`);
  }

  get failed(): number {
    return this.results.filter((r) => !r.ok).length;
  }

  /** Fails the current test if a step since `from` (an index into `results`) failed, naming each with its error. */
  assertStepsPassed(from: number): void {
    const failed = this.results.slice(from).filter((r) => !r.ok);
    if (failed.length) throw new Error(`${failed.length} step(s) failed:\n${failed.map((r) => `- ${r.name}\n${indent(r.error ?? '')}`).join('\n')}`);
  }

  summary(): string {
    const passed = this.results.length - this.failed;
    return `steps: ${passed} passed, ${this.failed} failed`;
  }
}

function indent(s: string): string {
  return s
    .split('\n')
    .slice(0, 12)
    .map((l) => `    ${l}`)
    .join('\n');
}
