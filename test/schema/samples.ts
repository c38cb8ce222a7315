/** Every contract sample (test/schema/openapi.test.ts); each domain adds its own file under samples/. */
import { poolSample } from './samples/pool.ts';
export type { Recorded } from './samples/record.ts';

export const SAMPLES = [poolSample];
