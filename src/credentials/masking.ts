/**
 * What a read may say about a credential's fields. Secret fields: that they
 * are set, their length class and, only for fields the registry marks as safe
 * to hint, the last 4 characters (and only when the value is at least 16
 * characters, so the hint is a small part of it). Non-secret fields (Reddit's
 * user_agent, OAuth client ids, a Bluesky handle) are shown in full.
 *
 * Length classes: `short` under 16 characters, `medium` 16–63, `long` 64 or more.
 */
import { getPlatform } from '../arenas/registry.ts';

type LengthClass = 'short' | 'medium' | 'long';

interface MaskedField {
  name: string;
  label: string;
  secret: boolean;
  set: boolean;
  /** Non-secret fields only. */
  value?: string;
  /** Secret fields only, when set. */
  length_class?: LengthClass;
  /** Hintable secret fields of 16+ characters only. */
  last4?: string;
}

const HINT_MIN_LENGTH = 16;

export function lengthClass(length: number): LengthClass {
  if (length < 16) return 'short';
  return length < 64 ? 'medium' : 'long';
}

/**
 * Masks a decrypted payload for display. Fields are listed in registry order;
 * a payload value that is not a string (an imported legacy row) is described
 * by its string form. Keys the registry does not know are left out.
 */
export function maskCredentialFields(platformId: string, payload: Record<string, unknown>): MaskedField[] {
  const platform = getPlatform(platformId);
  if (!platform) return [];
  return platform.fields.map((f) => {
    const raw = payload[f.name];
    const value = raw === undefined || raw === null ? '' : String(raw);
    const set = value.length > 0;
    const out: MaskedField = { name: f.name, label: f.label, secret: f.secret, set };
    if (!set) return out;
    if (!f.secret) out.value = value;
    else {
      out.length_class = lengthClass(value.length);
      if (f.hint && value.length >= HINT_MIN_LENGTH) out.last4 = value.slice(-4);
    }
    return out;
  });
}

/** One line per field for pages and logs-free summaries, e.g. `api_key: set, medium, …x9Q2`. */
export function describeMaskedField(f: MaskedField): string {
  if (!f.set) return `${f.label}: not set`;
  if (!f.secret) return `${f.label}: ${f.value}`;
  return `${f.label}: set, ${f.length_class}${f.last4 ? `, ends …${f.last4}` : ''}`;
}
