/**
 * Every request gets an id: a fresh random UUID (a caller's own header is not
 * trusted into the logs), set as `c.var.requestId` first thing, sent back as
 * the `X-Request-Id` response header on every response (API, page, error,
 * 404, 500), written in every log line of the request (kernel/log.ts) and as
 * `error.request_id` in every error body (http/errors.ts). The rest of the
 * request runs in its log context, which the pool and rotation clients hand
 * to their Durable Objects, so their lines carry it too.
 */
import type { MiddlewareHandler } from 'hono';
import type { AppEnv } from './types.ts';
import { withLogContext } from '../kernel/log.ts';

export const REQUEST_ID_HEADER = 'X-Request-Id';

export function requestId(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const id = crypto.randomUUID();
    c.set('requestId', id);
    c.header(REQUEST_ID_HEADER, id);
    await withLogContext({ requestId: id }, next);
    // A response built elsewhere (a Durable Object's, a redirect) may not carry it yet.
    if (c.res.headers.get(REQUEST_ID_HEADER) !== id) {
      try {
        c.res.headers.set(REQUEST_ID_HEADER, id);
      } catch {
        c.res = new Response(c.res.body, c.res);
        c.res.headers.set(REQUEST_ID_HEADER, id);
      }
    }
  };
}
