// scripts/rotate-secret-key.ts on bad input: one line, a non-zero exit, no key
// printed, nothing installed. (The whole flow runs in remote-flows.test.ts,
// through the real wrangler against the Cloudflare API stand-in.)
import { createServer, type Server } from 'node:http';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateSecret, keyIdOfSecret } from '../../scripts/lib/master-secrets.ts';
import { ROOT, runScript, tempDir } from './scripts/run-script.ts';

const OLD = generateSecret('SECRET_KEY');
let server: Server;
let url: string;
let health: unknown;

beforeAll(async () => {
  // A vault's /api/health as the script reads it (key ids only).
  health = { keys: { secret_key: { current_kid: await keyIdOfSecret('SECRET_KEY', OLD), previous_kids: [] } } };
  server = createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(health)));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});

afterAll(() => new Promise<void>((r) => server.close(() => r())));

describe('rotate-secret-key refusals', () => {
  it.each([
    [['--bogus'], /Unknown option '--bogus'/],
    [['--out', '/tmp/x', '--new-backup', '/tmp/y.asc'], /either --out DIR \(a new key\) or --new-backup FILE, not both/],
    [['--old-backup', '/tmp/y.asc', '--out', '/tmp/x'], /--old-backup goes with --remote/],
    [['--url', 'ftp://x'], /--url must be an http/],
    [['--wait-seconds', 'soon'], /--wait-seconds must be a number of seconds/],
  ])('%j → exit 2, one line', async (args, message) => {
    const r = await runScript('rotate-secret-key', args as string[]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('says plainly when the vault cannot be reached', async () => {
    const r = await runScript('rotate-secret-key', ['--out', tempDir('rsk'), '--url', 'http://127.0.0.1:9']);
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toBe('rotate-secret-key: cannot read the key ids from http://127.0.0.1:9/api/health (is `npm run dev` running?)');
  });

  it('needs a place for the new backup, outside the checkout', async () => {
    const dir = tempDir('rsk');
    const devVars = path.join(dir, '.dev.vars');
    writeFileSync(devVars, `SECRET_KEY=${OLD}\n`);
    const none = await runScript('rotate-secret-key', ['--url', url, '--dev-vars', devVars]);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/say where the new key's backup goes: --out DIR/);
    const inside = await runScript('rotate-secret-key', ['--url', url, '--dev-vars', devVars, '--out', path.join(ROOT, 'secrets')]);
    expect(inside.code).toBe(2);
    expect(inside.stderr).toMatch(/inside this checkout/);
    for (const r of [none, inside]) expect(r.stdout + r.stderr).not.toContain(OLD);
  });

  it("--remote needs the old key's backup, since Cloudflare cannot give the key back", async () => {
    const r = await runScript('rotate-secret-key', ['--remote', '--url', url, '--out', tempDir('rsk')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--remote needs --old-backup FILE/);
  });

  it('refuses to start a second rotation while SECRET_KEY_PREVIOUS is set, and says how to resume', async () => {
    health = { keys: { secret_key: { current_kid: 'aaaaaaaaaaaaaaaa', previous_kids: ['bbbbbbbbbbbbbbbb'] } } };
    const r = await runScript('rotate-secret-key', ['--remote', '--url', url, '--out', tempDir('rsk')]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toBe(
      'rotate-secret-key: SECRET_KEY_PREVIOUS is set (bbbbbbbbbbbbbbbb): to finish that rotation, rerun with --new-backup FILE, the backup of SECRET_KEY aaaaaaaaaaaaaaaa',
    );
  });
});
