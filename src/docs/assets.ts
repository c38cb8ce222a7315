/**
 * The static files of the API reference page (/api/docs), in one place: the
 * page links them, `scripts/build-api-docs-assets.ts` writes them, and the
 * Deno edition serves them. They are not part of the Worker script: the
 * build copies them from `swagger-ui-dist` (npm, pinned) into the git-ignored
 * Workers Static Assets directory (`[assets]` in wrangler.toml), which
 * Cloudflare and `wrangler dev` serve before the Worker runs.
 */

/** The Workers Static Assets directory, relative to the repository root (wrangler.toml `[assets] directory`). */
export const STATIC_ASSETS_DIR = 'build/public';

/** URL path under which the page's files are served (inside STATIC_ASSETS_DIR). */
export const API_DOCS_ASSET_PATH = '/assets/api-docs';

/** The page's files: name served → where the build takes it from. */
export const API_DOCS_FILES = {
  /** Swagger UI (React and all), about 1.4 MB: the reason these files are not inlined into the Worker. */
  'swagger-ui-bundle.js': { from: 'swagger-ui-dist/swagger-ui-bundle.js', type: 'text/javascript; charset=utf-8' },
  'swagger-ui.css': { from: 'swagger-ui-dist/swagger-ui.css', type: 'text/css; charset=utf-8' },
  /** Ours: starts Swagger UI on /api/openapi.json (a file, so the page needs no inline script). */
  'init.js': { from: 'src/docs/swagger-ui-init.js', type: 'text/javascript; charset=utf-8' },
  /** Ours: the page's frame (header, skip link, focus ring, dark mode). */
  'api-docs.css': { from: 'src/docs/api-docs.css', type: 'text/css; charset=utf-8' },
  /** Swagger UI is Apache-2.0: its licence and notice travel with it. */
  'LICENSE.txt': { from: 'swagger-ui-dist/LICENSE', type: 'text/plain; charset=utf-8' },
  'NOTICE.txt': { from: 'swagger-ui-dist/NOTICE', type: 'text/plain; charset=utf-8' },
} as const;

export type ApiDocsFile = keyof typeof API_DOCS_FILES;

/** The URL of one of the page's files. */
export function apiDocsAsset(name: ApiDocsFile): string {
  return `${API_DOCS_ASSET_PATH}/${name}`;
}

/**
 * Response headers for every file (written to the `_headers` file Workers
 * Static Assets reads; the Deno edition sends the same): cached for an hour
 * like /assets/app.css, never sniffed into another type.
 */
export const API_DOCS_ASSET_HEADERS: Record<string, string> = {
  'Cache-Control': 'public, max-age=3600',
  'X-Content-Type-Options': 'nosniff',
};

/**
 * The passkey pages' files (login and account pages, src/auth/passkeys-page.tsx):
 * @simplewebauthn/browser's UMD bundle (pinned, MIT; its package exports do not
 * list the bundle, so the build copies it by path), its licence, and our page
 * script. Loaded with the page's CSP nonce, so the strict policy stays.
 */
export const PASSKEY_ASSET_PATH = '/assets/passkeys';

export const PASSKEY_FILES = {
  'simplewebauthn-browser.js': { from: 'node_modules/@simplewebauthn/browser/dist/bundle/index.umd.min.js', type: 'text/javascript; charset=utf-8' },
  'LICENSE.md': { from: 'node_modules/@simplewebauthn/browser/LICENSE.md', type: 'text/plain; charset=utf-8' },
  /** Ours: the register, sign-in (with conditional UI) and error wiring of the pages. */
  'passkeys.js': { from: 'src/auth/passkeys-browser.js', type: 'text/javascript; charset=utf-8' },
} as const;

export type PasskeyFile = keyof typeof PASSKEY_FILES;

export function passkeyAsset(name: PasskeyFile): string {
  return `${PASSKEY_ASSET_PATH}/${name}`;
}

/** Every group of static files: where it is served, and its files (the build writes them all; the self-hosted editions serve them all). */
export const STATIC_ASSET_GROUPS: { path: string; files: Record<string, { from: string; type: string }> }[] = [
  { path: API_DOCS_ASSET_PATH, files: API_DOCS_FILES },
  { path: PASSKEY_ASSET_PATH, files: PASSKEY_FILES },
];
