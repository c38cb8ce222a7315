/**
 * The live key check (issue 23): one cheap, read-only call to the provider
 * with the credential's fields, as the registry's PROVIDER_CHECKS describes
 * it per platform (each with its documentation link), and the verdict:
 *
 *   ok            2xx
 *   auth_failed   the provider refused the credential (401/403, or the platform's own refusal statuses)
 *   rate_limited  429
 *   unreachable   no answer, a timeout, a redirect, a 5xx or another status
 *   unsupported   the platform has no such endpoint (Telegram, Bright Data, …)
 *
 * `detail` is the provider's HTTP status and a fixed summary: never the
 * response body, the URL or an error message (any of them can carry what was
 * sent). Redirects are not followed, so the key never reaches another host.
 * `origin` (PROVIDER_CHECK_ORIGIN, tests only) replaces the provider's origin
 * and keeps the path and query. `fetch` is injected: the module does no other I/O.
 */
import { PROVIDER_CHECKS, type PlatformId, type ProviderCheck } from '../arenas/registry.ts';

export const CHECK_RESULTS = ['ok', 'auth_failed', 'rate_limited', 'unreachable', 'unsupported'] as const;
export type CheckResult = (typeof CHECK_RESULTS)[number];

export interface CheckOutcome {
  result: CheckResult;
  checked_at: string;
  detail: string;
}

/** A check waits this long for the provider. */
export const CHECK_TIMEOUT_MS = 10_000;

export interface CheckDeps {
  fetch: typeof fetch;
  /** PROVIDER_CHECK_ORIGIN (tests only), or undefined. */
  origin?: string;
  now: number;
}

const SUMMARY: Record<Exclude<CheckResult, 'unsupported'>, string> = {
  ok: 'the provider accepted the credential',
  auth_failed: 'the provider refused the credential',
  rate_limited: 'the provider is rate limiting this credential',
  unreachable: 'the provider gave no usable answer',
};

export function providerCheckOf(platform: string): ProviderCheck | undefined {
  return (PROVIDER_CHECKS as Partial<Record<string, ProviderCheck>>)[platform as PlatformId];
}

/** The verdict on a provider's HTTP status. */
export function classifyStatus(status: number, check: Pick<ProviderCheck, 'refusedStatuses'>): Exclude<CheckResult, 'unsupported'> {
  if (status >= 200 && status < 300) return 'ok';
  if (status === 429) return 'rate_limited';
  if ((check.refusedStatuses ?? [401, 403]).includes(status)) return 'auth_failed';
  return 'unreachable';
}

/** The request a check sends (the only place the fields go). */
export function checkRequest(check: ProviderCheck, fields: Readonly<Record<string, string>>, origin?: string): Request {
  const url = new URL(check.url);
  for (const [k, v] of Object.entries(check.query?.(fields) ?? {})) url.searchParams.set(k, v);
  const target = origin ? new URL(url.pathname + url.search, new URL(origin).origin) : url;
  const headers = new Headers({ accept: 'application/json', ...check.headers?.(fields) });
  let body: string | undefined;
  if (check.json) {
    headers.set('content-type', 'application/json');
    body = JSON.stringify(check.json(fields));
  } else if (check.form) {
    headers.set('content-type', 'application/x-www-form-urlencoded');
    body = new URLSearchParams(check.form(fields)).toString();
  }
  return new Request(target, { method: check.method, headers, body, redirect: 'manual' });
}

/** Runs the platform's check with the fields. Never throws for a provider's failure; never echoes a field. */
export async function checkWithProvider(platform: string, fields: Readonly<Record<string, string>>, deps: CheckDeps): Promise<CheckOutcome> {
  const checked_at = new Date(deps.now).toISOString();
  const check = providerCheckOf(platform);
  if (!check) return { result: 'unsupported', checked_at, detail: 'this platform has no cheap read-only endpoint to check a credential with' };
  let request: Request;
  try {
    request = checkRequest(check, fields, deps.origin);
  } catch {
    return { result: 'unreachable', checked_at, detail: 'the check request could not be built (is PROVIDER_CHECK_ORIGIN a URL?)' };
  }
  let status: number;
  try {
    const res = await deps.fetch(request, { signal: AbortSignal.timeout(CHECK_TIMEOUT_MS) });
    status = res.status;
    await res.body?.cancel();
  } catch {
    return { result: 'unreachable', checked_at, detail: 'no answer from the provider (network error or timeout)' };
  }
  const result = status >= 300 && status < 400 ? 'unreachable' : classifyStatus(status, check);
  const summary = status >= 300 && status < 400 ? 'the provider answered with a redirect, not followed' : SUMMARY[result];
  return { result, checked_at, detail: `HTTP ${status}: ${summary}` };
}
