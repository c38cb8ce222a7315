/**
 * A stand-in for the Cloudflare v4 API, for tests that run the REAL wrangler
 * CLI against it (Node only; never imported by the workerd suites).
 *
 * Point wrangler at it with `env()`: CLOUDFLARE_API_BASE_URL (read by
 * wrangler's `getCloudflareApiBaseUrl`), CLOUDFLARE_API_TOKEN and
 * CLOUDFLARE_ACCOUNT_ID (then wrangler asks for no login and no membership).
 *
 * It implements what wrangler calls for this project's production flows, and
 * records every call (`calls`, request bodies included: the stand-in is
 * test-only, so it keeps the secrets it receives, to be compared with the
 * backups):
 *
 * - Worker secrets: `secret bulk` (4.86: GET + PATCH .../settings, multipart
 *   `settings`; newer: PATCH .../secrets-bulk, a JSON merge patch; a missing
 *   Worker is created as a draft with PUT .../scripts/NAME),
 *   `secret put` (PUT .../secrets), `secret list` (GET .../secrets),
 *   `secret delete` (DELETE .../secrets/NAME).
 * - `wrangler deploy`: PUT .../workers/scripts/NAME (multipart: `metadata`
 *   JSON + modules), Durable Object migrations checked against the stored
 *   tag (`old_tag`/`new_tag`), secrets kept when `keep_bindings` says so,
 *   plus the workers.dev subdomain and deployment calls it makes after.
 * - D1: create (POST /d1/database), list (GET, paginated), get, `query`
 *   (what `d1 execute --remote --command` and `d1 migrations apply --remote`
 *   use), `raw`, and `import` (what `d1 execute --remote --file` uses: init,
 *   upload to the returned URL, ingest, poll). The SQL really runs, in SQLite
 *   (sql.js), one in-memory database per D1 database, so the tests can assert
 *   the rows.
 * - D1 Time Travel: GET .../time_travel/bookmark (info), POST
 *   .../time_travel/restore: a bookmark after every write, restore brings that
 *   snapshot back.
 * - Worker versions and deployments, as `wrangler deploy`, `wrangler
 *   deployments status` and `wrangler rollback` (4.164: `handleRollback`,
 *   `fetchLatestDeployment`, `fetchVersion`, `createDeployment`) use them:
 *   every script upload (PUT) and POST .../versions is a version; PUT and
 *   POST .../deployments put one at 100 % (newest deployment first in GET
 *   .../deployments); GET .../versions/ID and GET .../versions list them. A
 *   deployment of an older version (a rollback) brings back its code and
 *   bindings and keeps the Worker's secrets and Durable Object migration tag.
 *
 * Read from wrangler's own source: 4.86.0 (the bundled cli.js this project
 * pins: `secretBulkCommand`, `createDraftWorker`, `executeRemotely`,
 * `uploadAndBeginIngestion`, `pollUntilComplete`, `createWorkerUploadForm`)
 * and workers-sdk at packages/wrangler 4.125.0 (the newest source available
 * here; 4.164's was not): `secret bulk` there sends one JSON merge patch to
 * PATCH .../secrets-bulk (implemented too); deploy (moved to
 * packages/deploy-helpers), D1 execute/import and Time Travel call the same
 * endpoints with the same bodies as 4.86.
 *
 * Unknown routes answer 404 in Cloudflare's error envelope and are recorded
 * with `unknown: true`, so a test can fail on any call the stand-in does not
 * understand. `failNext(...)` makes the next matching call fail (400 by default),
 * for tests of a flow that breaks midway.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import initSqlJs, { type Database, type SqlJsStatic } from 'sql.js';

export const ACCOUNT_ID = '0123456789abcdef0123456789abcdef';
export const API_TOKEN = 'stand-in-api-token';

export interface RecordedCall {
  method: string;
  path: string;
  query: Record<string, string>;
  /** Parsed JSON, or for multipart bodies an object of the parsed parts; null when empty. */
  body: any;
  status: number;
  unknown?: boolean;
}

interface WorkerVersion {
  id: string;
  number: number;
  name: string;
  parts: Record<string, any> | null;
  createdOn: string;
  annotations: Record<string, string>;
}

export interface Deployment {
  id: string;
  source: string;
  strategy: 'percentage';
  created_on: string;
  versions: { version_id: string; percentage: number }[];
  annotations?: Record<string, string>;
}

export interface WorkerScript {
  name: string;
  /** The metadata part of the last upload (bindings, migrations, compatibility_date, ...). */
  metadata: any;
  /** Module name → its source, from the last upload. */
  modules: Map<string, string>;
  secrets: Map<string, string>;
  migrationTag: string | null;
  /** True while only `secret bulk` has made it (a draft Worker). */
  draft: boolean;
}

interface Snapshot {
  bookmark: string;
  at: number;
  data: Uint8Array;
}

export interface D1Database {
  uuid: string;
  name: string;
  createdAt: string;
  db: Database;
  history: Snapshot[];
}

type Handler = (req: ParsedRequest) => Promise<unknown> | unknown;

interface ParsedRequest {
  method: string;
  path: string;
  params: string[];
  query: Record<string, string>;
  body: any;
  raw: Buffer;
  /** The Authorization header as sent. */
  authorization: string;
}

/** A failure with Cloudflare's error code, answered in the v4 envelope. */
class ApiFailure extends Error {
  constructor(
    readonly status: number,
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

let sqlJs: Promise<SqlJsStatic> | null = null;
function loadSqlJs(): Promise<SqlJsStatic> {
  const require = createRequire(import.meta.url);
  sqlJs ??= initSqlJs({ locateFile: (f: string) => require.resolve(`sql.js/dist/${f}`) });
  return sqlJs;
}

/** Runs every statement of `sql`, all or nothing; one result per statement, as D1's query API answers. */
export function runSql(db: Database, sql: string): { results: Record<string, unknown>[]; success: true; meta: Record<string, number | boolean> }[] {
  const out: { results: Record<string, unknown>[]; success: true; meta: Record<string, number | boolean> }[] = [];
  db.exec('SAVEPOINT standin_query');
  try {
    for (const stmt of db.iterateStatements(sql)) {
      const rows: Record<string, unknown>[] = [];
      try {
        while (stmt.step()) rows.push(stmt.getAsObject());
      } finally {
        stmt.free();
      }
      const changes = db.getRowsModified();
      const lastRowId = Number(db.exec('SELECT last_insert_rowid()')[0]?.values[0]?.[0] ?? 0);
      out.push({
        results: rows,
        success: true,
        meta: { duration: 0.1, changes, last_row_id: lastRowId, changed_db: changes > 0, rows_read: rows.length, rows_written: changes, size_after: 0 },
      });
    }
    db.exec('RELEASE standin_query');
  } catch (e) {
    db.exec('ROLLBACK TO standin_query');
    db.exec('RELEASE standin_query');
    throw new ApiFailure(400, 7500, `${(e as Error).message}: SQLITE_ERROR`);
  }
  return out;
}

export class CloudflareApi {
  readonly calls: RecordedCall[] = [];
  readonly scripts = new Map<string, WorkerScript>();
  readonly databases = new Map<string, D1Database>();
  /** Called after every change of a Worker's secrets (e.g. to restart a local `wrangler dev` with them). */
  onSecretsChanged: ((script: WorkerScript) => void | Promise<void>) | null = null;
  #server: Server | null = null;
  #port = 0;
  #uploads = new Map<string, Buffer>();
  #versions = new Map<string, WorkerVersion>();
  #deployments = new Map<string, Deployment[]>();
  #failures: { match: (c: RecordedCall) => boolean; message: string; status: number }[] = [];
  #routes: { method: string; pattern: RegExp; handler: Handler; jwtAuth?: boolean }[] = [];
  /** Workers Static Assets (`[assets]`): uploaded files by hash, open upload sessions, finished uploads' completion tokens. */
  readonly assets = new Map<string, string>();
  #assetSessions = new Map<string, Set<string>>();
  #assetCompletions = new Set<string>();
  #bookmarks = 0;

  constructor() {
    const A = '/client/v4/accounts/([^/]+)';
    const S = `${A}/workers/scripts/([^/]+)`;
    const D = `${A}/d1/database/([^/]+)`;
    const route = (method: string, pattern: string, handler: Handler) => this.#routes.push({ method, pattern: new RegExp(`^${pattern}$`), handler });

    // Worker scripts and secrets
    route('GET', `${S}/settings`, (r) => ({ bindings: this.#bindingsOf(this.#script(r.params[1]!)) }));
    route('PATCH', `${S}/settings`, (r) => this.#patchSettings(this.#script(r.params[1]!), JSON.parse(r.body.settings)));
    // `secret bulk` in newer wrangler (read in 4.125): one JSON merge patch, null deletes.
    route('PATCH', `${S}/secrets-bulk`, (r) => {
      const script = this.#script(r.params[1]!);
      const patch = (r.body?.secrets ?? {}) as Record<string, { text?: string } | null>;
      for (const [name, v] of Object.entries(patch)) {
        if (v === null) script.secrets.delete(name);
        else if (typeof v?.text === 'string') script.secrets.set(name, v.text);
        else throw new ApiFailure(400, 10021, `secret ${name} needs a text`);
      }
      this.#secretsChanged(script);
      return { secrets: [...script.secrets.keys()].map((name) => ({ name, type: 'secret_text' })) };
    });
    route('GET', `${S}/secrets`, (r) => [...this.#script(r.params[1]!).secrets.keys()].sort().map((name) => ({ name, type: 'secret_text' })));
    route('PUT', `${S}/secrets`, (r) => {
      const script = this.#script(r.params[1]!);
      if (r.body?.type !== 'secret_text' || typeof r.body.name !== 'string' || typeof r.body.text !== 'string')
        throw new ApiFailure(400, 10021, 'a secret needs name, text and type secret_text');
      script.secrets.set(r.body.name, r.body.text);
      this.#secretsChanged(script);
      return { name: r.body.name, type: 'secret_text' };
    });
    route('DELETE', `${S}/secrets/([^/]+)`, (r) => {
      const script = this.#script(r.params[1]!);
      const name = decodeURIComponent(r.params[2]!);
      if (!script.secrets.delete(name)) throw new ApiFailure(404, 10056, `secret ${name} not found`);
      this.#secretsChanged(script);
      return null;
    });
    route('PUT', S, (r) => {
      const out = this.#upload(r.params[1]!, r.body);
      this.#deploy(this.#recordVersion(r.params[1]!, r.body).id, undefined);
      return out;
    });
    // Workers Static Assets direct upload (wrangler deploy with [assets]): a session lists the files the
    // account lacks in buckets; each bucket is posted (base64, multipart by hash) with the session's JWT;
    // the last one answers the completion JWT the script upload's metadata.assets.jwt must carry.
    route('POST', `${S}/assets-upload-session`, (r) => {
      const manifest = (r.body?.manifest ?? {}) as Record<string, { hash: string; size: number }>;
      const missing = [...new Set(Object.values(manifest).map((e) => e.hash))].filter((h) => !this.assets.has(h));
      const jwt = `assets-session-${randomUUID()}`;
      if (!missing.length) {
        this.#assetCompletions.add(jwt);
        return { jwt, buckets: [] };
      }
      this.#assetSessions.set(jwt, new Set(missing));
      return { jwt, buckets: [missing] };
    });
    this.#routes.push({
      method: 'POST',
      pattern: new RegExp(`^${A}/workers/assets/upload$`),
      jwtAuth: true,
      handler: (r) => {
        const jwt = r.authorization.replace(/^Bearer /, '');
        const pending = this.#assetSessions.get(jwt);
        if (!pending) throw new ApiFailure(401, 10000, 'unknown asset upload session');
        for (const [hash, content] of Object.entries((r.body ?? {}) as Record<string, string>)) {
          if (!pending.has(hash)) throw new ApiFailure(400, 10021, `asset ${hash} was not asked for`);
          this.assets.set(hash, content);
          pending.delete(hash);
        }
        if (pending.size) return {};
        this.#assetSessions.delete(jwt);
        const completion = `assets-done-${randomUUID()}`;
        this.#assetCompletions.add(completion);
        return { jwt: completion };
      },
    });
    // `wrangler deploy` of an existing Worker without new migrations: upload a version, then deploy it at 100 %.
    route('POST', `${S}/versions`, (r) => {
      const v = this.#recordVersion(r.params[1]!, r.body);
      return { ...this.#describeVersion(v), startup_time_ms: 1 };
    });
    route('GET', `${S}/versions`, (r) => ({
      items: [...this.#versions.values()]
        .filter((v) => v.name === r.params[1])
        .reverse()
        .map((v) => this.#describeVersion(v)),
    }));
    route('GET', `${S}/versions/([^/]+)`, (r) => {
      const v = this.#versions.get(r.params[2]!);
      if (!v || v.name !== r.params[1]) throw new ApiFailure(404, 10223, 'version not found');
      return this.#describeVersion(v);
    });
    route('POST', `${S}/deployments`, (r) => {
      const versions = (r.body?.versions ?? []) as { version_id: string; percentage: number }[];
      const full = versions.find((v) => v.percentage === 100);
      const version = full && this.#versions.get(full.version_id);
      if (!version || version.name !== r.params[1]) throw new ApiFailure(400, 10021, 'the stand-in deploys one uploaded version at 100 %');
      // A version deployed before (a rollback) keeps the Worker's current migration tag: its migrations ran once.
      const rollback = this.#deployments.get(version.name)?.some((d) => d.versions.some((v) => v.version_id === version.id)) ?? false;
      this.#upload(version.name, version.parts, { keepMigrationTag: rollback });
      return this.#deploy(version.id, r.body?.annotations);
    });
    route('GET', `${S}/subdomain`, () => ({ enabled: true, previews_enabled: true }));
    route('POST', `${S}/subdomain`, () => ({ enabled: true, previews_enabled: true }));
    route('GET', `${A}/workers/scripts`, () =>
      [...this.scripts.values()].map((s) => ({
        id: s.name,
        migration_tag: s.migrationTag ?? undefined,
        created_on: new Date().toISOString(),
        modified_on: new Date().toISOString(),
      })),
    );
    route('GET', `${A}/workers/subdomain`, () => ({ subdomain: 'stand-in' }));
    // The Workers v2 resource, which wrangler 4.164's deploy reads (404 for a Worker never uploaded).
    route('GET', `${A}/workers/workers/([^/]+)`, (r) => {
      const script = this.scripts.get(decodeURIComponent(r.params[1]!));
      if (!script) throw new ApiFailure(404, 10007, 'This Worker does not exist on your account.');
      const at = new Date().toISOString();
      return {
        id: script.name,
        name: script.name,
        created_on: at,
        updated_on: at,
        logpush: false,
        observability: { enabled: false },
        subdomain: { enabled: true, previews_enabled: true },
        tags: [],
        tail_consumers: [],
      };
    });
    route('GET', `${A}/workers/services/([^/]+)`, (r) => {
      const script = this.#script(r.params[1]!);
      return {
        id: script.name,
        default_environment: {
          environment: 'production',
          script: { id: script.name, migration_tag: script.migrationTag, tag: script.name, last_deployed_from: 'wrangler' },
        },
      };
    });
    route('GET', `${S}/deployments`, (r) => {
      this.#script(r.params[1]!);
      return { deployments: this.#deployments.get(r.params[1]!) ?? [] };
    });
    route('PATCH', `${S}/script-settings`, (r) => ({ ...(r.body ?? {}) }));
    route('GET', `${S}/script-settings`, () => ({ logpush: false, tail_consumers: null, observability: { enabled: false }, tags: [] }));
    route('PUT', `${S}/schedules`, () => ({ schedules: [] }));
    route('GET', `${S}/schedules`, () => ({ schedules: [] }));

    // D1
    route('POST', `${A}/d1/database`, (r) => this.#createDatabase(String(r.body?.name ?? '')));
    route('GET', `${A}/d1/database`, (r) => {
      const all = [...this.databases.values()].filter((d) => !r.query.name || d.name === r.query.name);
      const page = Number(r.query.page ?? 1);
      const per = Number(r.query.per_page ?? 10);
      return all.slice((page - 1) * per, page * per).map((d) => this.#describe(d));
    });
    route('GET', D, (r) => this.#describe(this.#database(r.params[1]!)));
    route('POST', `${D}/query`, (r) => this.#write(this.#database(r.params[1]!), (db) => runSql(db, String(r.body?.sql ?? ''))));
    route('POST', `${D}/raw`, (r) =>
      this.#write(this.#database(r.params[1]!), (db) =>
        runSql(db, String(r.body?.sql ?? '')).map((s) => ({
          ...s,
          results: { columns: Object.keys(s.results[0] ?? {}), rows: s.results.map((row) => Object.values(row)) },
        })),
      ),
    );
    route('POST', `${D}/import`, (r) => this.#import(this.#database(r.params[1]!), r.body));
    route('GET', `${D}/time_travel/bookmark`, (r) => {
      const d = this.#database(r.params[1]!);
      const at = r.query.timestamp ? Date.parse(r.query.timestamp) : Date.now();
      const snap = [...d.history].reverse().find((s) => s.at <= at) ?? d.history[0]!;
      return { bookmark: snap.bookmark };
    });
    route('POST', `${D}/time_travel/restore`, async (r) => {
      const d = this.#database(r.params[1]!);
      const at = r.query.timestamp ? Date.parse(r.query.timestamp) : NaN;
      const snap = r.query.bookmark ? d.history.find((s) => s.bookmark === r.query.bookmark) : [...d.history].reverse().find((s) => s.at <= at);
      if (!snap) throw new ApiFailure(400, 7500, 'no such bookmark');
      const previous = d.history.at(-1)!.bookmark;
      d.db.close();
      d.db = new (await loadSqlJs()).Database(snap.data);
      d.db.exec('PRAGMA foreign_keys = ON');
      const now = this.#snapshot(d);
      return { bookmark: now.bookmark, previous_bookmark: previous, message: 'Database restored successfully' };
    });
  }

  get url(): string {
    return `http://127.0.0.1:${this.#port}`;
  }

  /** The environment that points wrangler at this stand-in. */
  env(): Record<string, string> {
    return {
      CLOUDFLARE_API_BASE_URL: `${this.url}/client/v4`,
      CLOUDFLARE_API_TOKEN: API_TOKEN,
      CLOUDFLARE_ACCOUNT_ID: ACCOUNT_ID,
      WRANGLER_SEND_METRICS: 'false',
    };
  }

  async start(): Promise<void> {
    await loadSqlJs();
    this.#server = createServer((req, res) => void this.#handle(req, res));
    await new Promise<void>((resolve) => this.#server!.listen(0, '127.0.0.1', resolve));
    this.#port = (this.#server.address() as { port: number }).port;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => (this.#server ? this.#server.close(() => resolve()) : resolve()));
    this.#server?.closeAllConnections?.();
  }

  /**
   * The next call matching `method`, a path containing `pathPart` (and `when` of its parsed body)
   * fails: 400 by default, since wrangler retries some calls (the script upload) on a 5xx.
   */
  failNext(method: string, pathPart: string, opts: { when?: (body: any) => boolean; message?: string; status?: number } = {}): void {
    this.#failures.push({
      status: opts.status ?? 400,
      match: (c) => c.method === method && c.path.includes(pathPart) && (!opts.when || opts.when(c.body)),
      message: opts.message ?? 'the stand-in was told to fail this call',
    });
  }

  /**
   * What each successful `wrangler secret bulk` sent, name → value (null: delete), whichever API the
   * wrangler version uses: PATCH .../settings (4.86) or PATCH .../secrets-bulk (newer).
   */
  secretBulkUploads(script = 'arena-vault'): Record<string, string | null>[] {
    return this.calls
      .filter(
        (c) =>
          c.method === 'PATCH' && c.status === 200 && (c.path.endsWith(`/scripts/${script}/settings`) || c.path.endsWith(`/scripts/${script}/secrets-bulk`)),
      )
      .map((c) => {
        if (c.path.endsWith('/secrets-bulk'))
          return Object.fromEntries(Object.entries(c.body.secrets as Record<string, { text: string } | null>).map(([k, v]) => [k, v?.text ?? null]));
        const bindings = JSON.parse(c.body.settings).bindings as { type: string; name: string; text?: string }[];
        return Object.fromEntries(bindings.filter((b) => b.type === 'secret_text' && typeof b.text === 'string').map((b) => [b.name, b.text!]));
      });
  }

  /** Calls whose method matches and whose path contains `pathPart`. */
  callsTo(method: string, pathPart: string): RecordedCall[] {
    return this.calls.filter((c) => c.method === method && c.path.includes(pathPart));
  }

  /** A Worker that exists already with these secrets (as after an earlier deploy), one version live. */
  seedWorker(name: string, secrets: Record<string, string>): void {
    this.scripts.set(name, {
      name,
      metadata: { bindings: [] },
      modules: new Map(),
      secrets: new Map(Object.entries(secrets)),
      migrationTag: 'v1',
      draft: false,
    });
    this.#deploy(this.#recordVersion(name, { metadata: JSON.stringify({ bindings: [] }) }).id, undefined);
  }

  /** The id of the version serving 100 % of `name`'s traffic now (null: never deployed). */
  liveVersion(name = 'arena-vault'): string | null {
    return this.#deployments.get(name)?.[0]?.versions.find((v) => v.percentage === 100)?.version_id ?? null;
  }

  /** Every deployment of `name`, newest first. */
  deploymentsOf(name = 'arena-vault'): Deployment[] {
    return this.#deployments.get(name) ?? [];
  }

  /** Runs SQL against a D1 database as it stands (test assertions and seeding). */
  sql<Row = Record<string, unknown>>(databaseName: string, sql: string): Row[] {
    const d = [...this.databases.values()].find((x) => x.name === databaseName);
    if (!d) throw new Error(`no D1 database ${databaseName}`);
    return this.#write(d, (db) => runSql(db, sql)).at(-1)!.results as Row[];
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks);
    const u = new URL(req.url ?? '/', this.url);
    const method = req.method ?? 'GET';
    const call: RecordedCall = { method, path: u.pathname, query: Object.fromEntries(u.searchParams), body: null, status: 200 };
    this.calls.push(call);

    if (u.pathname.startsWith('/upload/') && method === 'PUT') {
      this.#uploads.set(u.pathname.slice('/upload/'.length), raw);
      call.body = { bytes: raw.length };
      res.writeHead(200, { etag: `"${createHash('md5').update(raw).digest('hex')}"` }).end();
      return;
    }
    let status = 200;
    let payload: unknown;
    try {
      call.body = await parseBody(req.headers['content-type'] ?? '', raw);
      const failure = this.#failures.findIndex((f) => f.match(call));
      if (failure >= 0) {
        const [f] = this.#failures.splice(failure, 1);
        throw new ApiFailure(f!.status, 10013, f!.message);
      }
      const found = this.#routes.find((r) => r.method === method && r.pattern.test(u.pathname));
      if (!found) {
        call.unknown = true;
        // Method and path only: a body could carry a secret wrangler sends to an endpoint the stand-in lacks.
        process.stderr.write(`cloudflare-api stand-in: no route for ${method} ${u.pathname}\n`);
        throw new ApiFailure(404, 7003, `the stand-in does not implement ${method} ${u.pathname}`);
      }
      const params = found.pattern.exec(u.pathname)!.slice(1);
      if (params[0] !== ACCOUNT_ID) throw new ApiFailure(403, 10000, 'Authentication error');
      if (!found.jwtAuth && req.headers.authorization !== `Bearer ${API_TOKEN}`) throw new ApiFailure(401, 10000, 'Authentication error');
      const authorization = req.headers.authorization ?? '';
      payload = {
        success: true,
        errors: [],
        messages: [],
        result: await found.handler({ method, path: u.pathname, params, query: call.query, body: call.body, raw, authorization }),
      };
      if (Array.isArray((payload as { result: unknown }).result) && found.method === 'GET') {
        const n = (payload as { result: unknown[] }).result.length;
        (payload as Record<string, unknown>).result_info = {
          page: Number(call.query.page ?? 1),
          per_page: Number(call.query.per_page ?? n),
          count: n,
          total_count: n,
        };
      }
    } catch (e) {
      const f = e instanceof ApiFailure ? e : new ApiFailure(500, 10013, (e as Error).message);
      status = f.status;
      payload = { success: false, errors: [{ code: f.code, message: f.message }], messages: [], result: null };
    }
    call.status = status;
    res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(payload));
  }

  #script(name: string): WorkerScript {
    const s = this.scripts.get(name);
    if (!s) throw new ApiFailure(404, 10007, 'This Worker does not exist on your account. [code: 10007]');
    return s;
  }

  #bindingsOf(s: WorkerScript): { type: string; name: string }[] {
    const declared = ((s.metadata?.bindings ?? []) as { type: string; name: string }[]).filter((b) => b.type !== 'secret_text');
    return [...declared, ...[...s.secrets.keys()].map((name) => ({ type: 'secret_text', name }))];
  }

  #patchSettings(s: WorkerScript, settings: { bindings?: { type: string; name: string; text?: string }[] }) {
    const next = new Map<string, string>();
    const declared: unknown[] = [];
    for (const b of settings.bindings ?? []) {
      if (b.type === 'secret_text') {
        if (typeof b.text === 'string') next.set(b.name, b.text);
        else if (s.secrets.has(b.name)) next.set(b.name, s.secrets.get(b.name)!);
        else throw new ApiFailure(400, 10021, `cannot inherit unknown secret ${b.name}`);
      } else {
        const old = ((s.metadata?.bindings ?? []) as { name: string }[]).find((x) => x.name === b.name);
        if (!old) throw new ApiFailure(400, 10021, `cannot inherit unknown binding ${b.name}`);
        declared.push(old);
      }
    }
    s.metadata = { ...s.metadata, bindings: declared };
    s.secrets = next;
    this.#secretsChanged(s);
    return { bindings: this.#bindingsOf(s) };
  }

  #secretsChanged(s: WorkerScript): void {
    void this.onSecretsChanged?.(s);
  }

  #recordVersion(name: string, parts: Record<string, any> | null): WorkerVersion {
    const v: WorkerVersion = { id: randomUUID(), number: this.#versions.size + 1, name, parts, createdOn: new Date().toISOString(), annotations: {} };
    this.#versions.set(v.id, v);
    return v;
  }

  #describeVersion(v: WorkerVersion) {
    const etag = createHash('sha256')
      .update(String(v.parts?.metadata ?? ''))
      .digest('hex');
    return {
      id: v.id,
      number: v.number,
      metadata: { source: 'wrangler', created_on: v.createdOn, modified_on: v.createdOn, author_email: 'operator@example.org' },
      annotations: v.annotations,
      resources: { bindings: [], script: { etag, handlers: ['fetch'] } },
    };
  }

  /** Puts version `id` at 100 % of its Worker's traffic: a new newest deployment. */
  #deploy(id: string, annotations: Record<string, string> | undefined): Deployment {
    const v = this.#versions.get(id)!;
    const d: Deployment = {
      id: randomUUID(),
      source: 'wrangler',
      strategy: 'percentage',
      created_on: new Date().toISOString(),
      versions: [{ version_id: id, percentage: 100 }],
      ...(annotations && { annotations }),
    };
    this.#deployments.set(v.name, [d, ...(this.#deployments.get(v.name) ?? [])]);
    return d;
  }

  #upload(name: string, parts: Record<string, any> | null, opts: { keepMigrationTag?: boolean } = {}) {
    if (!parts || typeof parts.metadata !== 'string') throw new ApiFailure(400, 10021, 'a script upload needs a metadata part');
    const metadata = JSON.parse(parts.metadata);
    if (metadata.assets?.jwt !== undefined && !this.#assetCompletions.has(metadata.assets.jwt)) {
      throw new ApiFailure(400, 10021, 'metadata.assets.jwt is not the completion token of a finished asset upload');
    }
    const old = this.scripts.get(name);
    const migrations = opts.keepMigrationTag ? undefined : (metadata.migrations as { old_tag?: string; new_tag?: string } | undefined);
    const currentTag = old?.migrationTag ?? null;
    if (migrations && (migrations.old_tag ?? null) !== currentTag) {
      throw new ApiFailure(400, 10079, `migration old_tag ${migrations.old_tag ?? 'none'} does not match the script's tag ${currentTag ?? 'none'}`);
    }
    // Cloudflare keeps a Worker's secrets across uploads (`wrangler deploy` sends no secret and
    // `keep_bindings` only when asked for vars); a secret_text binding in the upload replaces one.
    const secrets = new Map<string, string>(old?.secrets ?? []);
    for (const b of (metadata.bindings ?? []) as { type: string; name: string; text?: string }[])
      if (b.type === 'secret_text') secrets.set(b.name, b.text ?? '');
    const modules = new Map<string, string>();
    for (const [k, v] of Object.entries(parts)) if (k !== 'metadata') modules.set(k, String(v));
    const script: WorkerScript = {
      name,
      metadata,
      modules,
      secrets,
      migrationTag: migrations?.new_tag ?? currentTag,
      draft: !metadata.bindings?.length && !migrations && modules.size === 1 && [...modules.values()][0]!.includes('fetch() {}'),
    };
    this.scripts.set(name, script);
    if (!old || old.secrets.size !== secrets.size) this.#secretsChanged(script);
    const id = randomUUID();
    return {
      id: name,
      etag: createHash('sha256').update(parts.metadata).digest('hex'),
      created_on: new Date().toISOString(),
      modified_on: new Date().toISOString(),
      usage_model: 'standard',
      handlers: ['fetch'],
      deployment_id: id,
      startup_time_ms: 1,
    };
  }

  async #createDatabase(name: string) {
    if (!/^[a-z0-9][a-z0-9-]*$/.test(name)) throw new ApiFailure(400, 7400, 'invalid database name');
    if ([...this.databases.values()].some((d) => d.name === name)) throw new ApiFailure(400, 7502, 'A database with that name already exists');
    const db = new (await loadSqlJs()).Database();
    db.exec('PRAGMA foreign_keys = ON');
    const d: D1Database = { uuid: randomUUID(), name, createdAt: new Date().toISOString(), db, history: [] };
    this.#snapshot(d);
    this.databases.set(d.uuid, d);
    return { uuid: d.uuid, name, created_in_region: 'WEUR' };
  }

  #database(uuid: string): D1Database {
    const d = this.databases.get(uuid);
    if (!d) throw new ApiFailure(404, 7404, `The database ${uuid} could not be found`);
    return d;
  }

  #describe(d: D1Database) {
    return { uuid: d.uuid, name: d.name, created_at: d.createdAt, version: 'production', num_tables: 0, file_size: d.db.export().length };
  }

  #snapshot(d: D1Database): Snapshot {
    this.#bookmarks += 1;
    const s = {
      bookmark: `${this.#bookmarks.toString(16).padStart(8, '0')}-00000000-00004c6d-${randomBytes(16).toString('hex')}`,
      at: Date.now(),
      data: d.db.export(),
    };
    d.history.push(s);
    return s;
  }

  /** Runs `fn` and takes a Time Travel snapshot after it when it changed anything. */
  #write<T>(d: D1Database, fn: (db: Database) => T): T {
    const before = d.db.export();
    const out = fn(d.db);
    const after = d.db.export();
    if (Buffer.compare(Buffer.from(before), Buffer.from(after)) !== 0) this.#snapshot(d);
    return out;
  }

  #import(d: D1Database, body: { action?: string; etag?: string; filename?: string; current_bookmark?: string }) {
    if (body?.action === 'init') {
      const filename = `${body.etag}.sql`;
      return { success: true, upload_url: `${this.url}/upload/${filename}`, filename };
    }
    if (body?.action === 'ingest') {
      const data = this.#uploads.get(String(body.filename));
      if (!data) throw new ApiFailure(400, 7500, 'no such upload');
      if (createHash('md5').update(data).digest('hex') !== body.etag) throw new ApiFailure(400, 7500, 'etag mismatch');
      let results;
      try {
        results = this.#write(d, (db) => runSql(db, data.toString('utf8')));
      } catch (e) {
        return { success: true, status: 'error', errors: [(e as Error).message], messages: [], at_bookmark: d.history.at(-1)!.bookmark };
      }
      const written = results.reduce((n, r) => n + Number(r.meta.rows_written), 0);
      const read = results.reduce((n, r) => n + Number(r.meta.rows_read), 0);
      const bookmark = d.history.at(-1)!.bookmark;
      return {
        success: true,
        status: 'complete',
        messages: [],
        at_bookmark: bookmark,
        result: {
          num_queries: results.length,
          final_bookmark: bookmark,
          meta: { duration: 1, rows_read: read, rows_written: written, size_after: d.db.export().length },
        },
      };
    }
    if (body?.action === 'poll')
      return {
        success: true,
        status: 'complete',
        messages: [],
        at_bookmark: body.current_bookmark,
        result: { num_queries: 0, final_bookmark: body.current_bookmark, meta: { duration: 0, rows_read: 0, rows_written: 0, size_after: 0 } },
      };
    throw new ApiFailure(400, 7500, `unknown import action ${body?.action}`);
  }
}

async function parseBody(contentType: string, raw: Buffer): Promise<any> {
  if (!raw.length) return null;
  if (contentType.startsWith('multipart/form-data')) {
    const form = await new Response(new Uint8Array(raw), { headers: { 'content-type': contentType } }).formData();
    const parts: Record<string, string> = {};
    for (const k of new Set((form as unknown as { keys(): Iterable<string> }).keys())) {
      const v = form.get(k);
      parts[k] = typeof v === 'string' ? v : await (v as Blob).text();
    }
    return parts;
  }
  const text = raw.toString('utf8');
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
