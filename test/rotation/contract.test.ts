// The rotation answers the `workers` project cannot produce (its ring has no
// previous key, so a start there is `nothing_to_do`): a real run's 202
// started, 409 ROTATION_IN_PROGRESS, the status while running and 202
// abort_requested, checked against the same GET /api/openapi.json as every
// other sample (test/schema/contract.ts).
import { beforeEach, describe, expect, it } from 'vitest';
import { ROTATION_PATH, apiKeyHeaders, driveToEnd, planFaults, resetWorld, seedRows, waitFor } from './support.ts';
import { recorder } from '../schema/samples/record.ts';
import { contractProblems, fetchOpenApi } from '../schema/contract.ts';

beforeEach(resetWorld);

describe('rotation answers match the OpenAPI document', () => {
  it('start, start again, status while running, abort, abort again', async () => {
    await seedRows(5);
    const admin = await apiKeyHeaders('admin');
    const r = recorder();
    const P = ROTATION_PATH;
    // Hold the run in re-encryption (a failing first batch) so it is still running when we call again.
    await planFaults([{ point: 'before-commit', kind: 'throw', batch: 1, times: 4 }]);
    const started = await r.call(`POST ${P}`, P, admin, { batch_size: 2 });
    expect(started.status).toBe(202);
    expect(started.body.result).toBe('started');
    const again = await r.call(`POST ${P}`, P, admin);
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('ROTATION_IN_PROGRESS');
    await waitFor((s) => s.lastError !== null);
    const running = await r.call(`GET ${P}`, P, admin);
    expect(running.body.rows_not_under_current_key).toBeNull();
    const abort = await r.call(`POST ${P}/abort`, `${P}/abort`, admin);
    expect(abort.status).toBe(202);
    expect(abort.body.result).toBe('abort_requested');
    expect((await driveToEnd()).phase).toBe('aborted');
    const after = await r.call(`GET ${P}`, P, admin);
    expect(after.body).toMatchObject({ phase: 'aborted', rows_not_under_current_key: 5 });
    expect((await r.call(`POST ${P}/abort`, `${P}/abort`, admin)).status).toBe(409);

    expect(r.recorded.map((x) => x.status)).toEqual([202, 409, 200, 202, 200, 409]);
    expect(contractProblems(await fetchOpenApi(), r.recorded)).toEqual([]);
  });
});
