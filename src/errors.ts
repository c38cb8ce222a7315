/**
 * One error family for the whole vault. Every failure that reaches a caller is
 * a `VaultError` with a stable `code` (callers switch on it), a message that is
 * safe to show (never a secret, never a stack), and an HTTP status decided
 * here, in one place. Details that could help debugging but must not reach a
 * client go in `logDetail`, which is itself never allowed to hold a secret.
 *
 * @example
 *   throw new VaultError('NOT_FOUND', 'No credential with id 42');
 */

export const ERROR_STATUS = {
  BAD_REQUEST: 400,
  INVALID_JSON: 400,
  UNAUTHENTICATED: 401,
  /** Passkey sign-in refusals (auth/passkeys.ts), one code each. */
  CHALLENGE_EXPIRED: 401,
  CHALLENGE_USED: 401,
  ASSERTION_REPLAYED: 401,
  PASSKEY_COUNTER_REGRESSED: 401,
  PASSKEY_WRONG_USER: 401,
  PASSKEY_UNKNOWN: 401,
  PASSKEY_REJECTED: 401,
  USER_INACTIVE: 401,
  FORBIDDEN: 403,
  CSRF_FAILED: 403,
  NOT_A_RECENT_HOLDER: 403,
  NOT_FOUND: 404,
  NO_CREDENTIAL_AVAILABLE: 404,
  CREDENTIAL_NOT_FOUND: 404,
  /** A method the route will never take (the audit log is append-only). */
  METHOD_NOT_ALLOWED: 405,
  CONFLICT: 409,
  /** A second start while a credential-key rotation runs. */
  ROTATION_IN_PROGRESS: 409,
  LEASE_EXPIRED: 410,
  PAYLOAD_TOO_LARGE: 413,
  /** The pool refuses acquire and renew while a rotation holds the collection lock. */
  COLLECTION_LOCKED: 423,
  VALIDATION_FAILED: 422,
  RATE_LIMITED: 429,
  CONFIG_INVALID: 500,
  KEY_MISSING: 500,
  UNDECRYPTABLE: 500,
  INTERNAL: 500,
  NOT_SUPPORTED: 501,
  POOL_UNAVAILABLE: 503,
  POOL_SYNC_PENDING: 503,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;
type ErrorStatus = (typeof ERROR_STATUS)[ErrorCode];

/**
 * Safe, structured extra facts for the client (field names, row ids, retry
 * times). They travel nested, as `error.details`, never beside `code` and
 * `message`, so no key of theirs can replace those (errorBody).
 */
export type ErrorDetails = Record<string, unknown>;

/**
 * The one wire shape of an error: `{error: {code, message, request_id?, details?}}`.
 * `details` is its own object (absent when there are none), so a detail named
 * `code`, `message` or `request_id` stays inside it.
 */
export interface ErrorBody {
  error: { code: ErrorCode; message: string; request_id?: string; details?: ErrorDetails };
}

interface VaultErrorOptions {
  details?: ErrorDetails;
  /** Seconds, sent as a Retry-After header. */
  retryAfter?: number;
  /** For logs only; must not contain secrets either. */
  logDetail?: string;
  cause?: unknown;
}

export class VaultError extends Error {
  readonly code: ErrorCode;
  /** Always ERROR_STATUS[code]: one meaning, one code, one status. */
  readonly status: ErrorStatus;
  readonly details?: ErrorDetails;
  readonly retryAfter?: number;
  readonly logDetail?: string;

  constructor(code: ErrorCode, message: string, options: VaultErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'VaultError';
    this.code = code;
    this.status = ERROR_STATUS[code];
    this.details = options.details;
    this.retryAfter = options.retryAfter;
    this.logDetail = options.logDetail;
  }

  /** The JSON body every REST error uses (errorBody), without a request id. */
  toJSON(): ErrorBody {
    return errorBody(this);
  }
}

/** The body of `e`'s answer: `{error: {code, message, request_id?, details?}}`, details nested (ErrorBody). */
export function errorBody(e: VaultError, requestId?: string): ErrorBody {
  return {
    error: {
      code: e.code,
      message: e.message,
      ...(requestId ? { request_id: requestId } : {}),
      ...(e.details ? { details: e.details } : {}),
    },
  };
}

export function isVaultError(e: unknown): e is VaultError {
  return e instanceof VaultError;
}

/**
 * Errors thrown inside a Durable Object (the pool's, the rotation's) cross
 * the RPC boundary as plain `Error`s that keep their own properties (`code`,
 * `details`, `retryAfter`: workerd's enhanced error serialization,
 * the default since compatibility date 2026-04-21). This turns one back into
 * a `VaultError` so the HTTP error handler keeps its code (and so its status);
 * anything else is returned unchanged.
 */
export function reviveVaultError(e: unknown): unknown {
  if (e instanceof VaultError || !(e instanceof Error)) return e;
  const p = e as Error & { code?: unknown; details?: unknown; retryAfter?: unknown };
  if (typeof p.code !== 'string' || !(p.code in ERROR_STATUS)) return e;
  return new VaultError(p.code as ErrorCode, e.message, {
    details: p.details && typeof p.details === 'object' ? (p.details as ErrorDetails) : undefined,
    retryAfter: typeof p.retryAfter === 'number' ? p.retryAfter : undefined,
  });
}
