// Global (no top-level import/export): types `env` from cloudflare:test as
// the Worker's own Env (src/env.ts) plus the migrations the test setup applies.
declare namespace Cloudflare {
  type WorkerEnv = import('../src/env.ts').Env;
  interface Env extends WorkerEnv {
    TEST_MIGRATIONS: import('cloudflare:test').D1Migration[];
  }
}

// Vite's `?raw` imports (the docs checks read markdown as text).
declare module '*?raw' {
  const text: string;
  export default text;
}
