/** KeyRotation Durable Object: locks collection and re-encrypts in batches (issue 6). */
import { DurableObject } from 'cloudflare:workers';
import type { Env } from '../env.ts';

export class KeyRotation extends DurableObject<Env> {}
