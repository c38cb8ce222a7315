// Starts Swagger UI on the vault's OpenAPI document. A file, not an inline
// script, so the page's CSP (src/docs/csp.ts) needs neither a nonce nor
// 'unsafe-inline'.
// - BaseLayout: no top bar, so no box to load another document;
// - queryConfigEnabled false: ?url= / ?configUrl= in the address bar are ignored;
// - validatorUrl null: no badge fetched from the public validator;
// - supportedSubmitMethods []: a reference, not a console; "Try it out" would
//   send real requests with the reader's session cookie.
// Dark mode: Swagger UI's own `html.dark-mode` class, following the system.
(() => {
  var dark = window.matchMedia ? window.matchMedia('(prefers-color-scheme: dark)') : null;
  function followScheme() {
    document.documentElement.classList.toggle('dark-mode', Boolean(dark?.matches));
  }
  followScheme();
  if (dark?.addEventListener) dark.addEventListener('change', followScheme);

  var root = document.getElementById('swagger-ui');
  if (!root || typeof window.SwaggerUIBundle !== 'function') return;
  window.ui = window.SwaggerUIBundle({
    url: root.getAttribute('data-openapi-url'),
    domNode: root,
    layout: 'BaseLayout',
    deepLinking: true,
    queryConfigEnabled: false,
    validatorUrl: null,
    supportedSubmitMethods: [],
    defaultModelsExpandDepth: 0,
  });
})();
