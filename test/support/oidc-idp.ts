/**
 * A real OpenID provider on localhost for the single sign-on tests: panva's
 * `oidc-provider`, plain http on 127.0.0.1 (the vault accepts http only for
 * a loopback issuer). One confidential client (`client_secret_post`, PKCE
 * required). The person who signs in is whoever `signInAs` names; the
 * provider's own login and consent screens are skipped (an interaction that
 * finishes at once with that account, and a grant for the openid, email and
 * profile scopes). Email claims are released at userinfo (the provider's
 * default), so the vault's userinfo path is exercised too.
 *
 * `tamperIdToken` rewrites the next token response's ID token (re-signed
 * with the provider's own key), so a test can make the provider issue a
 * token for another audience.
 */
import { createServer, type Server } from 'node:http';
import { exportJWK, generateKeyPair, decodeJwt, decodeProtectedHeader, SignJWT, type JWK } from 'jose';
import Provider from 'oidc-provider';
import { freePort } from './wrangler-dev.ts';

export interface IdpAccount {
  email: string;
  email_verified: boolean;
  name?: string;
  /** A claim the vault must ignore (roles come only from its own users table). */
  roles?: string[];
}

export class LocalIdp {
  readonly accounts = new Map<string, IdpAccount>();
  signInAs = '';
  tamperIdToken: ((claims: Record<string, unknown>) => Record<string, unknown>) | null = null;
  issuer = '';
  #server: Server | null = null;

  async start(opts: { clientId: string; clientSecret: string; redirectUri: string }): Promise<void> {
    const port = await freePort();
    this.issuer = `http://127.0.0.1:${port}`;
    const { privateKey } = await generateKeyPair('RS256', { extractable: true });
    const jwk: JWK = { ...(await exportJWK(privateKey)), kid: 'idp-key-1', alg: 'RS256', use: 'sig' };
    const provider = new Provider(this.issuer, {
      clients: [
        {
          client_id: opts.clientId,
          client_secret: opts.clientSecret,
          redirect_uris: [opts.redirectUri],
          response_types: ['code'],
          grant_types: ['authorization_code'],
          token_endpoint_auth_method: 'client_secret_post',
        },
      ],
      jwks: { keys: [jwk] },
      claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name', 'roles'] },
      scopes: ['openid', 'email', 'profile'],
      pkce: { required: () => true },
      features: { devInteractions: { enabled: false } },
      interactions: { url: (_ctx: unknown, interaction: { uid: string }) => `/interaction/${interaction.uid}` },
      findAccount: async (_ctx: unknown, id: string) => {
        const a = this.accounts.get(id);
        return a && { accountId: id, claims: async () => ({ sub: id, ...a }) };
      },
      loadExistingGrant: async (ctx: { oidc: { client: { clientId: string }; session: { accountId: string }; provider: Provider } }) => {
        const grant = new ctx.oidc.provider.Grant({ clientId: ctx.oidc.client.clientId, accountId: ctx.oidc.session.accountId });
        grant.addOIDCScope('openid email profile');
        await grant.save();
        return grant;
      },
    });
    provider.use(async (ctx, next) => {
      await next();
      const tamper = this.tamperIdToken;
      if (ctx.path === '/token' && tamper && ctx.body?.id_token) {
        this.tamperIdToken = null;
        const header = decodeProtectedHeader(ctx.body.id_token);
        const claims = tamper(decodeJwt(ctx.body.id_token) as Record<string, unknown>);
        ctx.body = { ...ctx.body, id_token: await new SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid: header.kid! }).sign(privateKey) };
      }
    });
    const handle = provider.callback();
    this.#server = createServer((req, res) => {
      if (req.url?.startsWith('/interaction/')) {
        provider.interactionFinished(req, res, { login: { accountId: this.signInAs } }, { mergeWithLastSubmission: false }).catch((e) => {
          res.statusCode = 500;
          res.end(String(e));
        });
        return;
      }
      handle(req, res);
    });
    await new Promise<void>((resolve) => this.#server!.listen(port, '127.0.0.1', resolve));
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => (this.#server ? this.#server.close(() => resolve()) : resolve()));
    this.#server?.closeAllConnections();
  }
}
