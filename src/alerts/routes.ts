/**
 * Alerts over REST (admins; docs/api/alerts.md) and the /admin/alerts page.
 *
 *   GET    /api/alerts                            the open alerts
 *   POST   /api/alerts/check                      run the checks now; deliver at once; the open alerts
 *   POST   /api/alerts/:id/silence                {until} mute an alert's deliveries until then (audited)
 *   GET    /api/alerts/destinations               destinations (host only)
 *   POST   /api/alerts/destinations               {kind, name, url} → 201, the signing secret once
 *   DELETE /api/alerts/destinations/:id           remove one (and its delivery log)
 *   POST   /api/alerts/destinations/:id/test      send a test message at once
 *   GET    /api/alerts/deliveries                 the delivery log, newest first
 */
import { Hono } from 'hono';
import * as v from 'valibot';
import type { AppEnv } from '../http/types.ts';
import { requireAdmin } from '../http/guards.ts';
import { json, params } from '../schema/validate.ts';
import { describe } from '../schema/spec.ts';
import { IdParams, IsoTimestamp, isoTime, strict } from '../schema/types.ts';
import { DestinationBody } from './destinations-input.ts';
import { actorOf } from '../http/request-context.ts';
import { ALERT_KINDS } from './rules.ts';
import { listOpenAlerts, publicAlert, silenceAlert } from './store.ts';
import { createDestination, deleteDestination, listDestinations } from './destination-store.ts';
import { recentDeliveries } from './outbox.ts';
import { checkNow, sendTest } from './service.ts';
import { alertPages } from './page.tsx';

const AlertSchema = v.object({
  id: v.number(),
  kind: v.picklist(ALERT_KINDS),
  subject: v.string(),
  severity: v.picklist(['warning', 'critical']),
  opened_at: IsoTimestamp,
});
const AlertsSchema = v.object({ alerts: v.array(AlertSchema) });
const DestinationSchema = v.object({
  id: v.number(),
  kind: v.picklist(['slack', 'json']),
  name: v.string(),
  host: v.string(),
  created_at: IsoTimestamp,
  created_by: v.string(),
});
const DeliverySchema = v.object({
  id: v.number(),
  destination_id: v.number(),
  alert_id: v.nullable(v.number()),
  event: v.picklist(['opened', 'resolved', 'test']),
  status: v.picklist(['pending', 'delivered', 'failed']),
  attempts: v.number(),
  created_at: IsoTimestamp,
  last_attempt_at: v.nullable(IsoTimestamp),
  next_attempt_at: v.nullable(IsoTimestamp),
  last_status: v.nullable(v.number()),
  last_error: v.nullable(v.string()),
});

/** `until`: an ISO 8601 date-time in the future (at most a year ahead). */
export const SilenceBody = strict({
  until: v.pipe(
    isoTime(false),
    v.check((t) => t > Date.now(), 'must be in the future'),
    v.check((t) => t <= Date.now() + 366 * 86_400_000, 'must be at most a year ahead'),
  ),
});

const TAG = 'alerts';
const api = new Hono<AppEnv>();
api.use('*', requireAdmin());

api.get(
  '/',
  describe({ tag: TAG, summary: 'The open alerts', responses: { 200: { description: 'Open alerts, oldest first.', schema: AlertsSchema } } }),
  async (c) => c.json({ alerts: (await listOpenAlerts(c.env.DB)).map(publicAlert) }),
);

api.post(
  '/check',
  describe({
    tag: TAG,
    summary: 'Run every alert check now; deliver what opened or resolved at once',
    description: 'Runs the same checks as the cron trigger, sends the first attempt of each new message before answering, and answers the open alerts.',
    responses: { 200: { description: 'The open alerts after the check.', schema: AlertsSchema } },
  }),
  async (c) => c.json({ alerts: (await checkNow(c)).map(publicAlert) }),
);

api.get(
  '/destinations',
  describe({
    tag: TAG,
    summary: 'Alert destinations (each URL shown only by its host)',
    responses: { 200: { description: 'Destinations.', schema: v.object({ destinations: v.array(DestinationSchema) }) } },
  }),
  async (c) => c.json({ destinations: await listDestinations(c.env.DB) }),
);

api.post(
  '/destinations',
  describe({
    tag: TAG,
    summary: 'Add a destination (slack or json); the signing secret is answered once',
    description: 'The URL must be https (http only for 127.0.0.1 or localhost). It is stored encrypted like a credential and shown only by its host.',
    responses: {
      201: {
        description: 'The destination and its signing secret (shown this once).',
        schema: v.object({ destination: DestinationSchema, signing_secret: v.string() }),
      },
    },
  }),
  json(DestinationBody),
  async (c) => c.json(await createDestination(c.env.DB, c.var.config.credentialKeys, c.req.valid('json'), actorOf(c)), 201),
);

api.delete(
  '/destinations/:id',
  describe({ tag: TAG, summary: 'Remove a destination and its delivery log', responses: { 204: { description: 'Removed.' } } }),
  params(IdParams, 'alert destination'),
  async (c) => {
    await deleteDestination(c.env.DB, c.req.valid('param').id, actorOf(c));
    return c.body(null, 204);
  },
);

api.post(
  '/destinations/:id/test',
  describe({
    tag: TAG,
    summary: 'Send a test message to a destination at once',
    responses: {
      200: { description: 'The delivery as logged after its first attempt (failed attempts are retried).', schema: v.object({ delivery: DeliverySchema }) },
    },
  }),
  params(IdParams, 'alert destination'),
  async (c) => c.json({ delivery: await sendTest(c, c.req.valid('param').id) }),
);

api.get(
  '/deliveries',
  describe({
    tag: TAG,
    summary: 'The delivery log, newest first (time, status, attempts)',
    responses: { 200: { description: 'The last 50 deliveries.', schema: v.object({ deliveries: v.array(DeliverySchema) }) } },
  }),
  async (c) => c.json({ deliveries: await recentDeliveries(c.env.DB) }),
);

api.post(
  '/:id/silence',
  describe({
    tag: TAG,
    summary: "Mute an alert's deliveries until a time (audited)",
    responses: { 200: { description: 'The alert and its silence.', schema: v.object({ alert: AlertSchema, silenced_until: IsoTimestamp }) } },
  }),
  params(IdParams, 'alert'),
  json(SilenceBody),
  async (c) => {
    const a = await silenceAlert(c.env.DB, c.req.valid('param').id, c.req.valid('json').until, actorOf(c));
    return c.json({ alert: publicAlert(a), silenced_until: new Date(a.silencedUntil!).toISOString() });
  },
);

export const alertRoutes = new Hono<AppEnv>();
alertRoutes.route('/api/alerts', api);
alertRoutes.route('/', alertPages);
