/**
 * GET /api/auth/methods: which sign-in methods this vault offers. Password and
 * passkey always; OIDC when OIDC_ISSUER and OIDC_CLIENT_ID are set (labelled
 * OIDC_NAME); Cloudflare Access when ACCESS_TEAM_DOMAIN and ACCESS_AUD are set.
 * Presence only: those settings are validated where they are used.
 */
export function signInMethods(env: object) {
  const raw = env as Record<string, unknown>;
  const set = (name: string) => typeof raw[name] === 'string' && (raw[name] as string).trim() !== '';
  const oidc = set('OIDC_ISSUER') && set('OIDC_CLIENT_ID');
  return {
    password: true as const,
    passkey: true as const,
    oidc: { enabled: oidc, name: oidc ? (set('OIDC_NAME') ? (raw.OIDC_NAME as string).trim() : 'Single sign-on') : null },
    access: { enabled: set('ACCESS_TEAM_DOMAIN') && set('ACCESS_AUD') },
  };
}
