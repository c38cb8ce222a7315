/**
 * The one reader of whole-number query parameters (`limit`, `offset`, ...):
 * absent or empty means the default; anything else must be a whole number in
 * range, or it is a problem (422), never silently clamped.
 */
import type { FieldProblem } from './problems.ts';

export interface IntRange {
  min: number;
  max: number;
  default: number;
}

/** The value of `raw` in `range`, or the default with a problem pushed. */
export function intQueryParam(field: string, raw: string | undefined, range: IntRange, problems: FieldProblem[]): number {
  if (raw === undefined || raw === '') return range.default;
  const n = /^[0-9]{1,16}$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isSafeInteger(n) || n < range.min || n > range.max) {
    problems.push({ field, message: `must be a whole number from ${range.min} to ${range.max}` });
    return range.default;
  }
  return n;
}
