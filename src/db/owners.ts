/**
 * Who owns each D1 table: the one module where that table's SQL (raw or
 * drizzle) lives. Every other module calls the owner's functions, the
 * scripts, the self-hosted editions and the bench included (scripts render the
 * owner's query as SQL text with sql-text.ts; the bench seeds with its
 * `.toSQL()`). test/node/table-owners.test.ts fails when SQL for a table
 * appears anywhere else under src/, scripts/, selfhost/, node/, deno/ or
 * bench/ (tests under
 * test/ seed D1 directly and are exempt), and when docs/data-model.md states
 * a different owner.
 *
 * An owner ending in `/` is a folder: `audit_events` belongs to src/audit,
 * whose writer (audit.ts, the one that scrubs) and reader (repository.ts) are
 * the table's two sides.
 */
export const TABLE_OWNERS = {
  users: 'src/auth/users.ts',
  api_keys: 'src/auth/api-key-repository.ts',
  login_throttle: 'src/auth/login-throttle.ts',
  signing_key_usage: 'src/auth/signing-key-usage.ts',
  passkeys: 'src/auth/passkey-store.ts',
  webauthn_challenges: 'src/auth/passkey-store.ts',
  recovery_codes: 'src/auth/recovery-code-store.ts',
  api_credentials: 'src/credentials/repository.ts',
  query_designs: 'src/query-designs/store.ts',
  audit_events: 'src/audit/',
  recovery_actions: 'src/recovery/store.ts',
  pool_copy_version: 'src/pool/d1-source.ts',
  alerts: 'src/alerts/store.ts',
  alert_destinations: 'src/alerts/destination-store.ts',
  alert_deliveries: 'src/alerts/outbox.ts',
  credential_usage_days: 'src/pool/usage-days-store.ts',
  credential_checks: 'src/checks/store.ts',
} as const;

export type TableName = keyof typeof TABLE_OWNERS;
