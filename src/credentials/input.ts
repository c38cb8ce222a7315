/**
 * Validates the JSON bodies and query strings of the credential REST API
 * (and the page forms, which are turned into the same shapes). Pure: every
 * rule is here, the routes only call these. Unknown keys are refused so a
 * typo (`"dailyQuota"`) is a 422, not a silently ignored setting.
 *
 * Limits: credential_name 1–120 characters, one line; notes up to 2,000
 * characters (line breaks allowed), empty → null; quotas a whole number
 * 1–1,000,000,000 or null (= unlimited); max_leases (concurrent pool leases)
 * 1–100, default 1; list limit 1–200 (default 50), offset ≥ 0.
 */
import { PLATFORMS, isPlatformId, isTier, TIERS, type PlatformId, type Tier } from '../arenas/registry.ts';
import { VaultError } from '../errors.ts';
import { credentialFieldProblems, isPlainObject, type CredentialFields } from './fields.ts';
import { validationError, type FieldProblem } from '../schema/problems.ts';
import { multiLineProblem, singleLineProblem } from '../schema/text.ts';
import { intQueryParam } from '../schema/paging.ts';

export const NAME_MAX = 120;
export const NOTES_MAX = 2000;
export const QUOTA_MAX = 1_000_000_000;
export const MAX_LEASES_MAX = 100;
export const LIST_LIMIT_DEFAULT = 50;
export const LIST_LIMIT_MAX = 200;

export interface NewCredentialInput {
  platform: PlatformId;
  tier: Tier;
  credentialName: string;
  fields: CredentialFields;
  dailyQuota: number | null;
  monthlyQuota: number | null;
  notes: string | null;
  maxLeases: number;
}

export interface CredentialPatch {
  credentialName?: string;
  dailyQuota?: number | null;
  monthlyQuota?: number | null;
  notes?: string | null;
  maxLeases?: number;
}

export interface CredentialListQuery {
  platform?: PlatformId;
  tier?: Tier;
  active?: boolean;
  limit: number;
  offset: number;
}

const CREATE_KEYS = ['platform', 'tier', 'credential_name', 'fields', 'daily_quota', 'monthly_quota', 'notes', 'max_leases'];
const PATCH_KEYS = ['credential_name', 'daily_quota', 'monthly_quota', 'notes', 'max_leases'];

function unknownKeys(body: Record<string, unknown>, allowed: string[], problems: FieldProblem[], why?: Record<string, string>) {
  for (const k of Object.keys(body)) {
    if (!allowed.includes(k)) problems.push({ field: k, message: why?.[k] ?? `is not accepted here (allowed: ${allowed.join(', ')})` });
  }
}

function nameValue(v: unknown, problems: FieldProblem[]): string | undefined {
  if (typeof v !== 'string') return void problems.push({ field: 'credential_name', message: 'must be a string' });
  const s = v.trim();
  if (!s) return void problems.push({ field: 'credential_name', message: 'is required and must not be empty' });
  if (s.length > NAME_MAX) return void problems.push({ field: 'credential_name', message: `must be at most ${NAME_MAX} characters` });
  const line = singleLineProblem(s);
  if (line) return void problems.push({ field: 'credential_name', message: line });
  return s;
}

function quotaValue(field: string, v: unknown, problems: FieldProblem[]): number | null | undefined {
  if (v === null) return null;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > QUOTA_MAX) {
    return void problems.push({ field, message: `must be null (unlimited) or a whole number from 1 to ${QUOTA_MAX}` });
  }
  return v;
}

function maxLeasesValue(v: unknown, problems: FieldProblem[]): number | undefined {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > MAX_LEASES_MAX) {
    return void problems.push({ field: 'max_leases', message: `must be a whole number from 1 to ${MAX_LEASES_MAX}` });
  }
  return v;
}

function notesValue(v: unknown, problems: FieldProblem[]): string | null | undefined {
  if (v === null) return null;
  if (typeof v !== 'string') return void problems.push({ field: 'notes', message: 'must be a string or null' });
  const s = v.trim();
  if (s.length > NOTES_MAX) return void problems.push({ field: 'notes', message: `must be at most ${NOTES_MAX} characters` });
  const text = multiLineProblem(s);
  if (text) return void problems.push({ field: 'notes', message: text });
  return s === '' ? null : s;
}

/** `POST /api/credentials` body → a checked new credential, or 422. */
export function parseNewCredential(body: Record<string, unknown>): NewCredentialInput {
  const problems: FieldProblem[] = [];
  unknownKeys(body, CREATE_KEYS, problems);
  const platform = body.platform;
  if (!isPlatformId(platform)) {
    problems.push({ field: 'platform', message: typeof platform === 'string' ? `unknown platform "${platform.slice(0, 40)}"` : 'is required' });
  }
  const tier = body.tier;
  if (!isTier(tier)) problems.push({ field: 'tier', message: `must be one of ${TIERS.join(', ')}` });
  else if (isPlatformId(platform) && !PLATFORMS[platform].tiers.includes(tier)) {
    problems.push({ field: 'tier', message: `${platform} has no ${tier} tier (it has ${PLATFORMS[platform].tiers.join(', ')})` });
  }
  const credentialName = nameValue(body.credential_name, problems);
  if (isPlatformId(platform)) problems.push(...credentialFieldProblems(platform, body.fields));
  else if (!isPlainObject(body.fields)) problems.push({ field: 'fields', message: 'must be an object' });
  const dailyQuota = body.daily_quota === undefined ? null : quotaValue('daily_quota', body.daily_quota, problems);
  const monthlyQuota = body.monthly_quota === undefined ? null : quotaValue('monthly_quota', body.monthly_quota, problems);
  const notes = body.notes === undefined ? null : notesValue(body.notes, problems);
  const maxLeases = body.max_leases === undefined ? 1 : maxLeasesValue(body.max_leases, problems);
  if (problems.length) throw validationError(problems);
  const spec = PLATFORMS[platform as PlatformId];
  const raw = body.fields as Record<string, string>;
  return {
    platform: platform as PlatformId,
    tier: tier as Tier,
    credentialName: credentialName!,
    fields: Object.fromEntries(spec.fields.map((f) => [f.name, raw[f.name]!.trim()])),
    dailyQuota: dailyQuota ?? null,
    monthlyQuota: monthlyQuota ?? null,
    notes: notes ?? null,
    maxLeases: maxLeases ?? 1,
  };
}

/** `PATCH /api/credentials/:id` body → the changes, or 422 (secrets and platform are not patchable). */
export function parseCredentialPatch(body: Record<string, unknown>): CredentialPatch {
  const problems: FieldProblem[] = [];
  const redirect = 'cannot be changed with PATCH; use PUT /api/credentials/:id/secret';
  unknownKeys(body, PATCH_KEYS, problems, {
    fields: redirect,
    platform: 'cannot be changed; create a new credential instead',
    tier: 'cannot be changed; create a new credential instead',
    is_active: 'use POST /api/credentials/:id/activate or /deactivate',
  });
  const patch: CredentialPatch = {};
  if (body.credential_name !== undefined) patch.credentialName = nameValue(body.credential_name, problems);
  if (body.daily_quota !== undefined) patch.dailyQuota = quotaValue('daily_quota', body.daily_quota, problems);
  if (body.monthly_quota !== undefined) patch.monthlyQuota = quotaValue('monthly_quota', body.monthly_quota, problems);
  if (body.notes !== undefined) patch.notes = notesValue(body.notes, problems);
  if (body.max_leases !== undefined) patch.maxLeases = maxLeasesValue(body.max_leases, problems);
  if (!problems.length && Object.keys(patch).length === 0) {
    problems.push({ field: 'body', message: `give at least one of ${PATCH_KEYS.join(', ')}` });
  }
  if (problems.length) throw validationError(problems);
  return patch;
}

/** `PUT /api/credentials/:id/secret` body `{fields}` → the full new field set, or 422. */
export function parseSecretReplacement(platform: string, body: Record<string, unknown>): CredentialFields {
  const problems: FieldProblem[] = [];
  unknownKeys(body, ['fields'], problems);
  problems.push(...credentialFieldProblems(platform, body.fields));
  if (problems.length) throw validationError(problems);
  const spec = PLATFORMS[platform as PlatformId];
  const raw = body.fields as Record<string, string>;
  return Object.fromEntries(spec.fields.map((f) => [f.name, raw[f.name]!.trim()]));
}

/** `GET /api/credentials?platform=&tier=&active=&limit=&offset=` → filters, or 422. Empty values mean "any". */
export function parseCredentialListQuery(q: Record<string, string | undefined>): CredentialListQuery {
  const problems: FieldProblem[] = [];
  const out: CredentialListQuery = { limit: LIST_LIMIT_DEFAULT, offset: 0 };
  if (q.platform) {
    if (isPlatformId(q.platform)) out.platform = q.platform;
    else problems.push({ field: 'platform', message: 'unknown platform' });
  }
  if (q.tier) {
    if (isTier(q.tier)) out.tier = q.tier;
    else problems.push({ field: 'tier', message: `must be one of ${TIERS.join(', ')}` });
  }
  if (q.active) {
    if (/^(true|1|yes)$/i.test(q.active)) out.active = true;
    else if (/^(false|0|no)$/i.test(q.active)) out.active = false;
    else problems.push({ field: 'active', message: 'must be true or false' });
  }
  out.limit = intQueryParam('limit', q.limit, { min: 1, max: LIST_LIMIT_MAX, default: LIST_LIMIT_DEFAULT }, problems);
  out.offset = intQueryParam('offset', q.offset, { min: 0, max: Number.MAX_SAFE_INTEGER, default: 0 }, problems);
  if (problems.length) throw validationError(problems);
  return out;
}

/** A path id → a positive integer, or 404 (an id that cannot exist is simply unknown). */
export function parseCredentialId(raw: string): number {
  if (!/^[1-9][0-9]{0,15}$/.test(raw) || !Number.isSafeInteger(Number(raw))) {
    throw new VaultError('NOT_FOUND', 'No credential with that id.');
  }
  return Number(raw);
}
