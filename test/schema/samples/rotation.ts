/**
 * Contract samples for /api/admin/rotations/credential-key*, in the `workers`
 * project: its ring has no previous key and every row is under the current
 * one, so a start answers 200 `nothing_to_do` and an abort 409. The answers of
 * a real run (202 started, 409 ROTATION_IN_PROGRESS, 202 abort_requested) are
 * checked against the same document in test/rotation/contract.test.ts.
 */
import { createTestUser } from '../../support/auth.ts';
import { apiKeyHeaders } from '../../pool/support.ts';
import { recorder, type Sample } from './record.ts';

export const ROTATION_SAMPLE_PATH = '/api/admin/rotations/credential-key';

export const rotationSample: Sample = async () => {
  const r = recorder();
  const P = ROTATION_SAMPLE_PATH;
  const admin = await apiKeyHeaders('admin');
  const START = `POST ${P}`;
  await r.call(`GET ${P}`, P, admin);
  await r.call(START, P, admin); // empty body: {} → nothing_to_do
  await r.call(START, P, admin, { batch_size: 100, drain_timeout_seconds: 60 });
  await r.call(START, P, admin, { batch_size: 0, drain_timeout_seconds: '5', batchsize: 5 }); // 422, three problems
  await r.call(START, P, admin, '{"batch_size":'); // 400
  await r.call(START, P, {}); // 401
  await r.call(START, P, (await createTestUser('researcher')).headers); // 403
  await r.call(`POST ${P}/abort`, `${P}/abort`, admin); // 409: nothing running
  await r.call(`POST ${P}/abort`, `${P}/abort`, {}); // 401
  await r.call(`GET ${P}`, P, await apiKeyHeaders('collector')); // 403
  return r.recorded;
};
