// The error family: one status per code, details that cannot replace the code
// or the message, and hono's refusals recognised by class, not by shape.
import { describe, expect, it } from 'vitest';
import { HTTPException } from 'hono/http-exception';
import { ERROR_STATUS, reviveVaultError, VaultError, type ErrorCode, type ErrorDetails } from '../../src/errors.ts';
import { toVaultError } from '../../src/http/errors.ts';

describe('VaultError', () => {
  it('takes its status from the one table, for every code', () => {
    for (const code of Object.keys(ERROR_STATUS) as ErrorCode[]) expect(new VaultError(code, 'm').status).toBe(ERROR_STATUS[code]);
    expect(new VaultError('COLLECTION_LOCKED', 'm').status).toBe(423);
    expect(new VaultError('ROTATION_IN_PROGRESS', 'm').status).toBe(409);
  });

  it('keeps code and message when details carry the same names', () => {
    // The type refuses these keys; a value that slips past it (from RPC, say) still cannot win.
    const details = { code: 'FORGED', message: 'forged', field: 'name' } as unknown as ErrorDetails;
    expect(new VaultError('NOT_FOUND', 'No such record.', { details }).toJSON()).toEqual({
      error: { code: 'NOT_FOUND', message: 'No such record.', field: 'name' },
    });
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
