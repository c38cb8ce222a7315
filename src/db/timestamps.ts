/**
 * D1 rows keep times as milliseconds since the epoch; the REST API and the
 * pages show them as ISO 8601 strings (UTC), and an unset time as null.
 */
export const iso = (ms: number | null | undefined): string | null => (ms === null || ms === undefined ? null : new Date(ms).toISOString());
