/**
 * The credential page (issue 23): GET /admin/credentials/:id shows the
 * credential's daily use against its quota line (usage/plot.tsx, the last 30
 * UTC days), its last live check, and the "Check with provider" button,
 * POST /admin/credentials/:id/check (Post/Redirect/Get, like the other
 * credential actions). Admins only. Never a field value.
 */
import { Hono } from 'hono';
import type { AppEnv } from '../http/types.ts';
import { requireAdmin } from '../http/guards.ts';
import { IdParams } from '../schema/types.ts';
import { params } from '../schema/validate.ts';
import { renderPage, redirectWithFlash } from '../ui/page.tsx';
import { CsrfField } from '../ui/layout.tsx';
import { formatTime } from '../ui/form-action.ts';
import { credentialStoreFor } from '../credentials/context.ts';
import { providerCheckOf } from '../checks/provider-check.ts';
import { checkCredential } from '../checks/service.ts';
import { checkContextFor } from '../checks/routes.ts';
import { lastCheck, type StoredCheck } from '../checks/store.ts';
import { DEFAULT_USAGE_DAYS } from './history.ts';
import { credentialUsage } from './routes.ts';
import { UsagePlot } from './plot.tsx';

export const credentialUsagePages = new Hono<AppEnv>();
credentialUsagePages.use('/admin/credentials/:id{[0-9]+}', requireAdmin());
credentialUsagePages.use('/admin/credentials/:id{[0-9]+}/check', requireAdmin());

const id = params<typeof IdParams, AppEnv>(IdParams, 'credential');

/** The last check as one line of text (shared with the health page). */
export function CheckSummary({ check }: { check: StoredCheck | undefined }) {
  if (!check) return <span>never checked</span>;
  return (
    <span>
      <span class={`badge ${check.result === 'ok' ? 'ok' : 'warn'}`}>{check.result}</span> {formatTime(check.checkedAt)} — {check.detail}
    </span>
  );
}

credentialUsagePages.get('/admin/credentials/:id{[0-9]+}', id, async (c) => {
  const credentialId = c.req.valid('param').id;
  const v = await credentialStoreFor(c).get(credentialId);
  const [days, check] = await Promise.all([credentialUsage(c.env.DB, credentialId, DEFAULT_USAGE_DAYS), lastCheck(c.env.DB, credentialId)]);
  const provider = providerCheckOf(v.platform);
  return renderPage(
    c,
    `Credential ${v.credential_name}`,
    <div>
      <p>
        <a href="/admin/credentials">← Credentials</a>
      </p>
      <h1>{v.credential_name}</h1>
      <p>
        {v.platform} · {v.tier} · {v.is_active ? 'active' : 'inactive'} · daily quota {v.daily_quota ?? 'none'}
      </p>
      <section aria-labelledby="usage-heading" class="card">
        <h2 id="usage-heading">Daily use, last {DEFAULT_USAGE_DAYS} days</h2>
        <UsagePlot id="credential-usage" title={`Units per day: ${v.credential_name}`} days={days} quota={v.daily_quota} />
        <p>
          <a href={`/api/credentials/${v.id}/usage?days=${DEFAULT_USAGE_DAYS}&format=csv`}>Download as CSV</a>
        </p>
      </section>
      <section aria-labelledby="check-heading" class="card">
        <h2 id="check-heading">Check with provider</h2>
        <p>
          Last check: <CheckSummary check={check} />
        </p>
        {provider ? (
          <>
            <p class="hint">
              One cheap read-only call with the key (<a href={provider.docs}>the provider's documentation</a>).
            </p>
            <form method="post" action={`/admin/credentials/${v.id}/check`}>
              <CsrfField token={c.var.csrfToken} />
              <button type="submit">Check with provider</button>
            </form>
          </>
        ) : (
          <p class="hint">This platform has no cheap read-only endpoint: its credentials cannot be checked with the provider.</p>
        )}
      </section>
    </div>,
  );
});

credentialUsagePages.post('/admin/credentials/:id{[0-9]+}/check', id, async (c) => {
  const credentialId = c.req.valid('param').id;
  const o = await checkCredential(checkContextFor(c), credentialId);
  return redirectWithFlash(c, `/admin/credentials/${credentialId}`, {
    kind: o.result === 'ok' ? 'ok' : o.result === 'unsupported' ? 'info' : 'error',
    text: `Check with provider: ${o.result} (${o.detail}).`,
  });
});
