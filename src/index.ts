/**
 * The arena-vault Worker: the HTTP app plus the Durable Object classes that
 * wrangler.toml binds (CredentialPool, KeyRotation).
 */
import { createApp } from './http/app.ts';
import type { Env } from './env.ts';

export { CredentialPool } from './pool/durable-object.ts';
export { KeyRotation } from './rotation/durable-object.ts';

const app = createApp({ routes: [] });

export default {
  fetch: (request: Request, env: Env, ctx: ExecutionContext) => app.fetch(request, env, ctx),
} satisfies ExportedHandler<Env>;
