// The error family: one status per code, details nested under `details` (they
// cannot replace the code, the message or the request id), and hono's refusals recognised by class, not by shape.
import { describe, expect, it } from 'vitest';
import { HTTPException } from 'hono/http-exception';
import { Hono } from 'hono';
import { ERROR_STATUS, reviveVaultError, VaultError, type ErrorCode } from '../../src/errors.ts';
import { errorHandler, toVaultError } from '../../src/http/errors.ts';
import { requestId } from '../../src/http/request-id.ts';
import type { AppEnv } from '../../src/http/types.ts';

describe('VaultError', () => {
  it('takes its status from the one table, for every code', () => {
    for (const code of Object.keys(ERROR_STATUS) as ErrorCode[]) expect(new VaultError(code, 'm').status).toBe(ERROR_STATUS[code]);
    expect(new VaultError('COLLECTION_LOCKED', 'm').status).toBe(423);
    expect(new VaultError('ROTATION_IN_PROGRESS', 'm').status).toBe(409);
  });

  it('nests details, so a detail named code or message stays inside them', () => {
    const details = { code: 'FORGED', message: 'forged', field: 'name' };
    expect(new VaultError('NOT_FOUND', 'No such record.', { details }).toJSON()).toEqual({
      error: { code: 'NOT_FOUND', message: 'No such record.', details: { code: 'FORGED', message: 'forged', field: 'name' } },
    });
    expect(new VaultError('NOT_FOUND', 'No such record.').toJSON()).toEqual({ error: { code: 'NOT_FOUND', message: 'No such record.' } });
  });

  it('revives an error that crossed RPC with its code, status from the table, details and Retry-After', () => {
    const crossed = Object.assign(new Error('Collection is paused.'), {
      code: 'COLLECTION_LOCKED',
      status: 500,
      retryAfter: 30,
      details: { locked_since: 'x' },
    });
    const e = reviveVaultError(crossed) as VaultError;
    expect(e).toBeInstanceOf(VaultError);
    expect([e.code, e.status, e.retryAfter, e.details]).toEqual(['COLLECTION_LOCKED', 423, 30, { locked_since: 'x' }]);
  });
});

describe('toVaultError', () => {
  it("maps hono's HTTPException by class", () => {
    expect(toVaultError(new HTTPException(413)).code).toBe('PAYLOAD_TOO_LARGE');
    expect(toVaultError(new HTTPException(403)).code).toBe('CSRF_FAILED');
    expect(toVaultError(new HTTPException(400)).code).toBe('BAD_REQUEST');
    expect(toVaultError(new HTTPException(502)).code).toBe('INTERNAL');
  });

  it('treats an error that merely looks like an HTTPException as internal', () => {
    const lookalike = Object.assign(new Error('x'), { status: 413, getResponse: () => new Response() });
    expect(toVaultError(lookalike).code).toBe('INTERNAL');
  });
});

describe('the error body on the wire', () => {
  // Through the one error handler, as every /api answer goes: details that carry
  // the envelope's own names (from RPC, say) stay under `details`.
  const app = new Hono<AppEnv>();
  app.use('*', requestId());
  app.onError(errorHandler());
  app.get('/api/forged', () => {
    throw new VaultError('LEASE_EXPIRED', 'This lease has ended.', {
      details: { code: 'INTERNAL', message: 'forged', request_id: 'forged', reason: 'x' },
    });
  });
  app.get('/api/plain', () => {
    throw new VaultError('NOT_FOUND', 'No such record.');
  });

  it('is {error: {code, message, request_id, details}}, and no detail reaches the top level', async () => {
    const res = await app.request('/api/forged');
    expect(res.status).toBe(410);
    const body = (await res.json()) as { error: Record<string, unknown> };
    expect(Object.keys(body)).toEqual(['error']);
    expect(Object.keys(body.error)).toEqual(['code', 'message', 'request_id', 'details']);
    expect(body.error).toEqual({
      code: 'LEASE_EXPIRED',
      message: 'This lease has ended.',
      request_id: res.headers.get('X-Request-Id'),
      details: { code: 'INTERNAL', message: 'forged', request_id: 'forged', reason: 'x' },
    });
  });

  it('has no details member when the error has none', async () => {
    const res = await app.request('/api/plain');
    const body = (await res.json()) as { error: Record<string, unknown> };
    expect(Object.keys(body.error)).toEqual(['code', 'message', 'request_id']);
  });
});
