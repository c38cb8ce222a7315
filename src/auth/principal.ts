/** Who is making a request, however they authenticated. */
export type Role = 'admin' | 'researcher';
export type ApiKeyScope = 'collector' | 'admin';

export interface Principal {
  /** 'session' = cookie (browser), 'bearer' = JWT in Authorization, 'api_key' = machine key. */
  via: 'session' | 'bearer' | 'api_key';
  userId: number | null;
  role: Role;
  /** Set for API keys only. */
  scope?: ApiKeyScope;
  apiKeyId?: number;
  email?: string;
  /** How the audit log names this actor, e.g. `user:3` or `api_key:7`. Never a secret. */
  actor: string;
}

/**
 * An admin user, or an API key with the admin scope that acts for an admin or
 * for no user (a key whose owner is no longer an admin gets `role: researcher`).
 */
export function isAdmin(p: Principal | undefined): boolean {
  if (!p) return false;
  return p.role === 'admin' && (p.via !== 'api_key' || p.scope === 'admin');
}
