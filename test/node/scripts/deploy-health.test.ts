// npm run deploy's verdict on /api/health after a deploy (scripts/lib/deploy-health.ts):
// errors fail the deploy (and lead to a rollback), warnings are only printed.
import { describe, expect, it } from 'vitest';
import { judgeDeployedHealth, keysInUse } from '../../../scripts/lib/deploy-health.ts';
import type { Health } from '../../../scripts/lib/vault-health.ts';

const BEFORE = { credential: '1111111111111111', secret: '2222222222222222' };

function health(over: Partial<Health> = {}): Health {
  return {
    status: 'ok',
    config: { valid: true, bindings: {} },
    d1: { reachable: true },
    keys: { credential_key: { current_key_id: BEFORE.credential, previous_key_ids: [] }, secret_key: { current_kid: BEFORE.secret } },
    credential_rows: { missing_keys: [] },
    ...over,
  };
}

describe('judgeDeployedHealth', () => {
  it('200, ok, same key ids: no errors, no warnings', () => {
    expect(judgeDeployedHealth(200, health(), BEFORE)).toEqual({ errors: [], warnings: [] });
    expect(keysInUse(health())).toEqual(BEFORE);
  });

  it('degraded is a warning, not an error', () => {
    const v = judgeDeployedHealth(200, health({ status: 'degraded', credential_rows: { missing_keys: [{ key_id: 'abc', rows: 3 }] } }), BEFORE);
    expect(v.errors).toEqual([]);
    expect(v.warnings).toEqual(["3 credential row(s) under key id abc, which the vault's key ring lacks (health status degraded)"]);
  });

  it('a 503 with an invalid configuration is an error naming the binding', () => {
    const v = judgeDeployedHealth(503, health({ status: 'error', config: { valid: false, bindings: { SECRET_KEY: { valid: false } } }, keys: null }), BEFORE);
    expect(v.errors).toEqual(['/api/health answered 503', 'health status is error', 'the configuration is invalid (SECRET_KEY)', 'no key ids reported']);
  });

  it('another key id after the deploy is an error', () => {
    const v = judgeDeployedHealth(200, health({ keys: { credential_key: { current_key_id: 'ffff' }, secret_key: { current_kid: BEFORE.secret } } }), BEFORE);
    expect(v.errors).toEqual([`CREDENTIAL_ENCRYPTION_KEY key id is ffff, was ${BEFORE.credential}`]);
  });

  it('D1 unreachable is an error', () => {
    expect(judgeDeployedHealth(200, health({ d1: { reachable: false } }), BEFORE).errors).toEqual(['D1 is unreachable']);
  });
});
