/**
 * What an alert delivery says and how it goes out, pure: the message, its
 * Slack and JSON renderings, the JSON body's signature, the retry schedule
 * and the destination URL rule. The message is built only from an alert's
 * kind, subject, severity, summary and times, so it never holds a credential
 * field, a key or a destination URL (docs/alerts.md, "Message body").
 */
import { hmacSha256 } from '../crypto/hash.ts';
import { hexEncode, utf8 } from '../crypto/encoding.ts';
import type { FieldProblem } from '../schema/problems.ts';
import type { AlertKind, Severity } from './rules.ts';

export type DeliveryEvent = 'opened' | 'resolved' | 'test';

/** The stored message of one delivery (alert_deliveries.body). */
export interface AlertMessage {
  event: DeliveryEvent;
  alert: {
    id: number;
    kind: AlertKind;
    subject: string;
    severity: Severity;
    summary: string;
    opened_at: string;
    resolved_at: string | null;
  } | null;
}

export const TEST_SUMMARY = 'A test message from arena-vault: this destination receives alerts.';

/** The JSON destination's body: the message plus the delivery's id and this attempt's time. */
export function jsonBody(m: AlertMessage, deliveryId: number, sentAt: number): string {
  return JSON.stringify({ source: 'arena-vault', event: m.event, delivery_id: deliveryId, sent_at: new Date(sentAt).toISOString(), alert: m.alert });
}

/** The Slack-compatible body `{text}` (Mattermost and Teams incoming webhooks take it too). */
export function slackBody(m: AlertMessage): string {
  if (!m.alert) return JSON.stringify({ text: `[arena-vault] ${TEST_SUMMARY}` });
  const a = m.alert;
  const head = m.event === 'resolved' ? 'RESOLVED' : a.severity === 'critical' ? 'CRITICAL' : 'WARNING';
  return JSON.stringify({ text: `[arena-vault] ${head} ${a.kind} (${a.subject}): ${a.summary}` });
}

export const SIGNATURE_HEADER = 'X-Arena-Vault-Signature';

/** `sha256=<hex HMAC-SHA256 of the raw body>`, keyed with the UTF-8 bytes of the destination's signing secret. */
export function signature(secret: string, body: string): string {
  return `sha256=${hexEncode(hmacSha256(utf8.encode(secret), utf8.encode(body)))}`;
}

/**
 * Waits after attempt n (1-based) before attempt n+1: 5 s, 15 s (attempts at
 * 0, 5 and 20 s: three in the first minute), then 1, 5, 15 and 30 minutes,
 * then hourly. After MAX_ATTEMPTS the delivery is given up ('failed').
 */
export const RETRY_DELAYS_MS = [5_000, 15_000, 60_000, 5 * 60_000, 15 * 60_000, 30 * 60_000, 60 * 60_000, 60 * 60_000, 60 * 60_000, 60 * 60_000, 60 * 60_000];
export const MAX_ATTEMPTS = RETRY_DELAYS_MS.length + 1;

/** When to try again after `attempts` failed attempts, or null to give up. */
export function nextAttemptAt(attempts: number, now: number): number | null {
  if (attempts >= MAX_ATTEMPTS) return null;
  return now + RETRY_DELAYS_MS[Math.max(0, attempts - 1)]!;
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);

/** A destination URL: https, or http for a loopback host only (local tests). Problems name the field, never the value. */
export function checkDestinationUrl(raw: string): { ok: true; url: string; host: string } | { ok: false; problem: FieldProblem } {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    return { ok: false, problem: { field: 'url', message: 'must be an absolute URL' } };
  }
  if (u.username || u.password) return { ok: false, problem: { field: 'url', message: 'must not carry a user name or password' } };
  if (u.protocol === 'https:' || (u.protocol === 'http:' && LOOPBACK.has(u.hostname))) return { ok: true, url: u.href, host: u.host };
  return { ok: false, problem: { field: 'url', message: 'must use https (http only for 127.0.0.1 or localhost)' } };
}
