/**
 * Delivery against a receiver stand-in (a fetcher handed to the drain, in
 * workerd): the JSON body's signature checks out with an independent Web
 * Crypto HMAC; a failing receiver is retried on the schedule (first retry
 * within 10 s, three attempts in the first minute, longer waits after) until
 * it answers, each attempt logged; a slack destination gets `{text}`; a
 * canary credential is in no message, no log row and no log line.
 */
import { env } from 'cloudflare:test';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { createDestination } from '../../src/alerts/destination-store.ts';
import { enqueue } from '../../src/alerts/outbox.ts';
import { drainOnce, drainWithRetries, type Fetcher } from '../../src/alerts/delivery.ts';
import { runCheck } from '../../src/alerts/check.ts';
import { hexEncode, utf8 } from '../../src/crypto/encoding.ts';
import { resetPool, seedCredential } from '../pool/support.ts';
import { createTestUser } from '../support/auth.ts';

const CANARY = 'CANARY-delivery-0c4e2a1f';
const URL_TOKEN = 'URLTOKEN-delivery-77';
const who = { actor: 'user:1', ip: null };

beforeEach(async () => {
  for (const t of ['alert_deliveries', 'alert_destinations', 'alerts', 'api_credentials', 'query_designs']) await env.DB.prepare(`DELETE FROM ${t}`).run();
  await resetPool();
});

interface Received {
  url: string;
  headers: Headers;
  body: string;
  at: number;
}

/** A receiver stand-in: answers `statuses` in turn (the last one from then on), records every request. */
function receiver(statuses: number[], clock: () => number) {
  const got: Received[] = [];
  const fetcher: Fetcher = async (req) => {
    got.push({ url: req.url, headers: req.headers, body: await req.text(), at: clock() });
    const status = statuses[Math.min(got.length - 1, statuses.length - 1)]!;
    return new Response(status === 0 ? null : 'ok', { status: status || 500 });
  };
  return { got, fetcher };
}

async function ring() {
  return (await loadConfig(env)).credentialKeys;
}

async function hmacHex(secret: string, body: string): Promise<string> {
  const key = await crypto.subtle.importKey('raw', utf8.encode(secret) as Uint8Array<ArrayBuffer>, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  return hexEncode(new Uint8Array(await crypto.subtle.sign('HMAC', key, utf8.encode(body) as Uint8Array<ArrayBuffer>)));
}

async function logRow(id: number) {
  return env.DB.prepare('SELECT status, attempts, last_status, last_error, next_attempt_at FROM alert_deliveries WHERE id = ?').bind(id).first<{
    status: string;
    attempts: number;
    last_status: number | null;
    last_error: string | null;
    next_attempt_at: number | null;
  }>();
}

describe('alert delivery', () => {
  let lines: string[];
  afterEach(() => vi.restoreAllMocks());
  beforeEach(() => {
    lines = [];
    for (const m of ['info', 'warn', 'error'] as const) vi.spyOn(console, m).mockImplementation((...a: unknown[]) => void lines.push(a.map(String).join(' ')));
  });

  it('a json delivery is signed: sha256=<hex HMAC-SHA256 of the raw body> with the secret answered at creation', async () => {
    const r = await ring();
    const { destination, signing_secret } = await createDestination(
      env.DB,
      r,
      { kind: 'json', name: 'ops', url: `https://hooks.example.test/${URL_TOKEN}` },
      who,
    );
    const [id] = await enqueue(env.DB, [destination.id], null, { event: 'test', alert: null }, Date.now());
    const rx = receiver([200], Date.now);
    expect(await drainOnce(env.DB, r, rx.fetcher)).toBe(1);
    expect(rx.got).toHaveLength(1);
    const got = rx.got[0]!;
    expect(got.url).toBe(`https://hooks.example.test/${URL_TOKEN}`);
    expect(got.headers.get('X-Arena-Vault-Signature')).toBe(`sha256=${await hmacHex(signing_secret, got.body)}`);
    // Tampering with one byte breaks it.
    expect(got.headers.get('X-Arena-Vault-Signature')).not.toBe(`sha256=${await hmacHex(signing_secret, got.body.replace('test', 'tesT'))}`);
    expect(JSON.parse(got.body)).toMatchObject({ source: 'arena-vault', event: 'test', delivery_id: id, alert: null });
    expect(await logRow(id!)).toMatchObject({ status: 'delivered', attempts: 1, last_status: 200, last_error: null });
  });

  it('a failing receiver is retried: first retry within 10 s, three attempts in the first minute, then longer waits, until it answers', async () => {
    const r = await ring();
    const { destination } = await createDestination(env.DB, r, { kind: 'slack', name: 'chat', url: `https://hooks.slack.example/${URL_TOKEN}` }, who);
    let now = Date.now();
    const start = now;
    const clock = () => now;
    const sleep = async (ms: number) => {
      now += ms;
    };
    const [id] = await enqueue(env.DB, [destination.id], null, { event: 'test', alert: null }, now);
    // Fails 4 times (500, 503, 502, 500), then accepts.
    const rx = receiver([500, 503, 502, 500, 200], clock);
    // The request's waitUntil: 25 s of quick retries.
    await drainWithRetries(env.DB, r, rx.fetcher, { clock, sleep });
    const offsets = rx.got.map((g) => g.at - start);
    expect(offsets[1]! - offsets[0]!).toBeLessThanOrEqual(10_000);
    expect(offsets.filter((t) => t < 60_000).length).toBeGreaterThanOrEqual(3);
    expect(await logRow(id!)).toMatchObject({ status: 'pending', attempts: 3, last_status: 502, last_error: 'receiver answered HTTP 502' });
    // Nothing is due until the next wait has passed; then the cron's drain sends it.
    expect(await drainOnce(env.DB, r, rx.fetcher, now)).toBe(0);
    const next = (await logRow(id!))!.next_attempt_at!;
    expect(next - offsets[2]! - start).toBeGreaterThanOrEqual(60_000);
    now = next;
    await drainOnce(env.DB, r, rx.fetcher, now);
    expect(await logRow(id!)).toMatchObject({ status: 'pending', attempts: 4 });
    now = (await logRow(id!))!.next_attempt_at!;
    expect(now - next).toBeGreaterThan(60_000); // the waits grow
    await drainOnce(env.DB, r, rx.fetcher, now);
    expect(await logRow(id!)).toMatchObject({ status: 'delivered', attempts: 5, last_status: 200 });
    expect(rx.got.map((g) => JSON.parse(g.body))).toEqual(Array(5).fill({ text: expect.stringContaining('[arena-vault]') }));
    // A receiver that never answers is given up after the last attempt.
    const [gone] = await enqueue(env.DB, [destination.id], null, { event: 'test', alert: null }, now);
    const dead = receiver([500], clock);
    for (let i = 0; i < 20; i++) {
      await drainOnce(env.DB, r, dead.fetcher, now);
      now += 3_600_000;
    }
    expect(await logRow(gone!)).toMatchObject({ status: 'failed', attempts: 12, next_attempt_at: null });
  });

  it('a canary credential never reaches a message, the delivery log or a log line; neither does the URL token', async () => {
    const r = await ring();
    await createDestination(env.DB, r, { kind: 'json', name: 'ops', url: `https://hooks.example.test/${URL_TOKEN}` }, who);
    await createDestination(env.DB, r, { kind: 'slack', name: 'chat', url: `https://hooks.slack.example/${URL_TOKEN}` }, who);
    const owner = await createTestUser('researcher');
    await env.DB.prepare("INSERT INTO query_designs (owner_id, name, description, arenas_config, created_at, updated_at) VALUES (?, 'd', '', ?, 0, 0)")
      .bind(owner.id, JSON.stringify({ arenas: [{ id: 'youtube', enabled: true, tier: 'free' }] }))
      .run();
    const id = await seedCredential({ platform: 'serper', tier: 'medium', fields: { api_key: CANARY }, name: 'canary-cred' });
    await env.DB.prepare('UPDATE api_credentials SET expires_at = ? WHERE id = ?')
      .bind(Date.now() + 86_400_000, id)
      .run();
    const run = await runCheck(env, r);
    expect(run.opened.map((a) => a.kind).sort()).toEqual(['credential_expiring', 'no_credential_available']);
    expect(run.queued).toHaveLength(4);
    const rx = receiver([500, 200], Date.now);
    await drainOnce(env.DB, r, rx.fetcher);
    expect(rx.got).toHaveLength(4);
    const log = JSON.stringify((await env.DB.prepare('SELECT * FROM alert_deliveries').all()).results);
    const alerts = JSON.stringify((await env.DB.prepare('SELECT * FROM alerts').all()).results);
    for (const text of [...rx.got.map((g) => g.body), log, alerts, lines.join('\n')]) {
      expect(text).not.toContain(CANARY);
      expect(text).not.toContain(URL_TOKEN);
    }
    expect(lines.some((l) => l.includes('"event":"alert.delivery"'))).toBe(true);
  });
});
