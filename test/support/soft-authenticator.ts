/**
 * A software WebAuthn authenticator for workerd tests: an ES256 (P-256) key in
 * Web Crypto, producing real `none` attestations and real assertions in the
 * JSON shapes @simplewebauthn/browser sends, so the server's ceremony code
 * runs unmocked. Knobs: user verification off, a counter it does not keep
 * (always 0), or an explicit counter.
 */
import { isoBase64URL, isoCBOR } from '@simplewebauthn/server/helpers';

const enc = new TextEncoder();

function concat(...parts: Uint8Array[]): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

function u32(n: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n);
  return b;
}

async function sha256(data: Uint8Array<ArrayBuffer>): Promise<Uint8Array<ArrayBuffer>> {
  return new Uint8Array(await crypto.subtle.digest('SHA-256', data));
}

/** An ECDSA raw r||s signature as DER (what WebAuthn carries). */
function derSignature(raw: Uint8Array): Uint8Array {
  const int = (x: Uint8Array) => {
    let i = 0;
    while (i < x.length - 1 && x[i] === 0) i++;
    let v = x.slice(i);
    if (v[0]! & 0x80) v = concat(new Uint8Array([0]), v);
    return concat(new Uint8Array([0x02, v.length]), v);
  };
  const body = concat(int(raw.slice(0, 32)), int(raw.slice(32)));
  return concat(new Uint8Array([0x30, body.length]), body);
}

const b64 = (b: Uint8Array) => isoBase64URL.fromBuffer(b as Uint8Array<ArrayBuffer>);

export interface CeremonyOptions {
  origin: string;
  /** User verification flag (default true). */
  uv?: boolean;
}

export class SoftAuthenticator {
  readonly credentialId = crypto.getRandomValues(new Uint8Array(16));
  /** Next signature counter; stays 0 when `keepsCounter` is false. */
  counter = 0;
  userHandle: string | null = null;

  private constructor(
    private readonly keys: CryptoKeyPair,
    readonly keepsCounter: boolean,
  ) {}

  static async create(opts: { keepsCounter?: boolean } = {}): Promise<SoftAuthenticator> {
    const keys = (await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify'])) as CryptoKeyPair;
    return new SoftAuthenticator(keys, opts.keepsCounter ?? true);
  }

  get id(): string {
    return b64(this.credentialId);
  }

  private async coseKey(): Promise<Uint8Array> {
    const jwk = (await crypto.subtle.exportKey('jwk', this.keys.publicKey)) as JsonWebKey;
    const cose = new Map<number, number | Uint8Array>([
      [1, 2],
      [3, -7],
      [-1, 1],
      [-2, isoBase64URL.toBuffer(jwk.x!)],
      [-3, isoBase64URL.toBuffer(jwk.y!)],
    ]);
    return isoCBOR.encode(cose);
  }

  private clientData(type: string, challenge: string, origin: string): Uint8Array<ArrayBuffer> {
    return enc.encode(JSON.stringify({ type, challenge, origin, crossOrigin: false }));
  }

  private flags(uv: boolean, attested: boolean): Uint8Array {
    return new Uint8Array([0x01 | (uv ? 0x04 : 0) | (attested ? 0x40 : 0)]);
  }

  /** navigator.credentials.create() for creation options `o` (their rp.id and user.id are used). */
  async register(o: { challenge: string; rp: { id?: string }; user: { id: string } }, c: CeremonyOptions) {
    this.userHandle = o.user.id;
    const rpIdHash = await sha256(enc.encode(o.rp.id!));
    const credId = this.credentialId;
    const authData = concat(
      rpIdHash,
      this.flags(c.uv ?? true, true),
      u32(this.counter),
      new Uint8Array(16),
      new Uint8Array([credId.length >> 8, credId.length & 255]),
      credId,
      await this.coseKey(),
    );
    const attestationObject = isoCBOR.encode(
      new Map<string, unknown>([
        ['fmt', 'none'],
        ['attStmt', new Map()],
        ['authData', authData],
      ]) as never,
    );
    return {
      id: this.id,
      rawId: this.id,
      type: 'public-key',
      response: {
        clientDataJSON: b64(this.clientData('webauthn.create', o.challenge, c.origin)),
        attestationObject: b64(attestationObject),
        transports: ['internal'],
      },
      clientExtensionResults: {},
      authenticatorAttachment: 'platform',
    };
  }

  /** navigator.credentials.get() for request options `o`. `counter` overrides the one it would send. */
  async assert(o: { challenge: string; rpId?: string }, c: CeremonyOptions & { counter?: number }) {
    if (this.keepsCounter) this.counter += 1;
    const count = c.counter ?? this.counter;
    const authData = concat(await sha256(enc.encode(o.rpId!)), this.flags(c.uv ?? true, false), u32(count));
    const clientDataJSON = this.clientData('webauthn.get', o.challenge, c.origin);
    const signed = concat(authData, await sha256(clientDataJSON));
    const raw = new Uint8Array(await crypto.subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, this.keys.privateKey, signed));
    return {
      id: this.id,
      rawId: this.id,
      type: 'public-key',
      response: {
        clientDataJSON: b64(clientDataJSON),
        authenticatorData: b64(authData),
        signature: b64(derSignature(raw)),
        ...(this.userHandle ? { userHandle: this.userHandle } : {}),
      },
      clientExtensionResults: {},
      authenticatorAttachment: 'platform',
    };
  }
}
