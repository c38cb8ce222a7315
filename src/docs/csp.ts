/**
 * The Content-Security-Policy of the API reference page. Every other response
 * gets the app's strict policy (src/http/app.ts: scripts only with the
 * per-response nonce, styles only from /assets/app.css); app.ts sends this one
 * instead for API_DOCS_PATH alone. test/docs/api-docs.test.ts asserts both.
 */

/** The path of the API reference page. */
export const API_DOCS_PATH = '/api/docs';

/**
 * Only what Swagger UI needs (checked in Chromium by the e2e suite, which
 * fails on any CSP violation):
 * - script-src 'self': swagger-ui-bundle.js and our init.js, both files from
 *   /assets/api-docs/ (no inline script, no nonce, no eval);
 * - style-src 'self': swagger-ui.css and api-docs.css. No 'unsafe-inline':
 *   Swagger UI (React) sets element styles through the DOM (CSSOM), which
 *   style-src does not govern, and writes no <style> element or style
 *   attribute markup (no violation in Chromium with this policy);
 * - img-src 'self' data: the icons in swagger-ui.css are data: SVGs;
 * - connect-src 'self': the fetch of /api/openapi.json;
 * - no forms (form-action 'none'), no frames, no <base>.
 */
export const API_DOCS_CSP = {
  defaultSrc: ["'none'"],
  scriptSrc: ["'self'"],
  styleSrc: ["'self'"],
  imgSrc: ["'self'", 'data:'],
  connectSrc: ["'self'"],
  formAction: ["'none'"],
  frameAncestors: ["'none'"],
  baseUri: ["'none'"],
};
