/**
 * The one place errors become HTTP: a VaultError keeps its code, status and
 * safe message; anything else is a 500 `INTERNAL` with a generic message.
 * Logs carry the code, path and the error's safe log detail, never a body.
 */
import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { errorBody, VaultError } from '../errors.ts';
import type { AppEnv } from './types.ts';
import { isApiPath } from '../kernel/paths.ts';
import { errorOrigin, logLine } from '../kernel/log.ts';
import { REQUEST_ID_HEADER } from './request-id.ts';

export function toVaultError(err: unknown): VaultError {
  if (err instanceof VaultError) return err;
  if (err instanceof HTTPException && err.status < 500) {
    // hono's HTTPException (a hono middleware's refusal): one of our codes, generic text.
    if (err.status === 413) return new VaultError('PAYLOAD_TOO_LARGE', 'The request body is too large.');
    if (err.status === 403) return new VaultError('CSRF_FAILED', 'This form was not sent from this site.');
    return new VaultError('BAD_REQUEST', 'Bad request.');
  }
  return new VaultError('INTERNAL', 'Something went wrong inside the vault. Nothing was changed by the failed step.', {
    logDetail: err instanceof Error ? err.name : typeof err,
    cause: err,
  });
}

/** Hook for page modules to render errors as HTML (set by the UI layer). */
export type ErrorPageRenderer = (c: Context<AppEnv>, err: VaultError) => Response | Promise<Response>;

export function errorHandler(renderPage?: ErrorPageRenderer) {
  return (err: unknown, c: Context<AppEnv>): Response | Promise<Response> => {
    const e = toVaultError(err);
    const id = c.var.requestId ?? null;
    // A 500 names the error's class, its own code and where it was thrown; never its message (it may hold a value).
    const origin = e.code === 'INTERNAL' ? errorOrigin(e.cause ?? err) : {};
    logLine(e.status >= 500 ? 'error' : 'warn', { code: e.code, status: e.status, path: c.req.path, detail: e.logDetail, ...origin }, id);
    if (id) c.header(REQUEST_ID_HEADER, id);
    if (e.retryAfter !== undefined) c.header('Retry-After', String(Math.max(1, Math.ceil(e.retryAfter))));
    if (renderPage && !isApiPath(c.req.path)) return renderPage(c, e);
    return c.json(errorBody(e, id ?? undefined), e.status as 500);
  };
}
