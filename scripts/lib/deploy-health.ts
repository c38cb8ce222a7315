/**
 * `npm run deploy`'s verdict on a vault's `/api/health` after a deploy, pure:
 * the new version is good when health answers 200 with no errors (status not
 * `error`, configuration valid, D1 reachable) and the same key ids as before
 * the deploy. Warnings (status `degraded`: credential rows under a key id the
 * ring lacks) do not fail a deploy; they are printed.
 *
 * @example
 *   const before = keysInUse(await fetchHealth(url));
 *   const { errors, warnings } = judgeDeployedHealth(200, body, before);
 */
import type { Health } from './vault-health.ts';

/** The key ids a vault runs under: the CREDENTIAL_ENCRYPTION_KEY's and the SECRET_KEY's. */
export interface KeysInUse {
  credential: string;
  secret: string;
}

/** The current key ids in a health body, or null when it reports none (invalid configuration). */
export function keysInUse(h: Health): KeysInUse | null {
  const credential = h.keys?.credential_key?.current_key_id;
  const secret = h.keys?.secret_key?.current_kid;
  return credential && secret ? { credential, secret } : null;
}

export function judgeDeployedHealth(status: number, h: Health, before: KeysInUse): { errors: string[]; warnings: string[] } {
  const errors: string[] = [];
  const warnings: string[] = [];
  if (status !== 200) errors.push(`/api/health answered ${status}`);
  if (h.status === 'error') errors.push('health status is error');
  if (h.config?.valid === false) {
    const bad = Object.entries(h.config.bindings ?? {})
      .filter(([, b]) => b.valid === false)
      .map(([name]) => name);
    errors.push(`the configuration is invalid${bad.length ? ` (${bad.join(', ')})` : ''}`);
  }
  if (h.d1?.reachable === false) errors.push('D1 is unreachable');
  const now = keysInUse(h);
  if (!now) errors.push('no key ids reported');
  else {
    if (now.credential !== before.credential) errors.push(`CREDENTIAL_ENCRYPTION_KEY key id is ${now.credential}, was ${before.credential}`);
    if (now.secret !== before.secret) errors.push(`SECRET_KEY key id is ${now.secret}, was ${before.secret}`);
  }
  for (const m of h.credential_rows?.missing_keys ?? []) {
    warnings.push(`${m.rows} credential row(s) under key id ${m.key_id}, which the vault's key ring lacks (health status ${h.status ?? 'degraded'})`);
  }
  if (h.status === 'degraded' && !warnings.length) warnings.push('health status is degraded');
  return { errors, warnings };
}
