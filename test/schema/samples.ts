/** Every contract sample (test/schema/openapi.test.ts); each domain adds its own file under samples/. */
import { auditSample } from './samples/audit.ts';
import { authSample } from './samples/auth.ts';
import { credentialsSample } from './samples/credentials.ts';
import { poolSample } from './samples/pool.ts';
export type { Recorded } from './samples/record.ts';

export const SAMPLES = [poolSample, credentialsSample, auditSample, authSample];
