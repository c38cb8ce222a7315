/**
 * The `alert_destinations` table's owner (src/db/owners.ts). A destination's
 * URL (a Slack webhook URL carries a token) and its signing secret are
 * sealed together like a credential's fields (credentials/sealing.ts, the
 * credential key ring); only the URL's host is kept in the clear, to show.
 *
 * Key rotation: the rotation engine walks `api_credentials` only. Each alert
 * check re-seals destinations under a previous key with the rotation's own
 * re-encrypter (rotation/reencrypt.ts, compare-and-set), so within one check
 * (5 minutes, or at once with POST /api/alerts/check) after a rotation they
 * are under the new key (docs/alerts.md, "Key rotation").
 */
import { asc, eq } from 'drizzle-orm';
import { openDb } from '../db/client.ts';
import { alertDestinations } from '../db/schema.ts';
import { iso } from '../db/timestamps.ts';
import { auditD1Statement, auditIfChangedD1Statement } from '../audit/audit.ts';
import type { CredentialKeyRing } from '../crypto/key-ring.ts';
import { hexEncode } from '../crypto/encoding.ts';
import { openCredential, sealCredentialFields } from '../credentials/sealing.ts';
import { RowReencrypter } from '../rotation/reencrypt.ts';
import { VaultError } from '../errors.ts';
import type { Actor } from '../kernel/principal.ts';
import { validationError } from '../schema/problems.ts';
import { checkDestinationUrl } from './messages.ts';
import { deleteDeliveriesOfStatement } from './outbox.ts';

export type DestinationKind = 'slack' | 'json';

/** A destination as lists show it: the URL's host only. */
export interface PublicDestination {
  id: number;
  kind: DestinationKind;
  name: string;
  host: string;
  created_at: string;
  created_by: string;
}

type Row = typeof alertDestinations.$inferSelect;

function publicDestination(r: Row): PublicDestination {
  return { id: r.id, kind: r.kind, name: r.name, host: r.urlHost, created_at: iso(r.createdAt)!, created_by: r.createdBy };
}

export async function listDestinations(db: D1Database): Promise<PublicDestination[]> {
  return (await openDb(db).select().from(alertDestinations).orderBy(asc(alertDestinations.id))).map(publicDestination);
}

/** A random signing secret: `avsig_` and 32 bytes as hex. */
function newSigningSecret(): string {
  return `avsig_${hexEncode(crypto.getRandomValues(new Uint8Array(32)))}`;
}

/** Creates a destination; the answer carries the signing secret, the only time it is shown. */
export async function createDestination(
  db: D1Database,
  ring: CredentialKeyRing,
  input: { kind: DestinationKind; name: string; url: string },
  who: Actor,
): Promise<{ destination: PublicDestination; signing_secret: string }> {
  const checked = checkDestinationUrl(input.url);
  if (!checked.ok) throw validationError([checked.problem]);
  const signing_secret = newSigningSecret();
  const sealed = await sealCredentialFields(ring, { url: checked.url, signing_secret });
  const now = Date.now();
  const [inserted] = await db.batch([
    db
      .prepare(
        'INSERT INTO alert_destinations (kind, name, url_host, encrypted_value, key_id, created_at, created_by) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING *',
      )
      .bind(input.kind, input.name, checked.host, sealed.token, sealed.keyId, now, who.actor),
    auditIfChangedD1Statement(db, {
      at: now,
      actor: who.actor,
      ip: who.ip,
      action: 'alert_destination.create',
      targetPrefixFromLastInsert: 'alert_destination:',
      detail: { kind: input.kind, name: input.name, host: checked.host },
    }),
  ]);
  const r = (inserted!.results as RawRow[])[0]!;
  return { destination: publicDestination(fromRaw(r)), signing_secret };
}

type RawRow = {
  id: number;
  kind: DestinationKind;
  name: string;
  url_host: string;
  encrypted_value: string;
  key_id: string;
  created_at: number;
  created_by: string;
};

function fromRaw(r: RawRow): Row {
  return {
    id: r.id,
    kind: r.kind,
    name: r.name,
    urlHost: r.url_host,
    encryptedValue: r.encrypted_value,
    keyId: r.key_id,
    createdAt: r.created_at,
    createdBy: r.created_by,
  };
}

/** Deletes a destination with its delivery log, audited; 404 when there is none. */
export async function deleteDestination(db: D1Database, id: number, who: Actor): Promise<void> {
  const now = Date.now();
  const [deleted] = await db.batch([
    db.prepare('DELETE FROM alert_destinations WHERE id = ? RETURNING id, name, url_host').bind(id),
    auditIfChangedD1Statement(db, { at: now, actor: who.actor, ip: who.ip, action: 'alert_destination.delete', target: `alert_destination:${id}` }),
    deleteDeliveriesOfStatement(db, id),
  ]);
  if (!(deleted!.results as unknown[]).length) throw new VaultError('NOT_FOUND', 'No such alert destination.');
}

/** What sending needs: the kind, the opened URL and signing secret. Never leaves the delivery code. */
export interface OpenedDestination {
  id: number;
  kind: DestinationKind;
  url: string;
  signingSecret: string;
}

export async function findDestination(db: D1Database, id: number): Promise<PublicDestination | undefined> {
  const r = await openDb(db).select().from(alertDestinations).where(eq(alertDestinations.id, id)).get();
  return r && publicDestination(r);
}

/** Every destination opened with the ring; a destination that does not open is listed by id in `unreadable`. */
export async function openDestinations(db: D1Database, ring: CredentialKeyRing): Promise<{ opened: Map<number, OpenedDestination>; unreadable: number[] }> {
  const rows = await openDb(db).select().from(alertDestinations).orderBy(asc(alertDestinations.id));
  const opened = new Map<number, OpenedDestination>();
  const unreadable: number[] = [];
  for (const r of rows) {
    const o = await openCredential(ring, r.encryptedValue, r.keyId);
    if (o.readable && typeof o.payload.url === 'string' && typeof o.payload.signing_secret === 'string') {
      opened.set(r.id, { id: r.id, kind: r.kind, url: o.payload.url, signingSecret: o.payload.signing_secret });
    } else unreadable.push(r.id);
  }
  return { opened, unreadable };
}

/**
 * Re-seals every destination not under the ring's current key (after a key
 * rotation), compare-and-set on the old token; audited when any changed.
 * Returns how many were re-sealed.
 */
export async function resealDestinations(db: D1Database, ring: CredentialKeyRing): Promise<number> {
  const rows = await openDb(db).select().from(alertDestinations).orderBy(asc(alertDestinations.id));
  const stale = rows.filter((r) => r.keyId !== ring.currentKeyId).map((r) => ({ id: r.id, keyId: r.keyId, encryptedValue: r.encryptedValue }));
  if (!stale.length) return 0;
  const { updates } = await new RowReencrypter(ring).reencrypt(stale);
  if (!updates.length) return 0;
  const results = await db.batch(
    updates.map((u) =>
      db
        .prepare('UPDATE alert_destinations SET encrypted_value = ?, key_id = ? WHERE id = ? AND key_id = ? AND encrypted_value = ?')
        .bind(u.toValue, u.toKeyId, u.id, u.fromKeyId, u.fromValue),
    ),
  );
  const changed = results.reduce((n, r) => n + (r.meta.changes ?? 0), 0);
  if (changed) {
    await auditD1Statement(db, {
      actor: 'alerts',
      action: 'alert_destination.reseal',
      detail: { ids: updates.map((u) => u.id), to_key_id: ring.currentKeyId },
    }).run();
  }
  return changed;
}
