/**
 * The arena registry: the one typed table of which platforms exist, which
 * tiers each supports, which credential fields each needs (and which of those
 * are secret), and which platform(s) each arena draws credentials from, per
 * tier. Forms, validators, the pool and health read it from here; no list of
 * fields is written anywhere else.
 *
 * Vocabulary
 * - A *platform* is a credential provider (serper, reddit, brightdata_facebook).
 *   An `api_credentials` row has a `platform` and a `tier`; its encrypted value
 *   is a JSON object with exactly that platform's `fields`.
 * - An *arena* is a data source a query design can enable (google_search,
 *   facebook, gdelt). Each arena tier lists the platforms it draws credentials
 *   from; the credentials it uses are rows with `platform ∈ list` and the SAME
 *   `tier` as the arena tier. A tier listing `[]` needs no credential. When a
 *   list has more than one platform the tier needs a usable credential from
 *   each of them (today every list has at most one).
 *
 * Exported API
 * - `TIERS`, `Tier`, `isTier(x)`
 * - `PLATFORMS: Record<PlatformId, PlatformSpec>`; `PLATFORM_IDS`; `isPlatformId(x)`;
 *   `getPlatform(id)` → spec or undefined.
 *   `PlatformSpec = {id, label, tiers, fields: CredentialFieldSpec[]}`;
 *   `CredentialFieldSpec = {name, label, secret, hint, minLength, maxLength, pattern?, patternHint?}`.
 *   `secret: false` fields (Reddit's user_agent, OAuth client ids, a Bluesky
 *   handle) may be shown in full; `hint: true` marks a secret field whose last
 *   4 characters may be shown (long random API keys, never passwords or sessions).
 * - `ARENAS: Record<ArenaId, ArenaSpec>`; `ARENA_IDS`; `isArenaId(x)`; `getArena(id)`.
 *   `ArenaSpec = {id, label, tiers: Partial<Record<Tier, PlatformId[]>>, needsCredentials}`.
 * - `arenaTiers(arena)` → the tiers an arena offers, in `TIERS` order.
 * - `platformsForArena(arena, tier)` → the platforms that tier draws from
 *   (`[]` for a keyless tier, an unknown arena, or a tier the arena lacks).
 *
 * Tier choices (the original platform's arena tiers; its arena listing mapped
 * some of these wrongly): Google Search and Autocomplete buy results from
 * Serper at medium and SerpAPI at premium (Autocomplete also has a keyless free
 * tier, Google's public suggest endpoint); X/Twitter reads twitterapi.io at
 * medium and the official X API at premium; Facebook and Instagram come from
 * Bright Data datasets at medium; AI chat search goes through OpenRouter at
 * medium and premium (cheaper vs. stronger models, same key type); Event
 * Registry sells medium and premium plans; Majestic is premium only; the
 * remaining social platforms are free-tier APIs that still need a key or token.
 * GDELT, RSS feeds, Wikipedia, Common Crawl and the Wayback Machine need no key.
 */

export const TIERS = ['free', 'medium', 'premium'] as const;
export type Tier = (typeof TIERS)[number];

export interface CredentialFieldSpec {
  /** The JSON key inside the encrypted object (and the form input name). */
  readonly name: string;
  readonly label: string;
  /** Never shown; reads only say it is set and its length class. */
  readonly secret: boolean;
  /** Secret, but its last 4 characters may be shown to tell keys apart. */
  readonly hint: boolean;
  readonly minLength: number;
  readonly maxLength: number;
  /** Extra shape check on the (trimmed) value, e.g. Telegram's numeric api_id. */
  readonly pattern?: RegExp;
  /** Says what `pattern` wants, for the 422 message. */
  readonly patternHint?: string;
}

export interface PlatformSpec {
  readonly id: string;
  readonly label: string;
  readonly tiers: readonly Tier[];
  readonly fields: readonly CredentialFieldSpec[];
}

/** A long random API key or token: secret, last 4 shown. */
const apiKey = (name: string, label: string, maxLength = 512): CredentialFieldSpec => ({
  name,
  label,
  secret: true,
  hint: true,
  minLength: 8,
  maxLength,
});
/** A secret whose tail must not be shown (passwords, sessions, short secrets). */
const hidden = (name: string, label: string, minLength = 8, maxLength = 512): CredentialFieldSpec => ({
  name,
  label,
  secret: true,
  hint: false,
  minLength,
  maxLength,
});
/** A public identifier, shown in full. */
const visible = (name: string, label: string, maxLength = 256, minLength = 1): CredentialFieldSpec => ({
  name,
  label,
  secret: false,
  hint: false,
  minLength,
  maxLength,
});

const platform = <Id extends string>(id: Id, label: string, tiers: readonly Tier[], fields: readonly CredentialFieldSpec[]): PlatformSpec & { id: Id } => ({
  id,
  label,
  tiers,
  fields,
});

const PLATFORM_LIST = [
  platform('serper', 'Serper (Google)', ['medium'], [apiKey('api_key', 'API key')]),
  platform('serpapi', 'SerpAPI (Google)', ['premium'], [apiKey('api_key', 'API key')]),
  platform('twitterapi_io', 'twitterapi.io', ['medium'], [apiKey('api_key', 'API key')]),
  platform(
    'x_twitter',
    'X API (official)',
    ['premium'],
    [apiKey('bearer_token', 'Bearer token', 1024), apiKey('api_key', 'API key (consumer key)'), hidden('api_secret', 'API secret (consumer secret)')],
  ),
  platform('brightdata_facebook', 'Bright Data (Facebook)', ['medium'], [apiKey('api_token', 'API token')]),
  platform('brightdata_instagram', 'Bright Data (Instagram)', ['medium'], [apiKey('api_token', 'API token')]),
  platform('event_registry', 'Event Registry', ['medium', 'premium'], [apiKey('api_key', 'API key')]),
  platform('openrouter', 'OpenRouter', ['medium', 'premium'], [apiKey('api_key', 'API key')]),
  platform('majestic', 'Majestic', ['premium'], [apiKey('api_key', 'API key')]),
  platform('threads', 'Threads (Meta)', ['free'], [apiKey('access_token', 'Access token', 2048)]),
  platform('youtube', 'YouTube Data API', ['free'], [apiKey('api_key', 'API key')]),
  platform(
    'reddit',
    'Reddit',
    ['free'],
    [visible('client_id', 'Client id', 128), hidden('client_secret', 'Client secret'), visible('user_agent', 'User agent', 256, 8)],
  ),
  platform('tiktok', 'TikTok Research API', ['free'], [visible('client_key', 'Client key', 128), hidden('client_secret', 'Client secret')]),
  platform(
    'telegram',
    'Telegram (MTProto)',
    ['free'],
    [
      {
        ...visible('api_id', 'API id', 16),
        pattern: /^[0-9]+$/,
        patternHint: 'digits only',
      },
      hidden('api_hash', 'API hash', 16, 128),
      hidden('session_string', 'Session string', 16, 4096),
    ],
  ),
  platform('bluesky', 'Bluesky', ['free'], [visible('handle', 'Handle', 253, 3), hidden('app_password', 'App password', 8, 128)]),
  platform('gab', 'Gab', ['free'], [apiKey('access_token', 'Access token', 1024)]),
  platform('discord', 'Discord', ['free'], [apiKey('bot_token', 'Bot token', 256)]),
  platform('twitch', 'Twitch', ['free'], [visible('client_id', 'Client id', 128), hidden('client_secret', 'Client secret')]),
] as const;

export type PlatformId = (typeof PLATFORM_LIST)[number]['id'];

export const PLATFORMS: Readonly<Record<PlatformId, PlatformSpec>> = Object.freeze(
  Object.fromEntries(PLATFORM_LIST.map((p) => [p.id, p])) as Record<PlatformId, PlatformSpec>,
);
export const PLATFORM_IDS: readonly PlatformId[] = PLATFORM_LIST.map((p) => p.id);

/**
 * A live key check (issue 23): one cheap, read-only provider call made with
 * the credential's fields. `docs` cites the provider's documentation of the
 * endpoint. The key goes only into the request to `url`'s origin (or
 * PROVIDER_CHECK_ORIGIN's, in tests), never into a redirect, a log or the answer.
 */
export interface ProviderCheck {
  readonly docs: string;
  readonly method: 'GET' | 'POST';
  readonly url: string;
  readonly headers?: (f: Readonly<Record<string, string>>) => Record<string, string>;
  /** Query parameters added to `url` (only where the provider takes the key no other way). */
  readonly query?: (f: Readonly<Record<string, string>>) => Record<string, string>;
  readonly json?: (f: Readonly<Record<string, string>>) => Record<string, string>;
  readonly form?: (f: Readonly<Record<string, string>>) => Record<string, string>;
  /** Statuses that mean the provider refused the credential (default 401 and 403). */
  readonly refusedStatuses?: readonly number[];
}

const bearer = (field: string) => (f: Readonly<Record<string, string>>) => ({ authorization: `Bearer ${f[field]}` });
const basic = (user: string, pass: string) => (f: Readonly<Record<string, string>>) => ({ authorization: `Basic ${btoa(`${f[user]}:${f[pass]}`)}` });

/** The live key check of each platform that has a cheap read-only endpoint; the others answer `unsupported`. */
export const PROVIDER_CHECKS: Readonly<Partial<Record<PlatformId, ProviderCheck>>> = {
  // https://serper.dev (dashboard "API key" page: GET /account answers the key's balance and rate limit)
  serper: { docs: 'https://serper.dev/api-key', method: 'GET', url: 'https://google.serper.dev/account', headers: (f) => ({ 'x-api-key': f.api_key! }) },
  // The Account API is free and does not count against the search quota; it takes the key only as a query parameter.
  serpapi: { docs: 'https://serpapi.com/account-api', method: 'GET', url: 'https://serpapi.com/account.json', query: (f) => ({ api_key: f.api_key! }) },
  twitterapi_io: {
    docs: 'https://docs.twitterapi.io/api-reference/endpoint/get_my_info',
    method: 'GET',
    url: 'https://api.twitterapi.io/oapi/my/info',
    headers: (f) => ({ 'x-api-key': f.api_key! }),
  },
  // The stored bearer token is app-only: GET /2/users/me needs a user context and refuses it (403), so the check
  // reads the app's own usage instead, which an app-only token may.
  x_twitter: { docs: 'https://docs.x.com/x-api/usage/get-usage', method: 'GET', url: 'https://api.x.com/2/usage/tweets', headers: bearer('bearer_token') },
  openrouter: { docs: 'https://openrouter.ai/docs/api-reference/limits', method: 'GET', url: 'https://openrouter.ai/api/v1/key', headers: bearer('api_key') },
  threads: {
    docs: 'https://developers.facebook.com/docs/threads/threads-profiles',
    method: 'GET',
    url: 'https://graph.threads.net/v1.0/me?fields=id',
    headers: bearer('access_token'),
  },
  // One video (cost: 1 quota unit); Google APIs take the key in the x-goog-api-key header, kept out of the URL.
  // An invalid key is a 400 (keyInvalid).
  youtube: {
    docs: 'https://developers.google.com/youtube/v3/docs/videos/list',
    method: 'GET',
    url: 'https://www.googleapis.com/youtube/v3/videos?id=dQw4w9WgXcQ&part=id',
    headers: (f) => ({ 'x-goog-api-key': f.api_key! }),
    refusedStatuses: [400, 401, 403],
  },
  // Application-only OAuth (client credentials): a token grant proves the id and secret.
  reddit: {
    docs: 'https://github.com/reddit-archive/reddit/wiki/OAuth2#application-only-oauth',
    method: 'POST',
    url: 'https://www.reddit.com/api/v1/access_token',
    headers: (f) => ({ ...basic('client_id', 'client_secret')(f), 'user-agent': f.user_agent! }),
    form: () => ({ grant_type: 'client_credentials' }),
  },
  bluesky: {
    docs: 'https://docs.bsky.app/docs/api/com-atproto-server-create-session',
    method: 'POST',
    url: 'https://bsky.social/xrpc/com.atproto.server.createSession',
    json: (f) => ({ identifier: f.handle!, password: f.app_password! }),
  },
  // Gab runs Mastodon: verify_credentials answers the token's own account.
  gab: {
    docs: 'https://docs.joinmastodon.org/methods/accounts/#verify_credentials',
    method: 'GET',
    url: 'https://gab.com/api/v1/accounts/verify_credentials',
    headers: bearer('access_token'),
  },
  discord: {
    docs: 'https://discord.com/developers/docs/resources/user#get-current-user',
    method: 'GET',
    url: 'https://discord.com/api/v10/users/@me',
    headers: (f) => ({ authorization: `Bot ${f.bot_token}` }),
  },
  // The vault stores Twitch's client id and secret, not a token: the client credentials grant is the check
  // (token validation, GET /oauth2/validate, needs a token the vault does not hold).
  twitch: {
    docs: 'https://dev.twitch.tv/docs/authentication/getting-tokens-oauth/#client-credentials-grant-flow',
    method: 'POST',
    url: 'https://id.twitch.tv/oauth2/token',
    form: (f) => ({ client_id: f.client_id!, client_secret: f.client_secret!, grant_type: 'client_credentials' }),
    refusedStatuses: [400, 401, 403],
  },
};

interface ArenaSpec {
  readonly id: string;
  readonly label: string;
  /** The tiers this arena offers, each with the platforms it draws credentials from. */
  readonly tiers: Readonly<Partial<Record<Tier, readonly PlatformId[]>>>;
  /** True when at least one tier draws on a platform. */
  readonly needsCredentials: boolean;
}

const arena = <Id extends string>(id: Id, label: string, tiers: Partial<Record<Tier, readonly PlatformId[]>>): ArenaSpec & { id: Id } => ({
  id,
  label,
  tiers,
  needsCredentials: Object.values(tiers).some((ps) => ps.length > 0),
});

const ARENA_LIST = [
  arena('google_search', 'Google Search', { medium: ['serper'], premium: ['serpapi'] }),
  arena('google_autocomplete', 'Google Autocomplete', { free: [], medium: ['serper'], premium: ['serpapi'] }),
  arena('x_twitter', 'X / Twitter', { medium: ['twitterapi_io'], premium: ['x_twitter'] }),
  arena('facebook', 'Facebook', { medium: ['brightdata_facebook'] }),
  arena('instagram', 'Instagram', { medium: ['brightdata_instagram'] }),
  arena('ai_chat_search', 'AI chat search', { medium: ['openrouter'], premium: ['openrouter'] }),
  arena('event_registry', 'Event Registry (news)', { medium: ['event_registry'], premium: ['event_registry'] }),
  arena('majestic', 'Majestic (backlinks)', { premium: ['majestic'] }),
  arena('threads', 'Threads', { free: ['threads'] }),
  arena('youtube', 'YouTube', { free: ['youtube'] }),
  arena('reddit', 'Reddit', { free: ['reddit'] }),
  arena('tiktok', 'TikTok', { free: ['tiktok'] }),
  arena('telegram', 'Telegram', { free: ['telegram'] }),
  arena('bluesky', 'Bluesky', { free: ['bluesky'] }),
  arena('gab', 'Gab', { free: ['gab'] }),
  arena('discord', 'Discord', { free: ['discord'] }),
  arena('twitch', 'Twitch', { free: ['twitch'] }),
  arena('gdelt', 'GDELT', { free: [] }),
  arena('rss_feeds', 'RSS feeds', { free: [] }),
  arena('wikipedia', 'Wikipedia', { free: [] }),
  arena('common_crawl', 'Common Crawl', { free: [] }),
  arena('wayback', 'Wayback Machine', { free: [] }),
] as const;

export type ArenaId = (typeof ARENA_LIST)[number]['id'];

export const ARENAS: Readonly<Record<ArenaId, ArenaSpec>> = Object.freeze(Object.fromEntries(ARENA_LIST.map((a) => [a.id, a])) as Record<ArenaId, ArenaSpec>);
export const ARENA_IDS: readonly ArenaId[] = ARENA_LIST.map((a) => a.id);

const has = (o: object, k: string) => Object.hasOwn(o, k);

export function isTier(x: unknown): x is Tier {
  return typeof x === 'string' && (TIERS as readonly string[]).includes(x);
}

export function isPlatformId(x: unknown): x is PlatformId {
  return typeof x === 'string' && has(PLATFORMS, x);
}

export function isArenaId(x: unknown): x is ArenaId {
  return typeof x === 'string' && has(ARENAS, x);
}

export function getPlatform(id: string): PlatformSpec | undefined {
  return isPlatformId(id) ? PLATFORMS[id] : undefined;
}

export function getArena(id: string): ArenaSpec | undefined {
  return isArenaId(id) ? ARENAS[id] : undefined;
}

/** The tiers an arena offers, in TIERS order ([] for an unknown arena). */
export function arenaTiers(arenaId: string): Tier[] {
  const a = getArena(arenaId);
  return a ? TIERS.filter((t) => a.tiers[t] !== undefined) : [];
}

/** The platforms an arena tier draws credentials from ([] when keyless, unknown or not offered). */
export function platformsForArena(arenaId: string, tier: Tier): readonly PlatformId[] {
  return getArena(arenaId)?.tiers[tier] ?? [];
}
