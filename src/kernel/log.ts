/**
 * The one structured logger: every log line of the Worker and its Durable
 * Objects is one JSON object, `{"level", "request_id"?, "event"?, ...fields}`,
 * written with the console method of its level (console.info, .warn, .error),
 * so workerd, Workers Logs, `wrangler tail` and `wrangler dev --log-level info`
 * keep its level and index its fields. `request_id` comes first when the line
 * belongs to a request (http/request-id.ts), so every line of a request can be
 * found by the id its response carried in `X-Request-Id`. A kernel module: it
 * imports nothing of the app.
 *
 * Fields are facts for operators: codes, ids, counts, versions, paths. Never a
 * secret, an input value, a URL or an error's message (it may quote what
 * failed); log an error by its code or name (errorName, errorOrigin).
 *
 * @example
 *   log.warn('pool.sync_failed', { code: 'POOL_UNAVAILABLE', copy_version: 7 });
 *   logLine('warn', { code, status, path }, c.var.requestId);
 */
export type LogLevel = 'info' | 'warn' | 'error';
export type LogValue = string | number | boolean | null | undefined;
export type LogFields = Record<string, LogValue>;

/** Writes one line; the base of `log` for lines that carry a request id. */
export function logLine(level: LogLevel, fields: Record<string, unknown>, requestId?: string | null): void {
  console[level](JSON.stringify(requestId ? { level, request_id: requestId, ...fields } : { level, ...fields }));
}

export const log = {
  info: (event: string, fields: LogFields = {}): void => logLine('info', { event, ...fields }),
  warn: (event: string, fields: LogFields = {}): void => logLine('warn', { event, ...fields }),
  error: (event: string, fields: LogFields = {}): void => logLine('error', { event, ...fields }),
} as const satisfies Record<LogLevel, (event: string, fields?: LogFields) => void>;

/** An error named without its message (which may quote what failed): a VaultError's code, else the error's name. */
export function errorName(e: unknown): string {
  if (e && typeof e === 'object' && typeof (e as { code?: unknown }).code === 'string') return (e as { code: string }).code;
  return e instanceof Error ? e.name : typeof e;
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
