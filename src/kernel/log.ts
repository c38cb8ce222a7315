/**
 * The one structured logger: every log line of the Worker and its Durable
 * Objects is one JSON object, `{"level","event",...fields}`, written with
 * the console method of its level (console.info, .warn, .error), so workerd,
 * Workers Logs and `wrangler dev --log-level info` keep its level. A kernel
 * module: it imports nothing of the app.
 *
 * Fields are facts for operators: codes, ids, counts, versions, paths. Never a
 * secret, an input value or an error's message (it may quote what failed);
 * log an error by its code or name.
 *
 * @example
 *   log.warn('pool.sync_failed', { code: 'POOL_UNAVAILABLE', copy_version: 7 });
 */
export type LogLevel = 'info' | 'warn' | 'error';
export type LogValue = string | number | boolean | null | undefined;
export type LogFields = Record<string, LogValue>;

function write(level: LogLevel, event: string, fields: LogFields): void {
  console[level](JSON.stringify({ level, event, ...fields }));
}

export const log = {
  info: (event: string, fields: LogFields = {}): void => write('info', event, fields),
  warn: (event: string, fields: LogFields = {}): void => write('warn', event, fields),
  error: (event: string, fields: LogFields = {}): void => write('error', event, fields),
} as const satisfies Record<LogLevel, (event: string, fields?: LogFields) => void>;

/** An error named without its message (which may quote what failed): a VaultError's code, else the error's name. */
export function errorName(e: unknown): string {
  if (e && typeof e === 'object' && typeof (e as { code?: unknown }).code === 'string') return (e as { code: string }).code;
  return e instanceof Error ? e.name : typeof e;
}
