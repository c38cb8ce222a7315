/**
 * The credential forms (add, replace secret, edit) and the functions that turn
 * their posted values into the same bodies the REST API validates, so pages
 * and REST share every rule. Field inputs come from the arena registry:
 * secret fields are `type=password autocomplete=off` and are never echoed
 * back into a re-rendered form; non-secret fields keep what was typed.
 */
import type { PlatformSpec } from '../arenas/registry.ts';
import { CsrfField } from '../ui/layout.tsx';

export type FormBody = Record<string, string | File | (string | File)[]>;

/** A posted text value ('' when absent or not text). */
export function formText(form: FormBody, name: string): string {
  const v = form[name];
  return typeof v === 'string' ? v : '';
}

const FIELD_PREFIX = 'field_';

/** '' → null (unlimited); digits → number; anything else is passed on for the validator to name. */
function quotaFromForm(v: string): number | null | string {
  const s = v.trim();
  if (s === '') return null;
  return /^[0-9]{1,12}$/.test(s) ? Number(s) : s;
}

export function fieldsFromForm(platform: PlatformSpec, form: FormBody): Record<string, string> {
  return Object.fromEntries(platform.fields.map((f) => [f.name, formText(form, FIELD_PREFIX + f.name)]));
}

/** '' → the default; digits → number; anything else is passed on for the validator to name. */
function maxLeasesFromForm(v: string): number | string | undefined {
  const s = v.trim();
  if (s === '') return undefined;
  return /^[0-9]{1,6}$/.test(s) ? Number(s) : s;
}

export function newCredentialBodyFromForm(platform: PlatformSpec, form: FormBody): Record<string, unknown> {
  return {
    platform: platform.id,
    tier: formText(form, 'tier'),
    credential_name: formText(form, 'credential_name'),
    fields: fieldsFromForm(platform, form),
    daily_quota: quotaFromForm(formText(form, 'daily_quota')),
    monthly_quota: quotaFromForm(formText(form, 'monthly_quota')),
    notes: formText(form, 'notes'),
    max_leases: maxLeasesFromForm(formText(form, 'max_leases')),
  };
}

export function patchBodyFromForm(form: FormBody): Record<string, unknown> {
  return {
    credential_name: formText(form, 'credential_name'),
    daily_quota: quotaFromForm(formText(form, 'daily_quota')),
    monthly_quota: quotaFromForm(formText(form, 'monthly_quota')),
    notes: formText(form, 'notes'),
    max_leases: maxLeasesFromForm(formText(form, 'max_leases')),
  };
}

/** Inputs for a platform's fields. `values` refills non-secret fields only. */
export function FieldInputs(props: { platform: PlatformSpec; values?: FormBody }) {
  return (
    <fieldset>
      <legend>{props.platform.label} credential fields</legend>
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
              value={!f.secret && props.values ? formText(props.values, id) : undefined}
              aria-describedby={`${id}_hint`}
            />
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
}

/** Name, quotas and notes (shared by add and edit). */
export function MetaInputs(props: { values: MetaValues }) {
  const v = props.values;
  return (
    <div>
      <label for="credential_name">Name</label>
      <input id="credential_name" name="credential_name" required maxlength={120} value={v.credential_name ?? ''} />
      <label for="daily_quota">Daily quota</label>
      <input id="daily_quota" name="daily_quota" inputmode="numeric" pattern="[0-9]*" value={v.daily_quota ?? ''} aria-describedby="quota_hint" />
      <label for="monthly_quota">Monthly quota</label>
      <input id="monthly_quota" name="monthly_quota" inputmode="numeric" pattern="[0-9]*" value={v.monthly_quota ?? ''} aria-describedby="quota_hint" />
      <div class="hint" id="quota_hint">Leave empty for unlimited.</div>
      <label for="max_leases">Concurrent leases</label>
      <input id="max_leases" name="max_leases" inputmode="numeric" pattern="[0-9]*" value={v.max_leases ?? '1'} aria-describedby="leases_hint" />
      <div class="hint" id="leases_hint">How many collector tasks may hold this credential at once (1–100; most API keys must not be shared, so 1).</div>
      <label for="notes">Notes</label>
      <textarea id="notes" name="notes" rows={3} maxlength={2000}>{v.notes ?? ''}</textarea>
    </div>
  );
}

export function NewCredentialForm(props: { platform: PlatformSpec; csrfToken: string; values?: FormBody }) {
  const p = props.platform;
  const chosenTier = props.values ? formText(props.values, 'tier') : '';
  const vals = props.values;
  return (
    <form method="post" action={`/admin/credentials/new?platform=${encodeURIComponent(p.id)}`} class="card">
      <CsrfField token={props.csrfToken} />
      <p>
        Platform: <strong>{p.label}</strong> (<code>{p.id}</code>) · <a href="/admin/credentials/new">choose another platform</a>
      </p>
      <label for="tier">Tier</label>
      <select id="tier" name="tier" required>
        {p.tiers.map((t) => (
          <option value={t} selected={t === chosenTier}>{t}</option>
        ))}
      </select>
      <MetaInputs
        values={{
          credential_name: vals ? formText(vals, 'credential_name') : '',
          daily_quota: vals ? formText(vals, 'daily_quota') : '',
          monthly_quota: vals ? formText(vals, 'monthly_quota') : '',
          notes: vals ? formText(vals, 'notes') : '',
          max_leases: vals ? formText(vals, 'max_leases') : '1',
        }}
      />
      <FieldInputs platform={p} values={vals} />
      <p class="actions">
        <button type="submit">Add credential</button>
        <a class="button secondary" href="/admin/credentials">Cancel</a>
      </p>
    </form>
  );
}
