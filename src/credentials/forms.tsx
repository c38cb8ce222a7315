/**
 * The credential forms (add, replace secret, edit, delete, row actions): their
 * inputs, and their schemas. A form posts strings; its schema maps them onto
 * the REST body and then parses that with the API's own schema (input.ts,
 * fields.ts), so pages and REST share every rule and every message, and a
 * refused form shows the API's per-field problems next to its inputs.
 * Field inputs come from the arena registry: secret fields are
 * `type=password autocomplete=off` and are never echoed back into a
 * re-rendered form; non-secret fields keep what was typed.
 */
import * as v from 'valibot';
import type { PlatformSpec, PlatformId } from '../arenas/registry.ts';
import { problemsText, type FieldProblem } from '../schema/problems.ts';
import { strict } from '../schema/types.ts';
import { CsrfField } from '../ui/layout.tsx';
import { CREDENTIAL_FIELDS } from './fields.ts';
import { CredentialPatchBody, NAME_MAX, NOTES_MAX, NewCredentialBody } from './input.ts';

/** A posted form, as schema/validate.ts reads it: name → string. */
export type FormValues = Record<string, string>;

const FIELD_PREFIX = 'field_';
const FormStrings = v.record(v.string(), v.string());

/** The input a problem belongs to: `fields.api_key` → `field_api_key`, `daily_quota` → `daily_quota`. */
function inputOf(field: string): string {
  return field.startsWith('fields.') ? FIELD_PREFIX + field.slice('fields.'.length) : field;
}

/** '' → null (unlimited); digits → number; anything else is passed on for the API schema to name. */
function quotaFromForm(s: string | undefined): number | null | string {
  const t = (s ?? '').trim();
  if (t === '') return null;
  return /^[0-9]{1,12}$/.test(t) ? Number(t) : t;
}

/** '' → absent (the default, or unchanged); digits → number; anything else is passed on. */
function maxLeasesFromForm(s: string | undefined): number | string | undefined {
  const t = (s ?? '').trim();
  if (t === '') return undefined;
  return /^[0-9]{1,6}$/.test(t) ? Number(t) : t;
}

/** '' → null (no expiry); anything else is passed on for the API schema to read or name. */
function expiresAtFromForm(s: string | undefined): string | null {
  const t = (s ?? '').trim();
  return t === '' ? null : t;
}

function fieldsFromForm(platform: PlatformSpec, form: FormValues): Record<string, string> {
  return Object.fromEntries(platform.fields.map((f) => [f.name, form[FIELD_PREFIX + f.name] ?? '']));
}

const settingsFromForm = (form: FormValues) => ({
  credential_name: form.credential_name ?? '',
  daily_quota: quotaFromForm(form.daily_quota),
  monthly_quota: quotaFromForm(form.monthly_quota),
  notes: form.notes ?? '',
  max_leases: maxLeasesFromForm(form.max_leases),
  sharing: form.sharing || undefined,
  expires_at: expiresAtFromForm(form.expires_at),
});

/** The add form of one platform → the `POST /api/credentials` body → `NewCredentialBody`. */
export function newCredentialForm(platform: PlatformSpec) {
  return v.pipe(
    FormStrings,
    v.transform((form): unknown => ({ platform: platform.id, tier: form.tier ?? '', ...settingsFromForm(form), fields: fieldsFromForm(platform, form) })),
    NewCredentialBody,
  );
}

/** The replace-secret form of one platform → `{fields}` checked with that platform's schema. */
export function secretForm(platform: PlatformSpec) {
  return v.pipe(
    FormStrings,
    v.transform((form): unknown => ({ fields: fieldsFromForm(platform, form) })),
    strict({ fields: CREDENTIAL_FIELDS[platform.id as PlatformId] }),
  );
}

/** The edit form → the `PATCH` body (every setting at once) → `CredentialPatchBody`. */
export const EditForm = v.pipe(
  FormStrings,
  v.transform((form): unknown => settingsFromForm(form)),
  CredentialPatchBody,
);

/** The delete confirmation: the box must be ticked. */
export const DeleteForm = v.object({ confirm: v.literal('yes', 'tick the confirmation box to delete') });

/** The row-action buttons: only where to return to (the filtered list). */
export const ActionForm = v.object({ back: v.optional(v.string(), '') });

/** "Not saved: field: message; …", every problem of a refused form. */
export function problemSummary(problems: FieldProblem[]): string {
  return `Not saved: ${problemsText(problems)}`;
}

/** The message for one input, shown under it, or nothing. */
function InputProblem(props: { name: string; problems?: FieldProblem[] }) {
  const p = props.problems?.find((x) => inputOf(x.field) === props.name);
  return p ? (
    <div class="notice error" id={`${props.name}_problem`}>
      {p.message}
    </div>
  ) : null;
}

const invalid = (name: string, problems?: FieldProblem[]) => (problems?.some((p) => inputOf(p.field) === name) ? 'true' : undefined);

/** Inputs for a platform's fields. `values` refills non-secret fields only. */
export function FieldInputs(props: { platform: PlatformSpec; values?: FormValues; problems?: FieldProblem[] }) {
  return (
    <fieldset>
      <legend>{props.platform.label} credential fields</legend>
      <InputProblem name="fields" problems={props.problems} />
      {props.platform.fields.map((f) => {
        const id = FIELD_PREFIX + f.name;
        return (
          <div>
            <label for={id}>{f.label}</label>
            <input
              id={id}
              name={id}
              type={f.secret ? 'password' : 'text'}
              autocomplete="off"
              spellcheck={false}
              required
              minlength={f.minLength}
              maxlength={f.maxLength}
              value={!f.secret && props.values ? (props.values[id] ?? '') : undefined}
              aria-invalid={invalid(id, props.problems)}
              aria-describedby={`${id}_hint`}
            />
            <InputProblem name={id} problems={props.problems} />
            <div class="hint" id={`${id}_hint`}>
              <code>{f.name}</code>
              {f.secret ? ' · secret: stored encrypted, never shown again' : ' · not secret: shown in the list'}
              {f.patternHint ? ` · ${f.patternHint}` : ''}
            </div>
          </div>
        );
      })}
    </fieldset>
  );
}

interface MetaValues {
  credential_name?: string;
  daily_quota?: string;
  monthly_quota?: string;
  notes?: string;
  max_leases?: string;
  sharing?: string;
  expires_at?: string;
}

/** Name, quotas, concurrent leases, sharing, token expiry and notes (shared by add and edit). */
export function MetaInputs(props: { values: MetaValues; problems?: FieldProblem[] }) {
  const { values: v, problems } = props;
  return (
    <div>
      <label for="credential_name">Name</label>
      <input
        id="credential_name"
        name="credential_name"
        required
        maxlength={NAME_MAX}
        value={v.credential_name ?? ''}
        aria-invalid={invalid('credential_name', problems)}
      />
      <InputProblem name="credential_name" problems={problems} />
      <label for="daily_quota">Daily quota</label>
      <input
        id="daily_quota"
        name="daily_quota"
        inputmode="numeric"
        pattern="[0-9]*"
        value={v.daily_quota ?? ''}
        aria-describedby="quota_hint"
        aria-invalid={invalid('daily_quota', problems)}
      />
      <InputProblem name="daily_quota" problems={problems} />
      <label for="monthly_quota">Monthly quota</label>
      <input
        id="monthly_quota"
        name="monthly_quota"
        inputmode="numeric"
        pattern="[0-9]*"
        value={v.monthly_quota ?? ''}
        aria-describedby="quota_hint"
        aria-invalid={invalid('monthly_quota', problems)}
      />
      <InputProblem name="monthly_quota" problems={problems} />
      <div class="hint" id="quota_hint">
        Leave empty for unlimited.
      </div>
      <label for="max_leases">Concurrent leases</label>
      <input
        id="max_leases"
        name="max_leases"
        inputmode="numeric"
        pattern="[0-9]*"
        value={v.max_leases ?? '1'}
        aria-describedby="leases_hint"
        aria-invalid={invalid('max_leases', problems)}
      />
      <InputProblem name="max_leases" problems={problems} />
      <div class="hint" id="leases_hint">
        How many collector tasks may hold this credential at once (1–100; most API keys must not be shared, so 1).
      </div>
      <label for="sharing">Shared leases</label>
      <select id="sharing" name="sharing" aria-describedby="sharing_hint" aria-invalid={invalid('sharing', problems)}>
        <option value="allowed" selected={(v.sharing ?? 'allowed') === 'allowed'}>
          allowed
        </option>
        <option value="never" selected={v.sharing === 'never'}>
          never
        </option>
      </select>
      <InputProblem name="sharing" problems={problems} />
      <div class="hint" id="sharing_hint">
        Collectors may ask for a shared lease, which ignores the limit above (the original platform's collectors share keys). Choose “never” for a provider that
        bans concurrent use: every lease is then exclusive.
      </div>
      <label for="expires_at">Token expires at</label>
      <input
        id="expires_at"
        name="expires_at"
        value={v.expires_at ?? ''}
        placeholder="2027-01-31T12:00:00Z"
        aria-describedby="expires_hint"
        aria-invalid={invalid('expires_at', problems)}
      />
      <InputProblem name="expires_at" problems={problems} />
      <div class="hint" id="expires_hint">
        ISO 8601, UTC unless an offset is given; empty for none. Informational (collectors that refresh tokens read and set it); the pool does not refuse an
        expired one.
      </div>
      <label for="notes">Notes</label>
      <textarea id="notes" name="notes" rows={3} maxlength={NOTES_MAX} aria-invalid={invalid('notes', problems)}>
        {v.notes ?? ''}
      </textarea>
      <InputProblem name="notes" problems={problems} />
    </div>
  );
}

export function NewCredentialForm(props: { platform: PlatformSpec; csrfToken: string; values?: FormValues; problems?: FieldProblem[] }) {
  const p = props.platform;
  const vals = props.values;
  return (
    <form method="post" action={`/admin/credentials/new?platform=${encodeURIComponent(p.id)}`} class="card">
      <CsrfField token={props.csrfToken} />
      <p>
        Platform: <strong>{p.label}</strong> (<code>{p.id}</code>) · <a href="/admin/credentials/new">choose another platform</a>
      </p>
      <label for="tier">Tier</label>
      <select id="tier" name="tier" required aria-invalid={invalid('tier', props.problems)}>
        {p.tiers.map((t) => (
          <option value={t} selected={t === vals?.tier}>
            {t}
          </option>
        ))}
      </select>
      <InputProblem name="tier" problems={props.problems} />
      <MetaInputs
        values={{
          credential_name: vals?.credential_name ?? '',
          daily_quota: vals?.daily_quota ?? '',
          monthly_quota: vals?.monthly_quota ?? '',
          notes: vals?.notes ?? '',
          max_leases: vals ? (vals.max_leases ?? '') : '1',
          sharing: vals?.sharing ?? 'allowed',
          expires_at: vals?.expires_at ?? '',
        }}
        problems={props.problems}
      />
      <FieldInputs platform={p} values={vals} problems={props.problems} />
      <p class="actions">
        <button type="submit">Add credential</button>
        <a class="button secondary" href="/admin/credentials">
          Cancel
        </a>
      </p>
    </form>
  );
}
