/** The /admin/audit page: filters, newest-first table, cursor paging; the query is the API's (query.ts). */
import { Hono } from 'hono';
import type { AppEnv } from '../http/types.ts';
import { requireAdmin } from '../http/guards.ts';
import { renderPage } from '../ui/page.tsx';
import { listAuditEvents, type AuditEventView } from './repository.ts';
import { query } from '../schema/validate.ts';
import { AuditQuery, auditQueryString } from './query.ts';

export const auditPage = new Hono<AppEnv>();
auditPage.use('/admin/audit', requireAdmin());

function EventRow(props: { e: AuditEventView }) {
  const e = props.e;
  return (
    <tr>
      <td data-label="Time">
        <time datetime={e.at}>{e.at.slice(0, 19).replace('T', ' ')} UTC</time>
      </td>
      <td data-label="Actor">{e.actor}</td>
      <td data-label="Action">
        <code>{e.action}</code>
      </td>
      <td data-label="Target">{e.target ?? '—'}</td>
      <td data-label="IP">{e.ip ?? '—'}</td>
      <td data-label="Detail">
        <code>{e.detail ? JSON.stringify(e.detail) : ''}</code>
      </td>
    </tr>
  );
}

auditPage.get('/admin/audit', query<typeof AuditQuery, AppEnv>(AuditQuery), async (c) => {
  const q = c.req.valid('query');
  // The typed filters, as given, refill the form and carry over to the next page's link.
  const raw = c.req.query();
  const page = await listAuditEvents(c.var.db, q);
  const keep = { action: raw.action, actor: raw.actor, target: raw.target, from: raw.from, to: raw.to, limit: raw.limit };
  const input = (name: keyof typeof keep, label: string, hint?: string) => (
    <div>
      <label for={`a-${name}`}>{label}</label>
      <input id={`a-${name}`} name={name} value={keep[name] ?? ''} placeholder={hint} />
    </div>
  );
  return renderPage(
    c,
    'Audit log',
    <div>
      <h1>Audit log</h1>
      <p class="hint">Append-only: every credential change, verify, login and user change. Details never hold a secret.</p>
      <form method="get" action="/admin/audit" class="filters card" role="search" aria-label="Filter audit events">
        {input('action', 'Action', 'credential.* or credential.create')}
        {input('actor', 'Actor', 'user:1')}
        {input('target', 'Target', 'credential:42')}
        {input('from', 'From', '2026-01-31')}
        {input('to', 'To', '2026-02-28')}
        <button type="submit">Filter</button>
        <a href="/admin/audit">Clear</a>
      </form>
      {page.events.length === 0 ? (
        <p>No events match.</p>
      ) : (
        <div class="table-wrap">
          <table class="stack">
            <thead>
              <tr>
                <th scope="col">Time</th>
                <th scope="col">Actor</th>
                <th scope="col">Action</th>
                <th scope="col">Target</th>
                <th scope="col">IP</th>
                <th scope="col">Detail</th>
              </tr>
            </thead>
            <tbody>
              {page.events.map((e) => (
                <EventRow e={e} />
              ))}
            </tbody>
          </table>
        </div>
      )}
      <nav class="actions" aria-label="Pages">
        {q.before !== undefined && <a href={`/admin/audit${auditQueryString(keep)}`}>Newest</a>}
        {page.next_before !== null && <a href={`/admin/audit${auditQueryString({ ...keep, before: String(page.next_before) })}`}>Older →</a>}
      </nav>
    </div>,
  );
});
