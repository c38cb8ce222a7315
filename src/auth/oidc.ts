/**
 * The OpenID Connect relying party, on oauth4webapi: authorization code flow
 * with PKCE (S256), `state` and `nonce`, the provider found by discovery from
 * OIDC_ISSUER (cached per isolate for an hour; a failed discovery is not
 * cached). `allowInsecureRequests` is passed only when the configuration says
 * the issuer is plain http on a loopback host (kernel/sso-config.ts `loopbackHttp`).
 *
 * `beginOidc` makes the provider URL and the pending attempt (state, nonce,
 * PKCE verifier, next); the page keeps the attempt in a signed, short-lived,
 * HttpOnly cookie (oidc-attempt.ts). `finishOidc` checks the callback against
 * it (state), redeems the code with the client secret and the verifier, and
 * checks the ID token (issuer, audience = our client id, nonce, expiry) before
 * returning the email claims (from the ID token, else from userinfo for the
 * same subject). Every failure is an `OidcFailure` with a
 * stable reason; nothing from the provider's answer (code, tokens, error
 * text) goes into its message.
 */
import * as oauth from 'oauth4webapi';
import { VaultError } from '../errors.ts';
import type { OidcConfig } from '../kernel/sso-config.ts';
import type { SsoIdentity } from './sso-sign-in.ts';

export const OIDC_SCOPE = 'openid email profile';
const DISCOVERY_TTL_MS = 60 * 60 * 1000;

export type OidcFailureReason = 'discovery_failed' | 'state_mismatch' | 'provider_error' | 'token_rejected';

const MESSAGES: Record<OidcFailureReason, string> = {
  discovery_failed: 'The identity provider cannot be reached right now. Try again later, or log in another way.',
  state_mismatch: 'This single sign-on attempt expired or did not start in this browser. Please try again.',
  provider_error: 'The identity provider did not sign you in. Please try again.',
  token_rejected: "The identity provider's answer could not be verified. Please try again.",
};

export class OidcFailure extends VaultError {
  /** For the audit detail: the ID token claim that failed its check (`nonce`, `aud`, ...), when known. */
  readonly claim?: string;

  constructor(
    readonly reason: OidcFailureReason,
    claim?: string,
  ) {
    super(reason === 'discovery_failed' ? 'INTERNAL' : 'UNAUTHENTICATED', MESSAGES[reason], { logDetail: `oidc ${reason}${claim ? ` (${claim})` : ''}` });
    this.claim = claim;
  }
}

export interface PendingOidc {
  state: string;
  nonce: string;
  verifier: string;
  /** The normalised `next` path, or null. */
  next: string | null;
}

const discoveries = new Map<string, { at: number; server: Promise<oauth.AuthorizationServer> }>();

function insecure(config: OidcConfig): { [oauth.allowInsecureRequests]?: boolean } {
  return config.loopbackHttp ? { [oauth.allowInsecureRequests]: true } : {};
}

async function discover(config: OidcConfig): Promise<oauth.AuthorizationServer> {
  const key = config.issuer.href;
  const hit = discoveries.get(key);
  if (hit && Date.now() - hit.at < DISCOVERY_TTL_MS) return hit.server;
  const server = oauth
    .discoveryRequest(config.issuer, { algorithm: 'oidc', ...insecure(config), signal: AbortSignal.timeout(10_000) })
    .then((res) => oauth.processDiscoveryResponse(config.issuer, res));
  discoveries.set(key, { at: Date.now(), server });
  try {
    return await server;
  } catch (_e) {
    discoveries.delete(key);
    throw new OidcFailure('discovery_failed', undefined);
  }
}

/** The provider's authorization URL for a new attempt, and the attempt to keep until the callback. */
export async function beginOidc(config: OidcConfig, redirectUri: string, next: string | null): Promise<{ url: URL; pending: PendingOidc }> {
  const as = await discover(config);
  if (!as.authorization_endpoint) throw new OidcFailure('discovery_failed');
  const pending: PendingOidc = {
    state: oauth.generateRandomState(),
    nonce: oauth.generateRandomNonce(),
    verifier: oauth.generateRandomCodeVerifier(),
    next,
  };
  const url = new URL(as.authorization_endpoint);
  url.searchParams.set('client_id', config.clientId);
  url.searchParams.set('redirect_uri', redirectUri);
  url.searchParams.set('response_type', 'code');
  url.searchParams.set('scope', OIDC_SCOPE);
  url.searchParams.set('code_challenge', await oauth.calculatePKCECodeChallenge(pending.verifier));
  url.searchParams.set('code_challenge_method', 'S256');
  url.searchParams.set('state', pending.state);
  url.searchParams.set('nonce', pending.nonce);
  return { url, pending };
}

function failedClaim(e: unknown): string | undefined {
  const cause = (e as { cause?: { claim?: unknown } } | null)?.cause;
  return typeof cause?.claim === 'string' ? cause.claim : undefined;
}

/** Redeems the callback of `pending`'s attempt; the verified identity, or an OidcFailure. */
export async function finishOidc(config: OidcConfig, redirectUri: string, callbackUrl: URL, pending: PendingOidc): Promise<SsoIdentity> {
  const as = await discover(config);
  const client: oauth.Client = { client_id: config.clientId };
  let params: URLSearchParams;
  try {
    params = oauth.validateAuthResponse(as, client, callbackUrl, pending.state);
  } catch (e) {
    throw new OidcFailure(e instanceof oauth.AuthorizationResponseError ? 'provider_error' : 'state_mismatch');
  }
  let email: Record<string, unknown>;
  try {
    const response = await oauth.authorizationCodeGrantRequest(as, client, oauth.ClientSecretPost(config.clientSecret), params, redirectUri, pending.verifier, {
      ...insecure(config),
      signal: AbortSignal.timeout(10_000),
    });
    const result = await oauth.processAuthorizationCodeResponse(as, client, response, { expectedNonce: pending.nonce, requireIdToken: true });
    const claims = oauth.getValidatedIdTokenClaims(result);
    if (!claims) throw new OidcFailure('token_rejected');
    email = claims as Record<string, unknown>;
    // Providers that keep the email out of the ID token give it at userinfo, for the same subject.
    if (claims.email === undefined && as.userinfo_endpoint) {
      const info = await oauth.userInfoRequest(as, client, result.access_token, { ...insecure(config), signal: AbortSignal.timeout(10_000) });
      email = (await oauth.processUserInfoResponse(as, client, claims.sub, info)) as Record<string, unknown>;
    }
  } catch (e) {
    if (e instanceof OidcFailure) throw e;
    throw new OidcFailure('token_rejected', failedClaim(e));
  }
  return { email: email.email, emailVerified: email.email_verified === true, name: email.name };
}
