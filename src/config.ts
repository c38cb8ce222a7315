/**
 * Reads and validates the Worker's bindings once per isolate into a typed
 * config with both key rings. Every problem names the binding and the fix and
 * never echoes a value. While any binding is invalid every route answers 500
 * `CONFIG_INVALID` (see http/app.ts); `/api/health` lists the problems.
 */
import { VaultError } from './errors.ts';
import { Fernet, InvalidFernetKey } from './crypto/fernet.ts';
import { CredentialKeyRing, SigningKeyRing } from './crypto/key-ring.ts';
import { base64urlDecode, hexDecode } from './crypto/encoding.ts';
import { parseSsoConfig, SSO_BINDINGS, type AccessConfig, type OidcConfig } from './kernel/sso-config.ts';

export const BINDINGS = [
  'SECRET_KEY',
  'SECRET_KEY_PREVIOUS',
  'CREDENTIAL_ENCRYPTION_KEY',
  'CREDENTIAL_ENCRYPTION_KEY_PREVIOUS',
  'ACCESS_TOKEN_EXPIRE_MINUTES',
  'PROVIDER_CHECK_ORIGIN',
  'DAILY_PROVIDER_CHECKS',
  'ADMIN_SIGN_IN',
  'PUBLIC_URL',
  ...SSO_BINDINGS,
] as const;
export type BindingName = (typeof BINDINGS)[number];
export type RawBindings = Partial<Record<BindingName, string | undefined>>;

export interface Config {
  credentialKeys: CredentialKeyRing;
  signingKeys: SigningKeyRing;
  accessTokenMinutes: number;
  /** ADMIN_SIGN_IN: `strong` makes an admin's password-only session an enrollment session (kernel/principal.ts). */
  adminSignIn: AdminSignIn;
  /** PUBLIC_URL's origin (scheme, host, port), when set: the WebAuthn origin and RP ID come from it. */
  publicOrigin: string | null;

  /** OpenID Connect sign-in, or null when OIDC_ISSUER is not set (kernel/sso-config.ts). */
  oidc: OidcConfig | null;
  /** Cloudflare Access, or null when ACCESS_TEAM_DOMAIN and ACCESS_AUD are not set. */
  access: AccessConfig | null;
}

export const ADMIN_SIGN_IN_VALUES = ['password', 'strong'] as const;
export type AdminSignIn = (typeof ADMIN_SIGN_IN_VALUES)[number];

interface BindingProblem {
  binding: BindingName;
  problem: string;
  fix: string;
}

const DEFAULT_ACCESS_TOKEN_MINUTES = 30;
const MIN_SECRET_BYTES = 32;

const VAR_FIX = 'Set it in wrangler.toml [vars] (locally: in .dev.vars) and redeploy or restart.';
const SECRETS = new Set<BindingName>([
  'SECRET_KEY',
  'SECRET_KEY_PREVIOUS',
  'CREDENTIAL_ENCRYPTION_KEY',
  'CREDENTIAL_ENCRYPTION_KEY_PREVIOUS',
  'OIDC_CLIENT_SECRET',
]);

function fixFor(binding: BindingName): string {
  if (!SECRETS.has(binding)) return VAR_FIX;
  return `Set it with \`wrangler secret put ${binding}\` (locally: in .dev.vars) and redeploy or restart.`;
}

/** Bytes of entropy a SECRET_KEY carries, judged by its encoding; 0 if unrecognised. */
export function secretKeyStrength(value: string): number {
  if (/^[0-9a-fA-F]+$/.test(value)) return hexDecode(value)?.length ?? 0;
  const b64 = base64urlDecode(value.replace(/\+/g, '-').replace(/\//g, '_'));
  if (b64) return b64.length;
  const unpadded = base64urlDecode(value + '='.repeat((4 - (value.length % 4)) % 4));
  if (unpadded) return unpadded.length;
  // An arbitrary passphrase-like string: count ~4 bits per character, generously.
  return Math.floor(value.length / 2);
}

function secretKeyProblem(value: string): string | null {
  if (secretKeyStrength(value) < MIN_SECRET_BYTES) {
    return `is too weak: it needs at least ${MIN_SECRET_BYTES} random bytes (for example 64 hex characters from \`openssl rand -hex 32\` or \`npm run generate-keys\`)`;
  }
  if (new Set(value).size < 8) return 'is not random enough (too few distinct characters)';
  return null;
}

function splitList(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

async function fernetProblem(value: string): Promise<string | null> {
  try {
    await Fernet.fromKey(value);
    return null;
  } catch (e) {
    if (e instanceof InvalidFernetKey) return 'is not a Fernet key (32 bytes, url-safe base64, 44 characters)';
    throw e;
  }
}

/** Validates raw bindings; returns the config or the list of problems (never values). */
export async function parseConfig(raw: RawBindings): Promise<{ config?: Config; problems: BindingProblem[] }> {
  const problems: BindingProblem[] = [];
  const add = (binding: BindingName, problem: string) => problems.push({ binding, problem: `${binding} ${problem}`, fix: fixFor(binding) });

  const secretKey = raw.SECRET_KEY?.trim() ?? '';
  if (!secretKey) add('SECRET_KEY', 'is missing or empty');
  else {
    const p = secretKeyProblem(secretKey);
    if (p) add('SECRET_KEY', p);
  }
  const secretPrev = splitList(raw.SECRET_KEY_PREVIOUS);
  secretPrev.forEach((v, i) => {
    const p = secretKeyProblem(v);
    if (p) add('SECRET_KEY_PREVIOUS', `entry ${i + 1} ${p}`);
    if (v === secretKey) add('SECRET_KEY_PREVIOUS', `entry ${i + 1} equals SECRET_KEY; a previous key must differ from the current one`);
  });
  if (new Set(secretPrev).size !== secretPrev.length) add('SECRET_KEY_PREVIOUS', 'lists the same key twice');

  const credKey = raw.CREDENTIAL_ENCRYPTION_KEY?.trim() ?? '';
  if (!credKey) add('CREDENTIAL_ENCRYPTION_KEY', 'is missing or empty');
  else {
    const p = await fernetProblem(credKey);
    if (p) add('CREDENTIAL_ENCRYPTION_KEY', p);
  }
  const credPrev = splitList(raw.CREDENTIAL_ENCRYPTION_KEY_PREVIOUS);
  for (const [i, v] of credPrev.entries()) {
    const p = await fernetProblem(v);
    if (p) add('CREDENTIAL_ENCRYPTION_KEY_PREVIOUS', `entry ${i + 1} ${p}`);
    if (v === credKey)
      add('CREDENTIAL_ENCRYPTION_KEY_PREVIOUS', `entry ${i + 1} equals CREDENTIAL_ENCRYPTION_KEY; a previous key must differ from the current one`);
  }
  if (new Set(credPrev).size !== credPrev.length) add('CREDENTIAL_ENCRYPTION_KEY_PREVIOUS', 'lists the same key twice');

  let accessTokenMinutes = DEFAULT_ACCESS_TOKEN_MINUTES;
  const minutes = raw.ACCESS_TOKEN_EXPIRE_MINUTES?.trim();
  if (minutes) {
    const n = Number(minutes);
    if (!Number.isInteger(n) || n < 1 || n > 1440) {
      problems.push({
        binding: 'ACCESS_TOKEN_EXPIRE_MINUTES',
        problem: 'ACCESS_TOKEN_EXPIRE_MINUTES must be a whole number of minutes from 1 to 1440',
        fix: 'Set it in wrangler.toml [vars] (locally: in .dev.vars).',
      });
    } else accessTokenMinutes = n;
  }

  const varFix = 'Set it in wrangler.toml [vars] (locally: in .dev.vars).';
  let adminSignIn: AdminSignIn = 'password';
  const policy = raw.ADMIN_SIGN_IN?.trim();
  if (policy) {
    if ((ADMIN_SIGN_IN_VALUES as readonly string[]).includes(policy)) adminSignIn = policy as AdminSignIn;
    else problems.push({ binding: 'ADMIN_SIGN_IN', problem: 'ADMIN_SIGN_IN must be password or strong', fix: varFix });
  }

  let publicOrigin: string | null = null;
  const publicUrl = raw.PUBLIC_URL?.trim();
  if (publicUrl) {
    const origin = URL.canParse(publicUrl) ? new URL(publicUrl) : null;
    if (origin && (origin.protocol === 'https:' || origin.protocol === 'http:')) publicOrigin = origin.origin;
    else problems.push({ binding: 'PUBLIC_URL', problem: 'PUBLIC_URL must be an absolute http(s) URL such as https://vault.example.org', fix: varFix });
  }

  const sso = parseSsoConfig(raw, add);

  if (problems.length) return { problems };
  return {
    problems,
    config: {
      credentialKeys: await CredentialKeyRing.fromKeys(credKey, credPrev),
      signingKeys: new SigningKeyRing(secretKey, secretPrev),
      accessTokenMinutes,
      adminSignIn,
      publicOrigin,
      oidc: sso.oidc,
      access: sso.access,
    },
  };
}

let cached: { fingerprint: string; result: Promise<{ config?: Config; problems: BindingProblem[] }> } | undefined;

/** Parses once per isolate (re-parses only if the bindings change). */
export function inspectConfig(env: RawBindings): Promise<{ config?: Config; problems: BindingProblem[] }> {
  const fingerprint = BINDINGS.map((b) => env[b] ?? '\u0000').join('\u0001');
  if (cached?.fingerprint !== fingerprint) cached = { fingerprint, result: parseConfig(env) };
  return cached.result;
}

/** The validated config, or a `CONFIG_INVALID` error naming each bad binding and its fix. */
export async function loadConfig(env: RawBindings): Promise<Config> {
  const { config, problems } = await inspectConfig(env);
  if (config) return config;
  throw configError(problems);
}

function configError(problems: BindingProblem[]): VaultError {
  const names = [...new Set(problems.map((p) => p.binding))].join(', ');
  return new VaultError('CONFIG_INVALID', `The vault is misconfigured: ${names}. ${problems[0]!.fix}`, {
    details: { problems },
  });
}
