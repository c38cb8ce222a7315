/**
 * The credential API's inputs as schemas, described once: the JSON bodies and
 * the list query of /api/credentials, which the pages (forms.tsx) and the
 * import script reuse, so every entry point accepts exactly the same input.
 * Unknown keys are refused (a typo such as `"dailyQuota"` is a 422, not a
 * silently ignored setting); every problem is listed.
 *
 * Limits: credential_name 1–120 characters, one line; notes up to 2,000
 * characters (line breaks allowed), empty → null; quotas a whole number
 * 1–1,000,000,000 or null (= unlimited); max_leases (concurrent pool leases)
 * 1–100, default 1; sharing (may the pool grant shared leases) `allowed`
 * (default) or `never`; expires_at (the held token's expiry) an ISO 8601
 * time or null; list limit 1–200 (default 50), offset ≥ 0. A platform's
 * tiers and fields come from the arena registry (fields.ts).
 *
 * @example
 *   api.post('/', json(NewCredentialBody), (c) => store.create(c.req.valid('json')));
 */
import * as v from 'valibot';
import { PLATFORMS, PLATFORM_IDS, TIERS, isPlatformId, isTier, type PlatformId, type PlatformSpec, type Tier } from '../arenas/registry.ts';
import { booleanish, intRange, isoTime, paging, singleLine, strict } from '../schema/types.ts';
import { DEFAULT_SHARING, SHARING_SETTINGS, type Sharing } from './sharing.ts';
import { isMultiLineText, MULTI_LINE_MESSAGE } from '../schema/text.ts';
import { CREDENTIAL_FIELDS, isPlainObject, type CredentialFields } from './fields.ts';

export const NAME_MAX = 120;
export const NOTES_MAX = 2000;
const QUOTA_MAX = 1_000_000_000;
const MAX_LEASES_MAX = 100;
const LIST_LIMIT_DEFAULT = 50;
const LIST_LIMIT_MAX = 200;

const PLATFORM_MESSAGE = 'must be a platform from the arena registry';
const TIER_MESSAGE = `must be one of ${TIERS.join(', ')}`;

const Name = singleLine(NAME_MAX);
const Quota = v.pipe(v.nullable(intRange(1, QUOTA_MAX)), v.description('null = unlimited'));
const Notes = v.pipe(
  v.nullable(
    v.pipe(
      v.string('must be a string or null'),
      v.trim(),
      v.check(isMultiLineText, MULTI_LINE_MESSAGE),
      v.maxLength(NOTES_MAX, `must be at most ${NOTES_MAX} characters`),
      v.transform((s) => (s === '' ? null : s)),
    ),
  ),
  v.description('Free text; an empty string is stored as null.'),
);
const MaxLeases = v.pipe(intRange(1, MAX_LEASES_MAX), v.description('How many collector tasks may lease the credential at once.'));
const SharingSetting = v.pipe(
  v.picklist(SHARING_SETTINGS, `must be one of ${SHARING_SETTINGS.join(', ')}`),
  v.description('allowed: the pool may grant shared leases; never: every lease is exclusive (a provider that bans concurrent use).'),
);
const ExpiresAt = v.pipe(v.nullable(isoTime(false)), v.description("The held token's expiry (ISO 8601; UTC when no offset is given), or null."));

/** The settings every new credential has, whatever its platform. */
const settings = {
  credential_name: Name,
  daily_quota: v.optional(Quota, null),
  monthly_quota: v.optional(Quota, null),
  notes: v.optional(Notes, null),
  max_leases: v.optional(MaxLeases, 1),
  sharing: v.optional(SharingSetting, DEFAULT_SHARING),
  expires_at: v.optional(ExpiresAt, null),
};

/** One of `platform`'s tiers; a tier it lacks is named with the ones it has. */
function tierOf(platform: PlatformSpec) {
  return v.picklist(platform.tiers, (issue) => {
    if (issue.input === undefined) return 'is required';
    return isTier(issue.input) ? `${platform.id} has no ${issue.input} tier (it has ${platform.tiers.join(', ')})` : TIER_MESSAGE;
  });
}

/** The create body of one platform: its tiers, its fields. */
function newCredentialOf(id: PlatformId) {
  return strict({ platform: v.literal(id), tier: tierOf(PLATFORMS[id]), ...settings, fields: CREDENTIAL_FIELDS[id] });
}

const byPlatform = v.variant('platform', PLATFORM_IDS.map(newCredentialOf), PLATFORM_MESSAGE);

/**
 * Without a registry platform the variant above can only say that; this
 * checks the rest too, so that every problem is still listed.
 */
const withoutPlatform = strict({
  platform: v.picklist(PLATFORM_IDS, PLATFORM_MESSAGE),
  tier: v.picklist(TIERS, TIER_MESSAGE),
  ...settings,
  fields: v.record(v.string(), v.unknown(), 'must be an object'),
});

/**
 * `POST /api/credentials`: one strict object per registry platform (a variant
 * on `platform`, which is also what the OpenAPI document shows), and the
 * platform-independent checks when `platform` names none.
 */
const NewCredentialBodyShape: typeof byPlatform = {
  ...byPlatform,
  '~run'(dataset, config) {
    const platform = isPlainObject(dataset.value) ? dataset.value.platform : undefined;
    return isPlatformId(platform) ? byPlatform['~run'](dataset, config) : (withoutPlatform['~run'](dataset, config) as never);
  },
};

export interface NewCredentialInput {
  platform: PlatformId;
  tier: Tier;
  credentialName: string;
  fields: CredentialFields;
  dailyQuota: number | null;
  monthlyQuota: number | null;
  notes: string | null;
  maxLeases: number;
  sharing: Sharing;
  expiresAt: number | null;
}

export const NewCredentialBody = v.pipe(
  NewCredentialBodyShape,
  v.transform(
    (b): NewCredentialInput => ({
      platform: b.platform,
      tier: b.tier as Tier,
      credentialName: b.credential_name,
      fields: b.fields as CredentialFields,
      dailyQuota: b.daily_quota,
      monthlyQuota: b.monthly_quota,
      notes: b.notes,
      maxLeases: b.max_leases,
      sharing: b.sharing,
      expiresAt: b.expires_at,
    }),
  ),
);

const CANNOT_CHANGE = 'cannot be changed; create a new credential instead';
const PATCH_KEYS = ['credential_name', 'daily_quota', 'monthly_quota', 'notes', 'max_leases', 'sharing', 'expires_at'] as const;

/** `PATCH /api/credentials/:id`: name, quotas, notes, max_leases, sharing, expires_at; secrets, platform, tier and activity have their own routes. */
export const CredentialPatchBody = v.pipe(
  strict({
    credential_name: v.optional(Name),
    daily_quota: v.optional(Quota),
    monthly_quota: v.optional(Quota),
    notes: v.optional(Notes),
    max_leases: v.optional(MaxLeases),
    sharing: v.optional(SharingSetting),
    expires_at: v.optional(ExpiresAt),
    fields: v.optional(v.never('cannot be changed with PATCH; use PUT /api/credentials/:id/secret')),
    platform: v.optional(v.never(CANNOT_CHANGE)),
    tier: v.optional(v.never(CANNOT_CHANGE)),
    is_active: v.optional(v.never('use POST /api/credentials/:id/activate or /deactivate')),
  }),
  v.check((b) => PATCH_KEYS.some((k) => b[k] !== undefined), `give at least one of ${PATCH_KEYS.join(', ')}`),
  v.transform((b) => {
    const patch: CredentialPatch = {};
    if (b.credential_name !== undefined) patch.credentialName = b.credential_name;
    if (b.daily_quota !== undefined) patch.dailyQuota = b.daily_quota;
    if (b.monthly_quota !== undefined) patch.monthlyQuota = b.monthly_quota;
    if (b.notes !== undefined) patch.notes = b.notes;
    if (b.max_leases !== undefined) patch.maxLeases = b.max_leases;
    if (b.sharing !== undefined) patch.sharing = b.sharing;
    if (b.expires_at !== undefined) patch.expiresAt = b.expires_at;
    return patch;
  }),
);

export interface CredentialPatch {
  credentialName?: string;
  dailyQuota?: number | null;
  monthlyQuota?: number | null;
  notes?: string | null;
  maxLeases?: number;
  sharing?: Sharing;
  expiresAt?: number | null;
}

/**
 * `PUT /api/credentials/:id/secret`: `{fields}`, the complete new field set.
 * Which fields depends on the stored row's platform, so the store checks them
 * with that platform's schema (`validateCredentialFields`).
 */
export const SecretBody = strict({
  fields: v.pipe(
    v.record(v.string(), v.unknown(), "must be an object with the fields of the credential's platform"),
    v.description("The complete field set of the credential's platform, as in POST /api/credentials."),
  ),
});

/**
 * A filter of a query string: one of `options`, or absent or empty for "any"
 * (undefined). A picklist with the empty string, so the document lists the options.
 */
function anyOr<const T extends readonly string[]>(options: T, message: string) {
  return v.optional(
    v.pipe(
      v.picklist(['', ...options], message),
      v.transform((s) => (s === '' ? undefined : (s as T[number]))),
    ),
  );
}

/** `GET /api/credentials?platform=&tier=&active=&limit=&offset=`; empty values mean "any". */
export const CredentialListQuery = strict({
  platform: anyOr(PLATFORM_IDS, PLATFORM_MESSAGE),
  tier: anyOr(TIERS, TIER_MESSAGE),
  active: v.optional(
    v.pipe(
      v.string(),
      v.transform((s): unknown => (s === '' ? undefined : s)),
      v.optional(booleanish),
    ),
  ),
  ...paging(LIST_LIMIT_MAX, LIST_LIMIT_DEFAULT),
});

export type CredentialListQuery = v.InferOutput<typeof CredentialListQuery>;
