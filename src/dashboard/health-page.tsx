/**
 * The arena health page, /admin/health (issue 23): the dashboard an admin
 * opens first (first in the admin navigation). It shows
 * - the open alerts (alerts/store.ts `listOpenAlerts`);
 * - every platform/tier with credentials: usable, leased, cooling-down and
 *   quota-exhausted counts, judged by the same code and from the same reads
 *   as GET /api/arenas/health (health/data.ts `loadArenaHealthInput`,
 *   health/arenas.ts `platformTierCounts`);
 * - per platform/tier, a plot of units per day over 30 days against the sum
 *   of the active credentials' daily quotas (when every one has a quota);
 * - the last live check of each credential (checks/store.ts).
 * Admins only; no field value, no script. It lives in dashboard/, above
 * health/ and alerts/, because alerts read health's facts: a page in health/
 * showing alerts would close a health <-> alerts circle.
 */
import { Hono } from 'hono';
import type { AppEnv } from '../http/types.ts';
import { requireAdmin } from '../http/guards.ts';
import { renderPage } from '../ui/page.tsx';
import { formatTime } from '../ui/form-action.ts';
import { listOpenAlerts } from '../alerts/store.ts';
import { lastChecks } from '../checks/store.ts';
import { allUsageDaysSince } from '../pool/usage-days-store.ts';
import { DEFAULT_USAGE_DAYS, fillDays, utcDayBefore } from '../usage/history.ts';
import { UsagePlot } from '../usage/plot.tsx';
import { CheckSummary } from '../usage/credential-page.tsx';
import { loadArenaHealthInput } from '../health/data.ts';
import { platformTierCounts } from '../health/arenas.ts';

export const healthPageRoutes = new Hono<AppEnv>();
healthPageRoutes.use('/admin/health', requireAdmin());

/** Sum of the active rows' daily quotas, or null when any active row has none (no line to draw). */
export function groupQuota(rows: readonly { is_active: number | boolean; daily_quota: number | null }[]): number | null {
  const active = rows.filter((r) => r.is_active);
  if (!active.length || active.some((r) => r.daily_quota === null)) return null;
  return active.reduce((s, r) => s + r.daily_quota!, 0);
}

healthPageRoutes.get('/admin/health', async (c) => {
  const now = Date.now();
  const [{ input, poolState }, alerts, checks, usage] = await Promise.all([
    loadArenaHealthInput(c.env, c.var.config.credentialKeys, false),
    listOpenAlerts(c.env.DB),
    lastChecks(c.env.DB, null),
    allUsageDaysSince(c.env.DB, utcDayBefore(now, DEFAULT_USAGE_DAYS - 1)),
  ]);
  const groups = platformTierCounts(input);
  const byId = new Map(input.rows.map((r) => [r.id, r]));
  return renderPage(
    c,
    'Arena health',
    <div>
      <h1>Arena health</h1>
      {!poolState && (
        <div class="notice error" role="alert">
          The credential pool cannot be reached: the counts below leave out leases, cooldowns and quota use.
        </div>
      )}
      <section aria-labelledby="alerts-heading">
        <h2 id="alerts-heading">Open alerts ({alerts.length})</h2>
        {alerts.length === 0 ? (
          <p>No open alerts.</p>
        ) : (
          <ul class="alerts">
            {alerts.map((a) => (
              <li>
                <span class={`badge ${a.severity === 'critical' ? 'err' : 'warn'}`}>{a.severity}</span> <code>{a.kind}</code> {a.subject}: {a.summary}{' '}
                <span class="hint">(since {formatTime(a.openedAt)})</span>
              </li>
            ))}
          </ul>
        )}
      </section>
      <section aria-labelledby="platforms-heading">
        <h2 id="platforms-heading">Credentials per platform and tier</h2>
        {groups.length === 0 ? (
          <p>No credentials yet.</p>
        ) : (
          <div class="table-wrap">
            <table class="stack">
              <caption>Credentials per platform and tier, now</caption>
              <thead>
                <tr>
                  <th scope="col">Platform</th>
                  <th scope="col">Tier</th>
                  <th scope="col">Active</th>
                  <th scope="col">Usable</th>
                  <th scope="col">Leased</th>
                  <th scope="col">Cooling down</th>
                  <th scope="col">Quota exhausted</th>
                </tr>
              </thead>
              <tbody>
                {groups.map((g) => (
                  <tr>
                    <th scope="row" data-label="Platform">
                      {g.platform}
                    </th>
                    <td data-label="Tier">{g.tier}</td>
                    <td data-label="Active">{g.credentials.active}</td>
                    <td data-label="Usable">{g.credentials.usable_now}</td>
                    <td data-label="Leased">{g.credentials.leased}</td>
                    <td data-label="Cooling down">{g.credentials.cooling_down}</td>
                    <td data-label="Quota exhausted">{g.credentials.quota_exhausted}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
      <section aria-labelledby="plots-heading">
        <h2 id="plots-heading">Daily use per platform and tier, last {DEFAULT_USAGE_DAYS} days</h2>
        {groups.map((g) => {
          const ids = new Set(g.ids);
          const days = fillDays(
            usage.filter((u) => ids.has(u.credentialId)),
            DEFAULT_USAGE_DAYS,
            now,
          );
          const quota = groupQuota(g.ids.map((i) => byId.get(i)!));
          return <UsagePlot id={`plot-${g.platform}-${g.tier}`} title={`Units per day: ${g.platform} ${g.tier}`} days={days} quota={quota} />;
        })}
      </section>
      <section aria-labelledby="checks-heading">
        <h2 id="checks-heading">Last check with provider</h2>
        {input.rows.length === 0 ? (
          <p>No credentials yet.</p>
        ) : (
          <div class="table-wrap">
            <table class="stack">
              <caption>The last live check of each credential</caption>
              <thead>
                <tr>
                  <th scope="col">Credential</th>
                  <th scope="col">Platform</th>
                  <th scope="col">Tier</th>
                  <th scope="col">Last check</th>
                </tr>
              </thead>
              <tbody>
                {input.rows.map((r) => (
                  <tr>
                    <th scope="row" data-label="Credential">
                      <a href={`/admin/credentials/${r.id}`}>{r.credential_name}</a>
                    </th>
                    <td data-label="Platform">{r.platform}</td>
                    <td data-label="Tier">{r.tier}</td>
                    <td data-label="Last check">
                      <CheckSummary check={checks.get(r.id)} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
    </div>,
  );
});
