/**
 * The /admin/credentials table: filters (a plain GET form), one row per
 * credential with its key status and masked fields, per-row actions as small
 * POST forms (each with the CSRF field), and previous/next paging links.
 * Everything shown goes through hono/jsx, which escapes it.
 */
import { PLATFORM_IDS, PLATFORMS, TIERS } from '../arenas/registry.ts';
import { CsrfField } from '../ui/layout.tsx';
import type { CredentialListQuery } from './input.ts';
import { describeMaskedField } from './masking.ts';
import type { CredentialView } from './view.ts';

interface CredentialListPage {
  credentials: CredentialView[];
  total: number;
  limit: number;
  offset: number;
}

/** `/admin/credentials?…` for a query (empty filters left out). */
function listHref(q: Partial<CredentialListQuery>): string {
  const params = new URLSearchParams();
  if (q.platform) params.set('platform', q.platform);
  if (q.tier) params.set('tier', q.tier);
  if (q.active !== undefined) params.set('active', String(q.active));
  if (q.offset) params.set('offset', String(q.offset));
  const s = params.toString();
  return s ? `/admin/credentials?${s}` : '/admin/credentials';
}

function shortTime(isoTime: string | null): string {
  return isoTime ? `${isoTime.slice(0, 16).replace('T', ' ')} UTC` : '—';
}

export function KeyStatusBadge(props: { view: CredentialView }) {
  const v = props.view;
  switch (v.key_status) {
    case 'current':
      return <span class="badge ok">current key</span>;
    case 'previous':
      return (
        <span class="badge warn" title={`key ${v.key_id}`}>
          previous key
        </span>
      );
    case 'missing_key':
      return <span class="badge err">undecryptable: key {v.key_id} missing</span>;
    default:
      return <span class="badge err">undecryptable</span>;
  }
}

/** An audit actor of the pool (`api_key:N`, `service_binding`) as a page names it. */
function collectorLabel(actor: string | null): string {
  // api_key:<key prefix> (auth/api-keys.ts apiKeyActor): the prefix the API-keys page lists, never reused.
  const key = /^api_key:([A-Za-z0-9_-]+)$/.exec(actor ?? '');
  if (key) return `collector key ${key[1]}`;
  return actor === 'service_binding' ? 'the service binding (RPC)' : (actor ?? 'a collector');
}

/** Sharing, token expiry and the last update of the fields by a collector (issue 21), as the list and the edit page show them. */
export function PoolFacts(props: { view: CredentialView }) {
  const v = props.view;
  return (
    <div class="hint">
      <div>
        Leases: up to {v.max_leases} exclusive{v.sharing === 'never' ? '; shared leases never (every lease is exclusive)' : '; shared leases allowed'}
      </div>
      {v.expires_at && <div>Token expires at {shortTime(v.expires_at)}</div>}
      {v.fields_updated_at && (
        <div>
          Fields updated by {collectorLabel(v.fields_updated_by)} at {shortTime(v.fields_updated_at)}
        </div>
      )}
    </div>
  );
}

function ActionButton(props: { id: number; action: string; label: string; csrf: string; back: string; danger?: boolean }) {
  return (
    <form method="post" action={`/admin/credentials/${props.id}/${props.action}`} class="inline">
      <CsrfField token={props.csrf} />
      <input type="hidden" name="back" value={props.back} />
      <button type="submit" class={props.danger ? 'danger' : 'secondary'}>
        {props.label}
      </button>
    </form>
  );
}

function Row(props: { v: CredentialView; csrf: string; back: string }) {
  const { v, csrf, back } = props;
  return (
    <tr>
      <td>
        <strong>
          <a href={`/admin/credentials/${v.id}`}>{v.credential_name}</a>
        </strong>
        <div class="hint">
          {v.fields ? Object.entries(v.fields).map(([, f]) => <div>{describeMaskedField({ name: '', ...f })}</div>) : 'fields unreadable'}
          {v.notes && <div>Notes: {v.notes}</div>}
        </div>
        <PoolFacts view={v} />
      </td>
      <td data-label="Platform">{v.platform}</td>
      <td data-label="Tier">{v.tier}</td>
      <td data-label="Active">{v.is_active ? <span class="badge ok">active</span> : <span class="badge">inactive</span>}</td>
      <td data-label="Key status">
        <KeyStatusBadge view={v} />
      </td>
      <td data-label="Errors">{v.error_count}</td>
      <td data-label="Last used">{shortTime(v.last_used_at)}</td>
      <td data-label="Last error">{shortTime(v.last_error_at)}</td>
      <td data-label="Actions">
        <div class="actions">
          <a class="button secondary" href={`/admin/credentials/${v.id}/secret`}>
            Replace secret
          </a>
          <a class="button secondary" href={`/admin/credentials/${v.id}/edit`}>
            Edit
          </a>
          {v.is_active ? (
            <ActionButton id={v.id} action="deactivate" label="Deactivate" csrf={csrf} back={back} />
          ) : (
            <ActionButton id={v.id} action="activate" label="Activate" csrf={csrf} back={back} />
          )}
          <ActionButton id={v.id} action="reset-errors" label="Reset errors" csrf={csrf} back={back} />
          <ActionButton id={v.id} action="verify" label="Verify" csrf={csrf} back={back} />
          <a class="button secondary" href={`/admin/credentials/${v.id}/delete`}>
            Delete…
          </a>
        </div>
      </td>
    </tr>
  );
}

function Filters(props: { q: CredentialListQuery }) {
  const q = props.q;
  return (
    <form method="get" action="/admin/credentials" class="filters card" role="search" aria-label="Filter credentials">
      <div>
        <label for="f-platform">Platform</label>
        <select id="f-platform" name="platform">
          <option value="">any</option>
          {PLATFORM_IDS.map((p) => (
            <option value={p} selected={q.platform === p}>
              {PLATFORMS[p].label}
            </option>
          ))}
        </select>
      </div>
      <div>
        <label for="f-tier">Tier</label>
        <select id="f-tier" name="tier">
          <option value="">any</option>
          {TIERS.map((t) => (
            <option value={t} selected={q.tier === t}>
              {t}
            </option>
          ))}
        </select>
      </div>
      <div>
        <label for="f-active">Active</label>
        <select id="f-active" name="active">
          <option value="">any</option>
          <option value="true" selected={q.active === true}>
            active
          </option>
          <option value="false" selected={q.active === false}>
            inactive
          </option>
        </select>
      </div>
      <button type="submit">Filter</button>
      <a href="/admin/credentials">Clear</a>
    </form>
  );
}

export function CredentialListView(props: { page: CredentialListPage; q: CredentialListQuery; csrf: string }) {
  const { page, q, csrf } = props;
  const back = listHref(q);
  const from = page.total === 0 ? 0 : page.offset + 1;
  const to = page.offset + page.credentials.length;
  return (
    <div>
      <h1>Credentials</h1>
      <p>
        <a class="button" href="/admin/credentials/new">
          Add credential
        </a>
      </p>
      <Filters q={q} />
      <p aria-live="polite">{page.total === 0 ? 'No credentials match.' : `Showing ${from}–${to} of ${page.total}.`}</p>
      {page.credentials.length > 0 && (
        <div class="table-wrap">
          <table class="stack">
            <caption class="hint">API credentials, encrypted at rest</caption>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Platform</th>
                <th scope="col">Tier</th>
                <th scope="col">Active</th>
                <th scope="col">Key status</th>
                <th scope="col">Errors</th>
                <th scope="col">Last used</th>
                <th scope="col">Last error</th>
                <th scope="col">Actions</th>
              </tr>
            </thead>
            <tbody>
              {page.credentials.map((v) => (
                <Row v={v} csrf={csrf} back={back} />
              ))}
            </tbody>
          </table>
        </div>
      )}
      <nav class="actions" aria-label="Pages">
        {page.offset > 0 && <a href={listHref({ ...q, offset: Math.max(0, page.offset - page.limit) })}>← Previous</a>}
        {to < page.total && <a href={listHref({ ...q, offset: to })}>Next →</a>}
      </nav>
    </div>
  );
}
