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
  FORBIDDEN: 403,
  CSRF_FAILED: 403,
  NOT_FOUND: 404,
  NO_CREDENTIAL_AVAILABLE: 404,
  CONFLICT: 409,
  LEASE_EXPIRED: 410,
  ROTATION_IN_PROGRESS: 409,
  PAYLOAD_TOO_LARGE: 413,
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
export type ErrorStatus = (typeof ERROR_STATUS)[ErrorCode];

export interface VaultErrorOptions {
  /** Overrides the default status for this code (e.g. 423 for a pool refusal). */
  status?: number;
  /** Safe, structured extra facts for the client (field names, row ids, retry times). */
  details?: Record<string, unknown>;
  /** Seconds, sent as a Retry-After header. */
  retryAfter?: number;
  /** For logs only; must not contain secrets either. */
  logDetail?: string;
  cause?: unknown;
}

export class VaultError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly details?: Record<string, unknown>;
  readonly retryAfter?: number;
  readonly logDetail?: string;

  constructor(code: ErrorCode, message: string, options: VaultErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'VaultError';
    this.code = code;
    this.status = options.status ?? ERROR_STATUS[code];
    this.details = options.details;
    this.retryAfter = options.retryAfter;
    this.logDetail = options.logDetail;
  }

  /** The JSON body every REST error uses: `{error: {code, message, ...details}}`. */
  toJSON(): { error: Record<string, unknown> } {
    return { error: { code: this.code, message: this.message, ...(this.details ?? {}) } };
  }
}

export function isVaultError(e: unknown): e is VaultError {
  return e instanceof VaultError;
}
