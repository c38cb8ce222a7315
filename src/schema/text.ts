/**
 * The one rule for human-entered text, used by every name and label
 * (credential names, query-design names, display names, API-key names, task
 * ids, credential field values) and, with newlines allowed, by free text
 * (notes, descriptions).
 *
 * A single line of text refuses:
 * - C0 controls (U+0000–U+001F) and DEL (U+007F): tabs and line breaks included;
 * - C1 controls (U+0080–U+009F), NEL among them;
 * - the line and paragraph separators U+2028 and U+2029;
 * - the bidirectional embedding, override and isolate controls U+202A–U+202E
 *   and U+2066–U+2069, which make a name display as something else
 *   ("Trojan Source").
 * Multi-line text refuses the same, except line feed and carriage return.
 */

// biome-ignore lint/suspicious/noControlCharactersInRegex: these classes exist to find control characters
const FORBIDDEN_IN_LINE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/u;
// biome-ignore lint/suspicious/noControlCharactersInRegex: these classes exist to find control characters
const FORBIDDEN_IN_TEXT = /[\u0000-\u0009\u000b\u000c\u000e-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/u;

/** What a refused single line is told (the value itself is never echoed). */
export const SINGLE_LINE_MESSAGE = 'must be one line without control, line-separator or bidirectional-override characters';
/** What refused multi-line text is told. */
export const MULTI_LINE_MESSAGE = 'must not contain control, line-separator or bidirectional-override characters (line breaks are fine)';

/** True when `s` is acceptable as one line of text (a name or label). */
export function isSingleLine(s: string): boolean {
  return !FORBIDDEN_IN_LINE.test(s);
}

/** True when `s` is acceptable as free text (newlines allowed). */
export function isMultiLineText(s: string): boolean {
  return !FORBIDDEN_IN_TEXT.test(s);
}
