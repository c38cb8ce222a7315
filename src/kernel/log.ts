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
 * Inside a request, or a Durable Object call made while serving one, the id
 * need not be passed: `withLogContext` (set once at an entry point: the
 * request-id middleware, the objects' `inContext` RPC and their alarms)
 * keeps it in an AsyncLocalStorage, and every line written meanwhile carries
 * it. A Durable Object alarm (no request) runs under an id of its own,
 * `alarm-<uuid>` (`alarmLogContext`), as the cron's runs use `cron-<uuid>`.
 *
 * Fields are facts for operators: codes, ids, counts, versions, paths. Never a
 * secret, an input value, a URL or an error's message (it may quote what
 * failed); log an error by its code or name (errorName, errorOrigin).
 *
 * @example
 *   log.warn('pool.sync_failed', { code: 'POOL_UNAVAILABLE', copy_version: 7 });
 *   logLine('warn', { code, status, path }, c.var.requestId);
 */
import { AsyncLocalStorage } from 'node:async_hooks';

export type LogLevel = 'info' | 'warn' | 'error';
export type LogValue = string | number | boolean | null | undefined;
export type LogFields = Record<string, LogValue>;

/** What a log line carries without being told: the id of the request (or run) it belongs to. Crosses RPC as is. */
export interface LogContext {
  requestId: string;
}

const current = new AsyncLocalStorage<LogContext>();

/** Runs `fn` with `ctx` as the log context of every line it (and what it awaits) writes; null: as it stands. */
export function withLogContext<T>(ctx: LogContext | null | undefined, fn: () => T): T {
  return ctx ? current.run({ requestId: ctx.requestId }, fn) : fn();
}

/** The log context in force here, to hand to a Durable Object call; null outside any. */
export function logContext(): LogContext | null {
  return current.getStore() ?? null;
}

/** The context of one Durable Object alarm invocation: a generated id, marked as an alarm's by its prefix. */
export function alarmLogContext(): LogContext {
  return { requestId: `alarm-${crypto.randomUUID()}` };
}

/**
 * A Durable Object's one context-carrying RPC entry (`inContext(ctx, method, args)`):
 * runs the object's own method `method`, one of `allowed`, with `args`, in the
 * caller's log context. The clients call every method through it, so no method
 * takes the id as a parameter of its own.
 */
export async function callInLogContext(
  target: object,
  allowed: ReadonlySet<string>,
  ctx: LogContext | null,
  method: string,
  args: unknown[],
): Promise<unknown> {
  const fn = (target as Record<string, unknown>)[method];
  if (!allowed.has(method) || typeof fn !== 'function') throw new TypeError(`no RPC method ${method.slice(0, 40)}`);
  return withLogContext(ctx, () => fn.apply(target, args));
}

/** Writes one line; `requestId` defaults to the log context's (withLogContext); null writes none. */
export function logLine(level: LogLevel, fields: Record<string, unknown>, requestId: string | null = logContext()?.requestId ?? null): void {
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
