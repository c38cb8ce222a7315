/**
 * import-credentials: moves API credentials from the original platform into
 * the vault's D1 `api_credentials` table.
 *
 *   npm run import-credentials -- ROWS.jsonl [--old-key-file FILE] [--dry-run]
 *       [--dev-vars PATH | --remote [--vault-url URL]] [--persist-to DIR]
 *
 * Input: JSON Lines, one original row per line (platform, tier,
 * credential_name, credentials = Fernet token of a JSON object, is_active,
 * daily_quota, monthly_quota, notes; other columns ignored).
 * The original CREDENTIAL_ENCRYPTION_KEY (or several, comma-separated) comes
 * from --old-key-file or, without it, a hidden prompt (or the first line of
 * stdin when it is not a terminal); never from the command line.
 * The vault's current key comes from .dev.vars (or --dev-vars PATH); with
 * --remote from the CREDENTIAL_ENCRYPTION_KEY environment variable, because
 * deployed secrets cannot be read back (--vault-url checks it against the
 * running vault's /api/health key id first).
 *
 * Per row (src/credentials/legacy-import.ts): decrypt, validate against the
 * arena registry, keep the token byte-for-byte when it is already under the
 * current key, else re-encrypt. A row whose platform, tier and name already
 * exist is skipped, so a re-run after fixing bad lines imports only the rest.
 * Each insert carries its `credential.import` audit event. Bad rows are
 * reported by line number and skipped. Exit 0 = all rows fine, 3 = some rows
 * skipped as bad, 1/2 = nothing imported (error / usage). Never prints a secret.
 */
import { readFileSync } from 'node:fs';
import { CliError, parseCli, runMain } from './lib/cli.ts';
import { readDevVars, devVarsPath } from './lib/dev-vars.ts';
import { promptHidden } from './lib/prompt.ts';
import { d1Execute, d1Query, type D1Target } from './lib/wrangler.ts';
import { Fernet, InvalidFernetKey } from '../src/crypto/fernet.ts';
import { convertLegacyRow, type ImportedCredential } from '../src/credentials/legacy-import.ts';
import { credentialNamesQuery, insertImportedCredentialQuery } from '../src/credentials/repository.ts';
import { auditIfChangedSql } from '../src/audit/audit.ts';
import { countAuditEventsQuery } from '../src/audit/repository.ts';
import { sqlText, textOnlyDb } from '../src/db/sql-text.ts';

const ACTOR = 'script:import-credentials';

const spec = {
  usage: 'import-credentials ROWS.jsonl [--old-key-file FILE] [--dry-run] [--dev-vars PATH | --remote [--vault-url URL]] [--persist-to DIR]',
  description:
    'Imports credentials exported from the original platform (JSON Lines). The original key is read from --old-key-file or a hidden prompt, never from the command line.',
  flags: {
    'old-key-file': 'string',
    'dev-vars': 'string',
    remote: 'boolean',
    'vault-url': 'string',
    'persist-to': 'string',
    'dry-run': 'boolean',
  },
  help: {
    'old-key-file': 'file holding the original CREDENTIAL_ENCRYPTION_KEY (comma-separated for several); default: hidden prompt / stdin',
    'dev-vars': 'where the vault key is read from for the local database (default .dev.vars)',
    remote: 'write to the remote D1; the vault key comes from the CREDENTIAL_ENCRYPTION_KEY environment variable',
    'vault-url': "with --remote: check that key against this vault's /api/health before writing",
    'persist-to': "local D1 state directory (wrangler's --persist-to; default .wrangler/state)",
    'dry-run': 'check every row and print the summary, write nothing',
  },
  positionals: true,
} as const;

async function fernetsFrom(value: string, what: string): Promise<Fernet[]> {
  const keys = value
    .split(',')
    .map((k) => k.trim())
    .filter(Boolean);
  if (keys.length === 0) throw new CliError(`${what} is empty`);
  try {
    return await Promise.all(keys.map((k) => Fernet.fromKey(k)));
  } catch (e) {
    if (e instanceof InvalidFernetKey) throw new CliError(`${what} is not a Fernet key (32 bytes, url-safe base64, 44 characters)`);
    throw e;
  }
}

async function originalKeys(file: string | undefined): Promise<Fernet[]> {
  if (file) return fernetsFrom(readFileSync(file, 'utf8'), `--old-key-file ${file}`);
  return fernetsFrom(await promptHidden('Original CREDENTIAL_ENCRYPTION_KEY (input hidden): '), 'the original key');
}

async function vaultKey(remote: boolean, devVars: string | undefined, vaultUrl: string | undefined): Promise<Fernet> {
  let value: string | undefined;
  if (remote) {
    value = process.env.CREDENTIAL_ENCRYPTION_KEY;
    if (!value) throw new CliError('--remote needs the vault key in the CREDENTIAL_ENCRYPTION_KEY environment variable (deployed secrets cannot be read back)');
  } else {
    const file = devVars ?? devVarsPath();
    const vars = readDevVars(file);
    if (!vars) throw new CliError(`${file} not found: run \`npm run generate-keys -- --dev-vars\` or pass --dev-vars PATH`);
    value = vars.CREDENTIAL_ENCRYPTION_KEY;
    if (!value) throw new CliError(`${file} has no CREDENTIAL_ENCRYPTION_KEY`);
  }
  const [key] = await fernetsFrom(value, 'the vault CREDENTIAL_ENCRYPTION_KEY');
  if (vaultUrl) {
    let current: string | undefined;
    try {
      const health = (await (await fetch(new URL('/api/health', vaultUrl))).json()) as { keys?: { credential_key?: { current_key_id?: string } } };
      current = health.keys?.credential_key?.current_key_id;
    } catch {
      throw new CliError(`could not read ${vaultUrl}/api/health`);
    }
    if (current !== key!.keyId)
      throw new CliError(`the vault at ${vaultUrl} runs key ${current ?? 'unknown'}, but the key given has id ${key!.keyId}; nothing imported`);
  }
  return key!;
}

const nameKey = (p: string, t: string, n: string) => JSON.stringify([p, t, n]);

function insertSql(c: ImportedCredential, line: number, run: string, now: number): string {
  const { input } = c;
  const detail = {
    platform: input.platform,
    tier: input.tier,
    credential_name: input.credentialName,
    key_id: c.keyId,
    original_ciphertext_kept: c.keptToken,
    source_line: line,
    run,
  };
  return [
    // Skipped (no row, no event) if its platform, tier and name exist meanwhile.
    sqlText(
      insertImportedCredentialQuery({
        platform: input.platform,
        tier: input.tier,
        credentialName: input.credentialName,
        encryptedValue: c.token,
        keyId: c.keyId,
        isActive: c.isActive,
        dailyQuota: input.dailyQuota,
        monthlyQuota: input.monthlyQuota,
        notes: input.notes,
        createdAt: now,
        updatedAt: now,
      }),
    ),
    // The audit writer's event, only if that insert added the row (named by its new id).
    auditIfChangedSql({ at: now, actor: ACTOR, action: 'credential.import', targetPrefixFromLastInsert: 'credential:', detail }),
  ].join('\n');
}

async function main(): Promise<number> {
  const { values: o, positionals } = parseCli(process.argv.slice(2), spec);
  if (positionals.length !== 1) throw new CliError('give exactly one input file (JSON Lines); see --help');
  if (o.remote && o['persist-to']) throw new CliError('--persist-to is for the local database; drop it with --remote');
  if (o['vault-url'] && !o.remote) throw new CliError('--vault-url goes with --remote');
  const file = positionals[0]!;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    throw new CliError(`cannot read ${file}`);
  }
  const target: D1Target = { remote: Boolean(o.remote), persistTo: o['persist-to'] };
  const current = await vaultKey(Boolean(o.remote), o['dev-vars'], o['vault-url']);
  const originals = await originalKeys(o['old-key-file']);

  let existing: Set<string>;
  try {
    const [rows] = d1Query<{ platform: string; tier: string; credential_name: string }>(sqlText(credentialNamesQuery(textOnlyDb)), target);
    existing = new Set((rows ?? []).map((r) => nameKey(r.platform, r.tier, r.credential_name)));
  } catch (e) {
    throw new CliError(`cannot read api_credentials (${(e as Error).message.split('\n')[0]}); apply the migrations first: npm run db:migrate`);
  }

  const run = crypto.randomUUID();
  const now = Date.now();
  const statements: string[] = [];
  let read = 0,
    bad = 0,
    present = 0,
    kept = 0,
    reencrypted = 0;
  const lines = text.split(/\r?\n/);
  for (const [i, raw] of lines.entries()) {
    if (raw.trim() === '') continue;
    read++;
    const lineNo = i + 1;
    const result = await convertLegacyRow(raw, originals, current);
    if (!result.ok) {
      bad++;
      process.stderr.write(`line ${lineNo}: skipped: ${result.problem}\n`);
      continue;
    }
    const c = result.credential;
    const k = nameKey(c.input.platform, c.input.tier, c.input.credentialName);
    if (existing.has(k)) {
      present++;
      process.stderr.write(`line ${lineNo}: skipped: ${c.input.platform}/${c.input.tier} "${c.input.credentialName}" is already in the vault\n`);
      continue;
    }
    existing.add(k);
    if (c.keptToken) kept++;
    else reencrypted++;
    statements.push(insertSql(c, lineNo, run, now));
  }

  let written = 0;
  if (!o['dry-run'] && statements.length > 0) {
    // The writes go through a file (remotely: D1's import API, which returns no rows); the count is a read.
    d1Execute(statements.join('\n'), target);
    const [counted] = d1Query<{ n: number }>(sqlText(countAuditEventsQuery(textOnlyDb, { action: 'credential.import', at: now, detailHas: { run } })), target);
    written = counted?.[0]?.n ?? 0;
  }
  const where = o.remote ? 'remote D1' : `local D1${o['persist-to'] ? ` (${o['persist-to']})` : ''}`;
  const verb = o['dry-run'] ? 'would import' : 'imported';
  process.stdout.write(
    `${o['dry-run'] ? '[dry run: nothing written] ' : ''}${read} rows read: ${verb} ${o['dry-run'] ? statements.length : written} into the ${where} ` +
      `(${kept} kept byte-for-byte, ${reencrypted} re-encrypted, all under key ${current.keyId}); ` +
      `${present} already present, ${bad} bad.\n`,
  );
  if (!o['dry-run'] && written !== statements.length) {
    throw new CliError(`expected to import ${statements.length} rows but ${written} were written; re-run to import the rest (present rows are skipped)`);
  }
  return bad > 0 ? 3 : 0;
}

runMain('import-credentials', main);
