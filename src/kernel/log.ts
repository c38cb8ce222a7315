/**
 * The one log-line writer: one JSON object per line on stdout (Workers Logs
 * and `wrangler tail` index its fields). `request_id` comes first when the
 * line belongs to a request (http/request-id.ts), so every line of a request
 * can be found by the id its response carried in `X-Request-Id`. Callers pass
 * facts (codes, ids, counts), never a value from a request body, a credential
 * or a URL.
 */
export type LogLevel = 'info' | 'warn' | 'error';

export function logLine(level: LogLevel, fields: Record<string, unknown>, requestId?: string | null): void {
  console.log(JSON.stringify(requestId ? { level, request_id: requestId, ...fields } : { level, ...fields }));
}

/**
 * Where an error was thrown, for a 500's log line: its class, its own `code`
 * (when it is a plain identifier) and the first frame of its stack (a
 * function name and a file position; the message, which may hold a value,
 * is left out).
 */
export function errorOrigin(err: unknown): { error_class: string; error_code: string | null; thrown_at: string | null } {
  if (!(err instanceof Error)) return { error_class: typeof err, error_code: null, thrown_at: null };
  const code = (err as { code?: unknown }).code;
  const frame = (err.stack ?? '').split('\n').find((l) => /^\s+at /.test(l));
  return {
    error_class: err.name || err.constructor?.name || 'Error',
    error_code: typeof code === 'string' && /^[A-Za-z0-9_.-]{1,64}$/.test(code) ? code : null,
    thrown_at: frame ? frame.trim().replace(/^at /, '').slice(0, 200) : null,
  };
}
