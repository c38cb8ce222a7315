/**
 * Who is calling the pool (one job): a holder name the Worker vouches for
 * (the RPC entrypoint's `service_binding`, internal callers), or an `ApiKey`
 * presented on /api/pool/*, judged here against the object's working copy
 * with the rule every other route applies to D1 (auth/api-key-principal.ts)
 * and the same refusals (kernel/principal.ts apiRefusal). Synchronous, so the
 * object can judge a caller again after each of its awaits at no D1 cost.
 */
import { apiKeyPrefix } from '../auth/api-keys.ts';
import { apiKeyPrincipal } from '../auth/api-key-principal.ts';
import { apiRefusal } from '../kernel/principal.ts';
import type { VaultError } from '../errors.ts';
import type { CopiedApiKey } from './copy-store.ts';

/**
 * Who is calling the pool: a holder name the Worker vouches for, or an
 * `ApiKey` presented on /api/pool/*, which the object authenticates against its copy.
 */
export type PoolCaller = string | { apiKey: string };

export type Verdict =
  | { ok: true; holder: string; apiKeyId: number | null }
  /** `unknown`: the copy has no key with this prefix (perhaps one written to D1 since). */
  | { ok: false; refusal: VaultError; unknown: boolean };

/** The caller as the copy knows it now: its lease-holder name, or the 401/403 the API answers it. */
export function judgeCaller(caller: PoolCaller, keyByPrefix: (prefix: string) => CopiedApiKey | null, now: number): Verdict {
  if (typeof caller === 'string') return { ok: true, holder: caller, apiKeyId: null };
  const prefix = apiKeyPrefix(caller.apiKey);
  const row = prefix ? keyByPrefix(prefix) : null;
  const principal = apiKeyPrincipal(caller.apiKey, row, row?.owner ?? null, now);
  const refusal = apiRefusal(principal, 'pool');
  if (refusal) return { ok: false, refusal, unknown: prefix !== null && row === null };
  return { ok: true, holder: principal!.actor, apiKeyId: principal!.apiKeyId ?? null };
}
