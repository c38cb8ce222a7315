import type { PoolError, PoolService } from 'arena-vault/pool';

export interface Env {
  VAULT_POOL: PoolService; // [[services]] binding = "VAULT_POOL", service = "arena-vault", entrypoint = "PoolEntrypoint"
}

/** One serper search under a leased key: the results, or when to try again. */
export async function searchSerper(env: Env, query: string, taskId: string, fetcher: typeof fetch = fetch) {
  let lease;
  try {
    lease = await env.VAULT_POOL.acquire({ platform: 'serper', tier: 'medium', task_id: taskId });
  } catch (e) {
    const err = e as PoolError;
    if (err.code === 'NO_CREDENTIAL_AVAILABLE' || err.code === 'COLLECTION_LOCKED') {
      return { retryAfter: err.retryAfter ?? 60 }; // nothing free yet, or a key rotation is running
    }
    throw e;
  }
  const res = await fetcher('https://google.serper.dev/search', {
    method: 'POST',
    headers: { 'X-API-KEY': lease.fields.api_key!, 'content-type': 'application/json' },
    body: JSON.stringify({ q: query }),
  });
  if (res.status === 429) {
    const retryAfter = Number(res.headers.get('retry-after')) || 60;
    await env.VAULT_POOL.report_error(lease.lease_id, { kind: 'rate_limited', retry_after: retryAfter });
    return { retryAfter };
  }
  if (res.status === 401 || res.status === 403) {
    await env.VAULT_POOL.report_error(lease.lease_id, { kind: 'auth_failed' });
    throw new Error(`serper refused credential ${lease.credential_id}`);
  }
  const results: unknown = await res.json();
  await env.VAULT_POOL.release(lease.lease_id, { units_used: 1 });
  return { results };
}
