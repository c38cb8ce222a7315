/**
 * GET /api/auth/methods: which sign-in methods this vault offers. Password and
 * passkey always; OIDC and Cloudflare Access when their settings are
 * configured (and valid: config.ts with kernel/sso-config.ts decides that,
 * here they are only read back).
 */
import type { Config } from '../config.ts';

export function signInMethods(config: Config) {
  return {
    password: true as const,
    passkey: true as const,
    oidc: config.oidc ? { enabled: true, name: config.oidc.name } : { enabled: false, name: null },
    access: { enabled: config.access !== null },
  };
}
