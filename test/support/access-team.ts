/**
 * A stand-in for a Cloudflare Access team domain in tests: plain http on
 * 127.0.0.1, serving its public keys at `/cdn-cgi/access/certs`, and minting
 * assertions as Access would (RS256, `iss` the team domain, `aud` the
 * application's tag, `email`, a 5-minute expiry). `otherKey` signs with a
 * key the team domain does not publish.
 */
import { createServer, type Server } from 'node:http';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey } from 'jose';
import { freePort } from './wrangler-dev.ts';

export class AccessTeam {
  origin = '';
  certRequests = 0;
  /** Every assertion minted, for the tests' "never leaked" checks. */
  readonly minted: string[] = [];
  #key!: CryptoKey;
  #otherKey!: CryptoKey;
  #server: Server | null = null;

  async start(): Promise<void> {
    const port = await freePort();
    this.origin = `http://127.0.0.1:${port}`;
    const pair = await generateKeyPair('RS256', { extractable: true });
    this.#key = pair.privateKey;
    this.#otherKey = (await generateKeyPair('RS256')).privateKey;
    const jwk = { ...(await exportJWK(pair.publicKey)), kid: 'team-key-1', alg: 'RS256', use: 'sig' };
    const body = JSON.stringify({ keys: [jwk] });
    this.#server = createServer((req, res) => {
      if (req.url !== '/cdn-cgi/access/certs') {
        res.statusCode = 404;
        res.end();
        return;
      }
      this.certRequests++;
      res.setHeader('content-type', 'application/json');
      res.end(body);
    });
    await new Promise<void>((resolve) => this.#server!.listen(port, '127.0.0.1', resolve));
  }

  /** An assertion for `email`; `opts` bends one rule at a time. */
  async assertion(email: string, aud: string, opts: { expiresAt?: number; issuer?: string; otherKey?: boolean } = {}): Promise<string> {
    const now = Math.floor(Date.now() / 1000);
    const token = await new SignJWT({ email, type: 'app' })
      .setProtectedHeader({ alg: 'RS256', kid: 'team-key-1' })
      .setIssuer(opts.issuer ?? this.origin)
      .setAudience([aud])
      .setSubject(crypto.randomUUID())
      .setIssuedAt(now - 10)
      .setExpirationTime(opts.expiresAt ?? now + 300)
      .sign(opts.otherKey ? this.#otherKey : this.#key);
    this.minted.push(token);
    return token;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => (this.#server ? this.#server.close(() => resolve()) : resolve()));
    this.#server?.closeAllConnections();
  }
}
