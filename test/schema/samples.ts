/** Every contract sample (test/schema/openapi.test.ts); each domain adds its own file under samples/. */
import { alertsSample } from './samples/alerts.ts';
import { auditSample } from './samples/audit.ts';
import { authSample } from './samples/auth.ts';
import { passkeysSample } from './samples/passkeys.ts';
import { credentialsSample } from './samples/credentials.ts';
import { poolSample } from './samples/pool.ts';
import { arenasSample } from './samples/arenas.ts';
import { healthSample } from './samples/health.ts';
import { recoverySample } from './samples/recovery.ts';
import { rotationSample } from './samples/rotation.ts';
export type { Recorded } from './samples/record.ts';

// Recovery purges the lost-key rows it seeds before rotation runs (a row under
// another key would make the rotation sample start a real run).
export const SAMPLES = [
  poolSample,
  credentialsSample,
  auditSample,
  authSample,
  passkeysSample,
  arenasSample,
  recoverySample,
  healthSample,
  rotationSample,
  alertsSample,
];
