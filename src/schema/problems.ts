/**
 * The one shape of an input problem and the one 422 built from a list of them:
 * `VALIDATION_FAILED` whose message names the first bad field and whose
 * `problems` list names them all. Messages name fields and limits, never the
 * submitted value (it may be a secret).
 */
import { VaultError } from '../errors.ts';

export interface FieldProblem {
  /** The JSON path of the bad input, e.g. `fields.api_key` or `tier`. */
  field: string;
  message: string;
}

/**
 * One 422 for a list of problems: `{"error":{"code":"VALIDATION_FAILED",
 * "message","details":{"field","fields":[{"field","message"}...]}}}`. The message names
 * the first problem (or is `message`, a sentence for a page to show);
 * `field` repeats its name for callers that read only one. Every
 * VALIDATION_FAILED is built here, so every one carries `fields`.
 */
export function validationError(problems: FieldProblem[], message?: string): VaultError {
  const first = problems[0]!;
  return new VaultError('VALIDATION_FAILED', message ?? `${first.field}: ${first.message}`, {
    details: { field: first.field, fields: problems },
  });
}

/** Every problem as one line for a page's notice: `name: is required; tier: ...` (fields and rules only, never a value). */
export function problemsText(problems: readonly FieldProblem[]): string {
  return problems.map((p) => `${p.field}: ${p.message}`).join('; ');
}
