/**
 * Schema building blocks every route shares, so each rule exists once:
 * one line of text, free text, whole numbers in a range, ids in paths, paging
 * in query strings, ISO times, and the strict object that refuses unknown keys.
 * Query strings and forms arrive as strings; the `*FromString` variants turn
 * them into the same typed values the JSON API takes.
 *
 * @example
 *   const Body = strict({ name: singleLine(120), daily_quota: v.optional(quota()) });
 */
import * as v from 'valibot';
import { isMultiLineText, isSingleLine, MULTI_LINE_MESSAGE, SINGLE_LINE_MESSAGE } from './text.ts';
import { parseIsoTime } from './time.ts';

/** An object that refuses unknown keys (422 naming each one). */
export function strict<const E extends v.ObjectEntries>(entries: E) {
  return v.strictObject(entries);
}

/** One trimmed line of 1..max characters under the single-line rule (schema/text.ts). */
export function singleLine(max: number, min = 1) {
  return v.pipe(
    v.string(),
    v.trim(),
    v.check(isSingleLine, SINGLE_LINE_MESSAGE),
    v.minLength(min, min === 1 ? 'is required and must not be empty' : `must be at least ${min} characters`),
    v.maxLength(max, `must be at most ${max} characters`),
  );
}

/** Free text up to `max` characters: line breaks allowed, the rest of the rule applies. */
export function multiLineText(max: number) {
  return v.pipe(v.string(), v.check(isMultiLineText, MULTI_LINE_MESSAGE), v.maxLength(max, `must be at most ${max} characters`));
}

/** A whole number from min to max (JSON number). */
export function intRange(min: number, max: number) {
  const msg = `must be a whole number from ${min} to ${max}`;
  return v.pipe(v.number(msg), v.integer(msg), v.minValue(min, msg), v.maxValue(max, msg));
}

/** A whole number from min to max, given as decimal digits (query strings, forms). */
function intFromString(min: number, max: number) {
  const msg = `must be a whole number from ${min} to ${max}`;
  return v.pipe(v.string(msg), v.regex(/^[0-9]{1,16}$/, msg), v.transform(Number), v.safeInteger(msg), v.minValue(min, msg), v.maxValue(max, msg));
}

/** A query parameter: absent or empty means `dflt`. */
export function queryInt(min: number, max: number, dflt: number) {
  return v.optional(
    v.pipe(
      v.string(),
      v.transform((s) => (s === '' ? String(dflt) : s)),
      intFromString(min, max),
    ),
    String(dflt),
  );
}

/** `limit` (1..max, default) and `offset` (≥ 0) of a paged list. */
export function paging(maxLimit: number, defaultLimit: number) {
  return {
    limit: queryInt(1, maxLimit, defaultLimit),
    offset: queryInt(0, Number.MAX_SAFE_INTEGER, 0),
  };
}

/** A positive integer id in a path (`/x/:id`); anything else names nothing. */
export const idString = v.pipe(v.string(), v.regex(/^[1-9][0-9]{0,15}$/), v.transform(Number), v.safeInteger());

/** `{id}` path parameters. */
export const IdParams = v.object({ id: idString });

/** true/false, also as the strings a query or form sends. */
export const booleanish = v.pipe(
  v.union([v.boolean(), v.picklist(['true', 'false', '1', '0', 'yes', 'no', 'on', 'off'])], 'must be true or false'),
  v.transform((x) => x === true || x === 'true' || x === '1' || x === 'yes' || x === 'on'),
);

/**
 * An ISO 8601 date (`2027-01-31`) or date-time (`2027-01-31T12:00:00Z`; UTC
 * without an offset) → Unix ms. `endOfDay`: a bare date means its last millisecond.
 */
export function isoTime(endOfDay: boolean) {
  return v.pipe(
    v.string('must be an ISO 8601 date (2027-01-31) or date-time (2027-01-31T12:00:00Z)'),
    v.trim(),
    v.transform((s) => parseIsoTime(s, endOfDay)),
    v.number('must be an ISO 8601 date (2027-01-31) or date-time (2027-01-31T12:00:00Z)'),
  );
}

/** An empty string (a blank form field) is the same as absent. */
export function blankAsUndefined<S extends v.GenericSchema<string, unknown>>(schema: S) {
  return v.pipe(
    v.optional(v.string()),
    v.transform((s) => (s === undefined || s.trim() === '' ? undefined : s)),
    v.optional(schema),
  );
}

/**
 * A confirmation a form must carry (a ticked box sends `yes`): left out or
 * anything else gets `message`, the same for both, so the page can say
 * what to do.
 */
export function confirmed(message: string, value = 'yes') {
  return v.pipe(
    v.optional(v.string(), ''),
    v.check((s) => s === value, message),
  );
}

/** A time in an answer: ISO 8601 UTC as `Date#toISOString` writes it (response schemas). */
export const IsoTimestamp = v.pipe(v.string(), v.isoTimestamp());
