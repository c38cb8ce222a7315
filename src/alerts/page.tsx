/**
 * /admin/alerts (admins; works without JavaScript): the open alerts with a
 * silence form each, "Check now", the destinations (host only) with "Send
 * test" and "Remove", a form to add one (its signing secret shown once, on
 * the answer page, never in a cookie or a redirect), and the delivery log
 * with failures marked. The banner on every admin page is banner.ts.
 */
import { Hono, type Context } from 'hono';
import * as v from 'valibot';
import type { AppEnv } from '../http/types.ts';
import { requireAdmin } from '../http/guards.ts';
import { isVaultError } from '../errors.ts';
import { renderPage } from '../ui/page.tsx';
import { formAction, formatTime } from '../ui/form-action.ts';
import { CsrfField } from '../ui/layout.tsx';
import { actorOf } from '../http/request-context.ts';
import { form, params, readFormFields } from '../schema/validate.ts';
import { IdParams, strict } from '../schema/types.ts';
import { problemsText } from '../schema/problems.ts';
import { listOpenAlerts, silenceAlert, isSilenced, type AlertRecord } from './store.ts';
import { createDestination, deleteDestination, listDestinations, type PublicDestination } from './destination-store.ts';
import { recentDeliveries, type DeliveryLogEntry } from './outbox.ts';
import { checkNow, sendTest } from './service.ts';
import { DestinationBody } from './destinations-input.ts';

const BACK = '/admin/alerts';
export const alertPages = new Hono<AppEnv>();
alertPages.use('/admin/alerts', requireAdmin());
alertPages.use('/admin/alerts/*', requireAdmin());

const SILENCE_HOURS = ['1', '4', '24', '168'] as const;
const SilenceForm = strict({ hours: v.picklist(SILENCE_HOURS, 'choose how long') });

function AlertsTable(props: { alerts: AlertRecord[]; csrf: string; now: number }) {
  if (!props.alerts.length) return <p>No open alerts: every check passed.</p>;
  return (
    <div class="table-wrap">
      <table class="stack">
        <caption class="hint">Open alerts, oldest first</caption>
        <thead>
          <tr>
            <th scope="col">Severity</th>
            <th scope="col">Kind</th>
            <th scope="col">Subject</th>
            <th scope="col">What is wrong</th>
            <th scope="col">Opened</th>
            <th scope="col">Deliveries</th>
          </tr>
        </thead>
        <tbody>
          {props.alerts.map((a) => (
            <tr>
              <td data-label="Severity">
                <span class={`badge ${a.severity === 'critical' ? 'err' : 'warn'}`}>{a.severity}</span>
              </td>
              <td data-label="Kind">
                <code>{a.kind}</code>
              </td>
              <td data-label="Subject">{a.subject}</td>
              <td data-label="What is wrong">{a.summary}</td>
              <td data-label="Opened">{formatTime(a.openedAt)}</td>
              <td data-label="Deliveries">
                {isSilenced(a, props.now) ? <p class="hint">{`Silenced until ${formatTime(a.silencedUntil)}`}</p> : null}
                <form method="post" action={`/admin/alerts/${a.id}/silence`} class="inline">
                  <CsrfField token={props.csrf} />
                  <label for={`silence-${a.id}`}>Silence for</label>{' '}
                  <select id={`silence-${a.id}`} name="hours">
                    <option value="1">1 hour</option>
                    <option value="4">4 hours</option>
                    <option value="24">1 day</option>
                    <option value="168">1 week</option>
                  </select>{' '}
                  <button type="submit" class="secondary">
                    Silence
                  </button>
                </form>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function DestinationsTable(props: { destinations: PublicDestination[]; csrf: string }) {
  if (!props.destinations.length) return <p>No destinations yet: alerts show here and on the banner only.</p>;
  return (
    <div class="table-wrap">
      <table class="stack">
        <caption class="hint">Destinations (each URL is stored encrypted and shown by its host only)</caption>
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Kind</th>
            <th scope="col">Host</th>
            <th scope="col">Actions</th>
          </tr>
        </thead>
        <tbody>
          {props.destinations.map((d) => (
            <tr>
              <td data-label="Name">{d.name}</td>
              <td data-label="Kind">{d.kind}</td>
              <td data-label="Host">
                <code>{d.host}</code>
              </td>
              <td data-label="Actions">
                <form method="post" action={`/admin/alerts/destinations/${d.id}/test`} class="inline">
                  <CsrfField token={props.csrf} />
                  <button type="submit" class="secondary">{`Send test to ${d.name}`}</button>
                </form>{' '}
                <form method="post" action={`/admin/alerts/destinations/${d.id}/delete`} class="inline">
                  <CsrfField token={props.csrf} />
                  <button type="submit" class="secondary">{`Remove ${d.name}`}</button>
                </form>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function DeliveryLog(props: { deliveries: DeliveryLogEntry[]; names: Map<number, string> }) {
  if (!props.deliveries.length) return <p>Nothing sent yet.</p>;
  const badge = (d: DeliveryLogEntry) =>
    d.status === 'delivered' ? (
      <span class="badge ok">delivered</span>
    ) : d.status === 'failed' ? (
      <span class="badge err">failed: gave up</span>
    ) : d.attempts > 0 ? (
      <span class="badge err">failing: retrying</span>
    ) : (
      <span class="badge warn">queued</span>
    );
  return (
    <div class="table-wrap">
      <table class="stack">
        <caption class="hint">The last 50 deliveries, newest first</caption>
        <thead>
          <tr>
            <th scope="col">Queued</th>
            <th scope="col">Destination</th>
            <th scope="col">Message</th>
            <th scope="col">Status</th>
            <th scope="col">Attempts</th>
            <th scope="col">Last answer</th>
            <th scope="col">Next try</th>
          </tr>
        </thead>
        <tbody>
          {props.deliveries.map((d) => (
            <tr>
              <td data-label="Queued">{d.created_at.replace('T', ' ').slice(0, 19)}</td>
              <td data-label="Destination">{props.names.get(d.destination_id) ?? `#${d.destination_id}`}</td>
              <td data-label="Message">{d.event === 'test' ? 'test' : `alert ${d.alert_id} ${d.event}`}</td>
              <td data-label="Status">{badge(d)}</td>
              <td data-label="Attempts">{d.attempts}</td>
              <td data-label="Last answer">{d.last_error ?? (d.last_status === null ? '' : `HTTP ${d.last_status}`)}</td>
              <td data-label="Next try">{d.next_attempt_at ? d.next_attempt_at.replace('T', ' ').slice(0, 19) : ''}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

async function showPage(
  c: Context<AppEnv>,
  opts: { created?: { name: string; signing_secret: string; kind: string }; error?: string; values?: Record<string, string>; status?: number } = {},
) {
  const [alerts, destinations, deliveries] = await Promise.all([listOpenAlerts(c.env.DB), listDestinations(c.env.DB), recentDeliveries(c.env.DB)]);
  const csrf = c.var.csrfToken;
  const names = new Map(destinations.map((d) => [d.id, d.name]));
  const failing = deliveries.filter((d) => d.status === 'failed' || (d.status === 'pending' && d.attempts > 0)).length;
  const values = opts.values ?? {};
  return renderPage(
    c,
    'Alerts',
    <div>
      <h1>Alerts</h1>
      <div class="card">
        <h2>Open alerts</h2>
        <AlertsTable alerts={alerts} csrf={csrf} now={Date.now()} />
        <form method="post" action="/admin/alerts/check">
          <CsrfField token={csrf} />
          <button type="submit">Check now</button>
        </form>
        <p class="hint">Checks also run every 5 minutes. Each alert is sent once when it opens and once when it clears.</p>
      </div>
      {opts.created && (
        <div class="card" role="status">
          <h2>{`Destination “${opts.created.name}” added`}</h2>
          {opts.created.kind === 'json' ? (
            <p>
              Its signing secret, shown this once (verify <code>X-Arena-Vault-Signature</code> with it): <code>{opts.created.signing_secret}</code>
            </p>
          ) : (
            <p>Slack-compatible destinations are not signed.</p>
          )}
        </div>
      )}
      <div class="card">
        <h2>Destinations</h2>
        <DestinationsTable destinations={destinations} csrf={csrf} />
        <h3>Add a destination</h3>
        <form method="post" action="/admin/alerts/destinations">
          <CsrfField token={csrf} />
          <p>
            <label for="dest-kind">Kind</label>{' '}
            <select id="dest-kind" name="kind">
              <option value="slack" selected={values.kind !== 'json'}>
                Slack-compatible (Slack, Mattermost, Teams)
              </option>
              <option value="json" selected={values.kind === 'json'}>
                Signed JSON
              </option>
            </select>
          </p>
          <p>
            <label for="dest-name">Name</label> <input id="dest-name" name="name" required maxlength={120} value={values.name ?? ''} />
          </p>
          <p>
            <label for="dest-url">Webhook URL</label> <input id="dest-url" name="url" type="url" required autocomplete="off" aria-describedby="dest-url-hint" />
            <span id="dest-url-hint" class="hint">
              {' '}
              https only (http for 127.0.0.1 or localhost); stored encrypted.
            </span>
          </p>
          <button type="submit">Add destination</button>
        </form>
      </div>
      <div class="card">
        <h2>Delivery log</h2>
        {failing > 0 && (
          <p class="notice error" role="alert">{`${failing} deliver${failing === 1 ? 'y is' : 'ies are'} failing. Check the destination, then send a test.`}</p>
        )}
        <DeliveryLog deliveries={deliveries} names={names} />
      </div>
    </div>,
    { status: opts.status, error: opts.error },
  );
}

alertPages.get('/admin/alerts', (c) => showPage(c));

alertPages.post('/admin/alerts/check', (c) =>
  formAction(c, BACK, async () => {
    const open = await checkNow(c);
    return `Checked: ${open.length} open alert${open.length === 1 ? '' : 's'}.`;
  }),
);

alertPages.post(
  '/admin/alerts/:id/silence',
  params(IdParams, 'alert'),
  form(SilenceForm, (c, problems) => showPage(c as Context<AppEnv>, { error: problemsText(problems), status: 422 })),
  (c) =>
    formAction(c, BACK, async () => {
      const hours = Number(c.req.valid('form').hours);
      const a = await silenceAlert(c.env.DB, c.req.valid('param').id, Date.now() + hours * 3_600_000, actorOf(c));
      return `Silenced alert ${a.id} until ${formatTime(a.silencedUntil)}.`;
    }),
);

alertPages.post(
  '/admin/alerts/destinations',
  form(DestinationBody, (c, problems, values) =>
    showPage(c as Context<AppEnv>, { error: problemsText(problems), values: { kind: values.kind ?? '', name: values.name ?? '' }, status: 422 }),
  ),
  async (c) => {
    try {
      const input = c.req.valid('form');
      const { destination, signing_secret } = await createDestination(c.env.DB, c.var.config.credentialKeys, input, actorOf(c));
      return showPage(c, { created: { name: destination.name, kind: destination.kind, signing_secret }, status: 201 });
    } catch (e) {
      if (isVaultError(e) && e.code === 'VALIDATION_FAILED') {
        const raw = await readFormFields(c);
        return showPage(c, { error: e.message, values: { kind: raw.kind ?? '', name: raw.name ?? '' }, status: e.status });
      }
      throw e;
    }
  },
);

alertPages.post('/admin/alerts/destinations/:id/test', params(IdParams, 'alert destination'), (c) =>
  formAction(c, BACK, async () => {
    const d = await sendTest(c, c.req.valid('param').id);
    return d.status === 'delivered'
      ? 'Test message delivered.'
      : `Test message not delivered yet (${d.last_error ?? 'queued'}); it is retried, see the delivery log.`;
  }),
);

alertPages.post('/admin/alerts/destinations/:id/delete', params(IdParams, 'alert destination'), (c) =>
  formAction(c, BACK, async () => {
    await deleteDestination(c.env.DB, c.req.valid('param').id, actorOf(c));
    return 'Destination removed.';
  }),
);
