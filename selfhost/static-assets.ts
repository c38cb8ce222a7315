/**
 * Workers Static Assets for the self-hosted editions. On Cloudflare (and under
 * `wrangler dev`) the files of `[assets] directory` are answered before the
 * Worker runs; here `openVault` does the same for the API reference page's
 * files (src/docs/assets.ts), read from the directory the same build writes
 * (`npm run build:api-docs`, which `start:node` and `start:deno` run first). Only the
 * named files are served, so no request path can reach another file. A file
 * the build has not written falls through to the Worker, which answers 404.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { API_DOCS_ASSET_HEADERS, STATIC_ASSET_GROUPS } from '../src/docs/assets.ts';

export async function staticAsset(request: Request, assetsDir: string): Promise<Response | null> {
  if (request.method !== 'GET' && request.method !== 'HEAD') return null;
  const { pathname } = new URL(request.url);
  const group = STATIC_ASSET_GROUPS.find((g) => pathname.startsWith(`${g.path}/`));
  if (!group) return null;
  const name = pathname.slice(group.path.length + 1);
  if (!Object.hasOwn(group.files, name)) return null;
  let body: Uint8Array<ArrayBuffer>;
  try {
    body = new Uint8Array(await readFile(join(assetsDir, group.path, name)));
  } catch (e) {
    if ((e as { code?: string })?.code === 'ENOENT') return null; // not built: the Worker answers 404
    throw e;
  }
  const headers = { 'content-type': group.files[name]!.type, 'content-length': String(body.byteLength), ...API_DOCS_ASSET_HEADERS };
  return new Response(request.method === 'HEAD' ? null : body, { headers });
}
