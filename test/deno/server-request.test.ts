// How the Deno server hands a request to the Worker app: the client address
// comes from the socket (or the proxy's last X-Forwarded-For hop when
// TRUST_PROXY=1), never from a header the client chose; PUBLIC_URL sets the
// origin the app sees.
import assert from 'node:assert/strict';
import { incomingRequest } from '../../selfhost/start.ts';

const plain = { publicUrl: null, trustProxy: false };

Deno.test('server request: a forged cf-connecting-ip is replaced by the socket address', () => {
  const r = incomingRequest(new Request('http://127.0.0.1:8787/api/health', { headers: { 'cf-connecting-ip': '6.6.6.6' } }), '10.0.0.9', plain);
  assert.equal(r.headers.get('cf-connecting-ip'), '10.0.0.9');
  assert.equal(r.url, 'http://127.0.0.1:8787/api/health');
});

Deno.test('server request: behind a trusted proxy the last X-Forwarded-For hop is the client', () => {
  const req = new Request('http://backend:8787/login', { headers: { 'x-forwarded-for': '6.6.6.6, 203.0.113.7' } });
  assert.equal(incomingRequest(req, '10.0.0.2', { publicUrl: null, trustProxy: true }).headers.get('cf-connecting-ip'), '203.0.113.7');
  assert.equal(incomingRequest(req, '10.0.0.2', plain).headers.get('cf-connecting-ip'), '10.0.0.2');
  const noHeader = new Request('http://backend:8787/login');
  assert.equal(incomingRequest(noHeader, '10.0.0.2', { publicUrl: null, trustProxy: true }).headers.get('cf-connecting-ip'), '10.0.0.2');
});

Deno.test('server request: PUBLIC_URL sets the origin and keeps method, path, query and body', async () => {
  const req = new Request('http://backend:8787/login?next=%2Fadmin', {
    method: 'POST',
    body: 'email=a&password=b',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
  });
  const out = incomingRequest(req, '10.0.0.2', { publicUrl: new URL('https://vault.example.org'), trustProxy: false });
  assert.equal(out.url, 'https://vault.example.org/login?next=%2Fadmin');
  assert.equal(out.method, 'POST');
  assert.equal(await out.text(), 'email=a&password=b');
});
