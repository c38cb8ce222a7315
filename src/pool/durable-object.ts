/** CredentialPool Durable Object: leases, cooldowns, quotas and the collection lock (issue 5). */
import { DurableObject } from 'cloudflare:workers';
import type { Env } from '../env.ts';

export class CredentialPool extends DurableObject<Env> {}
