/**
 * Starts the bench Worker (bench/wrangler.toml → bench/worker.ts: the real
 * app, its Durable Objects and the /__bench/* routes) in local workerd via
 * wrangler's programmatic `unstable_startWorker` (wrangler 4.164, Node 24).
 *
 * Each run gets a fresh temporary persistence directory with the D1
 * migrations applied by the real `wrangler d1 migrations apply --local`, and
 * fresh throwaway keys passed as secret bindings; everything is deleted on
 * stop. Nothing touches .dev.vars or .wrangler/ of the project.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { unstable_DevEnv } from 'wrangler';
import { Fernet } from '../src/crypto/fernet.ts';
import { hexEncode } from '../src/crypto/encoding.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const CONFIG = path.join(ROOT, 'bench', 'wrangler.toml');
const WRANGLER = path.join(ROOT, 'node_modules', 'wrangler', 'bin', 'wrangler.js');

export interface RunningBenchWorker {
  url: URL;
  keys: { credentialEncryptionKey: string; secretKey: string };
  stop(): Promise<void>;
}

export async function startBenchWorker(log: (m: string) => void): Promise<RunningBenchWorker> {
  process.env.WRANGLER_SEND_METRICS = 'false';
  // Offline machines: use miniflare's placeholder Request.cf instead of
  // fetching workers.cloudflare.com/cf.json (and warning when it fails).
  process.env.CLOUDFLARE_CF_FETCH_ENABLED ??= 'false';
  const persist = mkdtempSync(path.join(tmpdir(), 'arena-vault-bench-'));
  const cleanup = (): void => rmSync(persist, { recursive: true, force: true });
  try {
    log('applying D1 migrations (wrangler d1 migrations apply --local)');
    const migrate = spawnSync(process.execPath, [WRANGLER, 'd1', 'migrations', 'apply', 'DB', '--local', '--persist-to', persist, '-c', CONFIG], {
      cwd: ROOT,
      encoding: 'utf8',
      env: { ...process.env, CI: '1' },
    });
    if (migrate.status !== 0) throw new Error(`wrangler d1 migrations apply failed:\n${migrate.stdout}\n${migrate.stderr}`);

    const keys = {
      credentialEncryptionKey: Fernet.generateKey(),
      secretKey: hexEncode(crypto.getRandomValues(new Uint8Array(32))),
    };
    log('starting the bench Worker in workerd');
    // unstable_startWorker, unrolled: the DevEnv also tells where workerd serves
    // the Worker itself, behind wrangler's dev proxy (BENCH_DIRECT=1).
    const devEnv = new unstable_DevEnv();
    const direct = new Promise<{ protocol: string; hostname: string; port: string }>((resolve) => {
      devEnv.on('reloadComplete', (ev: { proxyData: { userWorkerUrl: { protocol: string; hostname: string; port: string } } }) =>
        resolve(ev.proxyData.userWorkerUrl),
      );
    });
    const worker = await devEnv.startWorker({
      config: CONFIG,
      bindings: {
        CREDENTIAL_ENCRYPTION_KEY: { type: 'secret_text', value: keys.credentialEncryptionKey },
        SECRET_KEY: { type: 'secret_text', value: keys.secretKey },
      },
      dev: {
        server: { hostname: '127.0.0.1', port: 0 },
        // BENCH_INSPECTOR_PORT=9229: a DevTools inspector for profiling (bench/profile.ts).
        inspector: process.env.BENCH_INSPECTOR_PORT ? { port: Number(process.env.BENCH_INSPECTOR_PORT) } : false,
        persist,
        logLevel: 'error',
        watch: false,
      },
      sendMetrics: false,
    });
    await worker.ready;
    // By default the bench calls the Worker as `wrangler dev` serves it: through
    // wrangler's dev proxy, a second workerd process that forwards each request
    // (its cost falls on the ceiling and on every section alike). BENCH_DIRECT=1
    // skips that dev-only hop, as production has no such proxy.
    const url = process.env.BENCH_DIRECT === '1' ? await direct.then((u) => new URL(`${u.protocol}//${u.hostname}:${u.port}/`)) : await worker.url;
    return {
      url,
      keys,
      async stop() {
        await worker.dispose();
        cleanup();
      },
    };
  } catch (e) {
    cleanup();
    throw e;
  }
}
