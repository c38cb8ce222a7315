// Issue 12, point 3: every route has a body limit (src/http/body-limit.ts),
// checked before anything parses the body. Too large is 413
// PAYLOAD_TOO_LARGE: JSON on the API, the HTML error page for forms. A body
// with Content-Length is judged by the header; a chunked one (a stream, no
// Content-Length) is cut off while streaming.
import { env, SELF } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { DEFAULT_BODY_LIMIT_BYTES as LIMIT } from '../../src/http/body-limit.ts';
import { ORIGIN, openForm, postForm, userWithPassword } from '../auth/support.ts';

let ipSeq = 0;
const freshIp = () => `192.0.2.${100 + ++ipSeq}`;

/** A JSON login body of exactly `bytes` bytes (ASCII), padded inside the (wrong) password: unknown keys are refused. */
function loginBodyOfSize(email: string, bytes: number): string {
  const base = JSON.stringify({ email, password: 'canary-wrong-password' });
  const body = JSON.stringify({ email, password: `canary-wrong-password${'x'.repeat(bytes - base.length)}` });
  expect(body.length).toBe(bytes);
  return body;
}

/** A stream of `chunks` chunks of `chunkBytes` bytes each, made on demand; `pulled()` says how many were taken. */
function countingStream(text: string, chunks: number) {
  const chunk = new TextEncoder().encode(text);
  let pulls = 0;
  const stream = new ReadableStream<Uint8Array>(
    {
      pull(controller) {
        if (pulls >= chunks) return controller.close();
        pulls++;
        controller.enqueue(chunk.slice());
      },
    },
    { highWaterMark: 0 },
  );
  return { stream, pulled: () => pulls };
}

async function throttleRows(email: string): Promise<number> {
  const row = await env.DB.prepare('SELECT COUNT(*) AS n FROM login_throttle WHERE bucket = ?').bind(`account:${email}`).first<{ n: number }>();
  return row!.n;
}

describe('JSON API: bodies with Content-Length', () => {
  it('one byte over the limit is 413 PAYLOAD_TOO_LARGE JSON, and the route never ran', async () => {
    const email = `big-${crypto.randomUUID()}@example.test`;
    const body = loginBodyOfSize(email, LIMIT + 1);
    const res = await SELF.fetch(`${ORIGIN}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-length': String(body.length), 'cf-connecting-ip': freshIp() },
      body,
    });
    expect(res.status).toBe(413);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    const json = (await res.json()) as { error: { code: string; message: string; details: { max_bytes: number } } };
    expect(json.error.code).toBe('PAYLOAD_TOO_LARGE');
    expect(json.error.details.max_bytes).toBe(LIMIT);
    expect(json.error.message).not.toContain('canary');
    // login() would have reserved an attempt for this email before anything else.
    expect(await throttleRows(email)).toBe(0);
  });

  it('an oversized body is refused before it is parsed: not-JSON still gets 413, not 400 INVALID_JSON', async () => {
    const res = await SELF.fetch(`${ORIGIN}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{'.repeat(5 * 1024 * 1024),
    });
    expect(res.status).toBe(413);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('PAYLOAD_TOO_LARGE');
  });

  it('a body of exactly the limit still reaches the route', async () => {
    const email = `edge-${crypto.randomUUID()}@example.test`;
    const res = await SELF.fetch(`${ORIGIN}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'cf-connecting-ip': freshIp() },
      body: loginBodyOfSize(email, LIMIT),
    });
    expect(res.status).toBe(401);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('UNAUTHENTICATED');
    expect(await throttleRows(email)).toBe(1);
  });

  it('holds on every API route with a body, authenticated or not (the limit comes before the route)', async () => {
    const big = JSON.stringify({ notes: 'x'.repeat(LIMIT) });
    for (const [method, path] of [
      ['POST', '/api/credentials'],
      ['PATCH', '/api/credentials/1'],
      ['POST', '/api/query-designs'],
      ['POST', '/api/pool/acquire'],
      ['POST', '/api/users'],
      ['POST', '/api/admin/rotations/credential-key'],
      ['POST', '/api/no-such-route'],
    ] as const) {
      const res = await SELF.fetch(`${ORIGIN}${path}`, { method, headers: { 'content-type': 'application/json' }, body: big });
      expect([path, res.status]).toEqual([path, 413]);
    }
  });
});

describe('pages: form bodies', () => {
  it('a form over the limit is 413 with the HTML error page, before the CSRF check reads it', async () => {
    const u = await userWithPassword('researcher');
    const form = await openForm();
    const res = await postForm('/login', form, { email: u.email, password: u.password, pad: 'x'.repeat(LIMIT) }, { 'cf-connecting-ip': freshIp() });
    expect(res.status).toBe(413);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    const html = await res.text();
    expect(html).toContain('The request body is larger than the 64 KB this route accepts.');
    expect(html).not.toContain(u.password);
    expect(res.headers.getSetCookie().join('\n')).not.toContain('__Host-av_session');
  });

  it('the same form just under the limit logs in', async () => {
    const u = await userWithPassword('researcher');
    const form = await openForm();
    // Padded in `next` (too long to be a path, so the login falls back to the default page): unknown fields are refused.
    const fields = { csrf_token: form.csrfToken, email: u.email, password: u.password, next: '/' };
    const base = new URLSearchParams(fields).toString().length;
    const body = new URLSearchParams({ ...fields, next: `/${'x'.repeat(LIMIT - base)}` }).toString();
    expect(body.length).toBe(LIMIT);
    const res = await SELF.fetch(`${ORIGIN}/login`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: ORIGIN, cookie: form.cookie, 'cf-connecting-ip': freshIp() },
      body,
    });
    expect(res.status).toBe(303);
  });
});

describe('chunked bodies (a stream, no Content-Length)', () => {
  it('are cut off while streaming: 413, and the rest of the stream is never read', async () => {
    const chunks = 10 * 1024; // 10 MB offered in 1 KB chunks
    const { stream, pulled } = countingStream(' '.repeat(1024), chunks);
    const res = await SELF.fetch(`${ORIGIN}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: stream });
    expect(res.status).toBe(413);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('PAYLOAD_TOO_LARGE');
    // The limit is 64 chunks; whatever a pipe buffers on the way, nowhere near the 10,240 offered were read.
    expect(pulled()).toBeGreaterThan(LIMIT / 1024);
    expect(pulled()).toBeLessThan(chunks / 10);
  });

  it('a chunked form over the limit is the error page', async () => {
    const form = await openForm();
    const { stream } = countingStream(`csrf_token=${encodeURIComponent(form.csrfToken)}&pad=${'x'.repeat(1000)}&`, 100);
    const res = await SELF.fetch(`${ORIGIN}/login`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: ORIGIN, cookie: form.cookie },
      body: stream,
    });
    expect(res.status).toBe(413);
    expect(await res.text()).toContain('The request body is larger than');
  });

  it('a chunked body under the limit is passed on whole', async () => {
    const email = `chunked-${crypto.randomUUID()}@example.test`;
    const json = loginBodyOfSize(email, LIMIT - 1000);
    const parts = json.match(/[\s\S]{1,4096}/g)!;
    let i = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (i < parts.length) controller.enqueue(new TextEncoder().encode(parts[i++]));
        else controller.close();
      },
    });
    const res = await SELF.fetch(`${ORIGIN}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'cf-connecting-ip': freshIp() },
      body: stream,
    });
    expect(res.status).toBe(401);
    expect(await throttleRows(email)).toBe(1);
  });
});
