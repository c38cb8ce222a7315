/**
 * The request-body limit for every route, in one place (mounted once in
 * app.ts, before the CSRF check and every handler, so no body is parsed before
 * its size is known). It is hono/body-limit:
 *  - a body with Content-Length is judged by that header alone, unread;
 *  - a body without one (chunked) is read while streaming and cut off at the
 *    first chunk past the limit, so at most the limit is ever held in memory.
 * Too large is 413 `PAYLOAD_TOO_LARGE`: JSON on /api, the error page for forms
 * (http/errors.ts decides which).
 *
 * 64 KB for every body, JSON or form. No route needs more today; the largest
 * legitimate bodies are a credential (Telegram's 4,096-character session
 * string plus 2,000 characters of notes and a 120-character name: under 60 KB
 * even with every character percent-encoded as three UTF-8 bytes in a form,
 * under 40 KB as \u escapes in JSON) and a query design's arenas_config (one
 * entry per registry arena). Importing many credentials is a script
 * (`npm run import-credentials`), not a route. A route that truly needs more
 * needs its exception here, with its reason: a limit set on the route itself
 * could only lower this one, never raise it.
 */
import type { MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { VaultError } from '../errors.ts';
import type { AppEnv } from './types.ts';

export const DEFAULT_BODY_LIMIT_BYTES = 64 * 1024;

/** The one limit, for every route (no route is allowed more today; see above). */
export function bodyLimits(): MiddlewareHandler<AppEnv> {
  const maxBytes = DEFAULT_BODY_LIMIT_BYTES;
  return bodyLimit({
    maxSize: maxBytes,
    onError: () => {
      throw new VaultError('PAYLOAD_TOO_LARGE', `The request body is larger than the ${maxBytes / 1024} KB this route accepts.`, {
        details: { max_bytes: maxBytes },
      });
    },
  });
}
