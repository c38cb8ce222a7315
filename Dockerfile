# arena-vault, self-hosted Node edition (docs/node.md): the Worker's app on
# @hono/node-server over a SQLite file in /data. Secrets come from Docker
# secrets through the _FILE convention (compose.yaml, as the runbook shows).
# Not built on the project's machines (they have no Docker engine):
# test/node/node-edition/docker.test.ts checks this file and runs the runtime
# stage's files, exactly as copied below, without Docker.

# --- build: npm packages and the bundler, only to make dist/ and build/public/ ---
FROM node:24-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# Run-time dependencies are enough to build (tsx, esbuild, swagger-ui-dist); no test tools.
RUN npm ci --omit=dev --no-audit --no-fund
COPY . .
RUN npm run -s build:api-docs && npm run -s build:node

# --- runtime: Node 24, the two bundles and the files they read; no npm packages, no sources ---
FROM node:24-slim
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=8787 \
    DATABASE_PATH=/data/arena-vault.sqlite
WORKDIR /app
COPY --from=build /app/dist ./dist
COPY --from=build /app/migrations ./migrations
COPY --from=build /app/wrangler.toml ./wrangler.toml
COPY --from=build /app/build/public ./build/public
# The database directory belongs to the unprivileged user the server runs as (uid 1000 in node images).
RUN mkdir -p /data && chown node:node /data
USER node
VOLUME /data
EXPOSE 8787
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 8787) + '/api/health').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# SIGTERM: the server stops accepting, finishes requests in flight, closes the database (exit 0).
CMD ["node", "--enable-source-maps", "dist/node-server.mjs"]
