// Settings of the self-hosted edition: NAME or NAME_FILE (Docker secrets),
// never both; unreadable files named; values never echoed. Plus the
// wrangler.toml reader (a TOML parser), the list of binding names (BINDINGS
// in src/config.ts) and the SQL statement splitter.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { resolveSettings, SettingsError } from '../../selfhost/secrets.ts';
import { parseObjectBindings, parseVars, WranglerConfigError } from '../../selfhost/wrangler-config.ts';
import { bindingNames } from '../../selfhost/vault.ts';
import { splitSqlStatements } from '../../selfhost/sql-statements.ts';
import { BINDINGS } from '../../src/config.ts';
import { ROOT, withTempDir } from './support.ts';

const CANARY = 'canary-secret-value-7f3a';

function problemsOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof SettingsError, String(e));
    assert.ok(!e.message.includes(CANARY), 'no value in the message');
    return e.problems;
  }
  assert.fail('expected a SettingsError');
}

Deno.test('settings: a plain variable, a _FILE with its trailing newline trimmed, and unset names left out', async () => {
  await withTempDir(async (dir) => {
    await Deno.writeTextFile(join(dir, 'secret_key'), `${CANARY}\n`);
    const env: Record<string, string> = { CREDENTIAL_ENCRYPTION_KEY: 'plain', SECRET_KEY_FILE: join(dir, 'secret_key') };
    const values = resolveSettings(
      ['SECRET_KEY', 'CREDENTIAL_ENCRYPTION_KEY', 'SECRET_KEY_PREVIOUS'],
      (n) => env[n],
      (p) => Deno.readTextFileSync(p),
    );
    assert.deepEqual(values, { SECRET_KEY: CANARY, CREDENTIAL_ENCRYPTION_KEY: 'plain' });
  });
});

Deno.test('settings: CRLF endings are trimmed too, inner whitespace is kept', () => {
  const values = resolveSettings(
    ['A'],
    (n) => ({ A_FILE: '/x' })[n],
    () => 'one, two\r\n\r\n',
  );
  assert.deepEqual(values, { A: 'one, two' });
});

Deno.test('settings: NAME and NAME_FILE both set is an error naming both, never the value', () => {
  const env: Record<string, string> = { SECRET_KEY: CANARY, SECRET_KEY_FILE: '/run/secrets/secret_key' };
  const problems = problemsOf(() =>
    resolveSettings(
      ['SECRET_KEY'],
      (n) => env[n],
      () => CANARY,
    ),
  );
  assert.equal(problems.length, 1);
  assert.match(problems[0]!, /SECRET_KEY and SECRET_KEY_FILE are both set/);
});

Deno.test('settings: an unreadable _FILE names the variable, the path and the reason (real file system)', async () => {
  await withTempDir(async (dir) => {
    const missing = join(dir, 'nope');
    const env: Record<string, string> = { CREDENTIAL_ENCRYPTION_KEY_FILE: missing, SECRET_KEY_FILE: dir, SECRET_KEY_PREVIOUS_FILE: '' };
    const problems = problemsOf(() =>
      resolveSettings(
        ['SECRET_KEY', 'CREDENTIAL_ENCRYPTION_KEY', 'SECRET_KEY_PREVIOUS'],
        (n) => env[n],
        (p) => Deno.readTextFileSync(p),
      ),
    );
    assert.equal(problems.length, 3, 'every problem is reported at once');
    assert.ok(problems.some((p) => p.includes('CREDENTIAL_ENCRYPTION_KEY_FILE') && p.includes(missing) && p.includes('NotFound')));
    assert.ok(problems.some((p) => p.startsWith('SECRET_KEY_FILE') && p.includes(dir)));
    assert.ok(problems.some((p) => p.startsWith('SECRET_KEY_PREVIOUS_FILE is set but empty')));
  });
});

Deno.test('wrangler.toml: [vars] and the Durable Object bindings are read from the real file', () => {
  const toml = Deno.readTextFileSync(join(ROOT, 'wrangler.toml'));
  const bindings = parseObjectBindings(toml);
  assert.ok(bindings.some((b) => b.name === 'POOL' && b.className === 'CredentialPool'));
  assert.ok(bindings.some((b) => b.name === 'ROTATION' && b.className === 'KeyRotation'));
  assert.equal(parseVars(toml).ACCESS_TOKEN_EXPIRE_MINUTES, '30');
});

Deno.test('wrangler.toml reader: comments, quotes and other sections are handled', () => {
  const toml = `name = "x"\n[vars]\n# a comment\nA = "1" # trailing\nB = 'two'\nC = 3\n[durable_objects]\nbindings = [\n  { name = "P", class_name = "Pool" }, # c\n]\n[other]\nD = "no"\n`;
  assert.deepEqual(parseVars(toml), { A: '1', B: 'two', C: '3' });
  assert.deepEqual(parseObjectBindings(toml), [{ name: 'P', className: 'Pool' }]);
});

Deno.test('wrangler.toml reader: any TOML spelling (table-array bindings, multi-line strings, escapes, dotted keys)', () => {
  const toml = [
    'name = "x"',
    '[vars]',
    'A = """multi',
    'line # not a comment"""',
    "B = 'it\"s'",
    'C = "tab\\there \\"q\\""',
    'D = true',
    'E.F = "dotted"',
    '[[durable_objects.bindings]]',
    'name = "P"',
    'class_name = "Pool" # the pool',
    '[[durable_objects.bindings]]',
    'class_name = "Rot"',
    'name = "R"',
  ].join('\n');
  const vars = parseVars(toml);
  assert.equal(vars.A, 'multi\nline # not a comment');
  assert.equal(vars.B, 'it"s');
  assert.equal(vars.C, 'tab\there "q"');
  assert.equal(vars.D, 'true');
  assert.equal(vars.E, '{"F":"dotted"}');
  assert.deepEqual(parseObjectBindings(toml), [
    { name: 'P', className: 'Pool' },
    { name: 'R', className: 'Rot' },
  ]);
});

Deno.test('wrangler.toml reader: invalid TOML and incomplete bindings are errors, not silent omissions', () => {
  assert.throws(
    () => parseVars('[vars]\nA = "unterminated\n'),
    (e) => e instanceof WranglerConfigError && /line \d+/.test(e.message),
  );
  assert.throws(
    () => parseObjectBindings('[durable_objects]\nbindings = [{ name = "P" }]\n'),
    (e) => e instanceof WranglerConfigError && /class_name/.test(e.message),
  );
  assert.throws(() => parseVars('vars = 3\n'), WranglerConfigError);
});

Deno.test('binding names: every BINDINGS entry of src/config.ts and every [vars] key, nothing read from src/env.ts', () => {
  const names = bindingNames(parseVars(Deno.readTextFileSync(join(ROOT, 'wrangler.toml'))));
  for (const b of BINDINGS) assert.ok(names.includes(b), b);
  assert.ok(names.includes('ACCESS_TOKEN_EXPIRE_MINUTES'));
  assert.ok(!names.includes('DB') && !names.includes('POOL'));
  assert.deepEqual(bindingNames({ EXTRA_VAR: '1' }).slice(-1), ['EXTRA_VAR']);
});

Deno.test('SQL splitter: statements split on ; outside quotes, comments and trigger bodies', () => {
  const sql = `
    -- header; with a semicolon
    CREATE TABLE a (x TEXT DEFAULT 'a;b'); /* c; d */
    CREATE TABLE "b;c" (y);
    CREATE TRIGGER t AFTER INSERT ON a BEGIN UPDATE a SET x = 'z'; DELETE FROM a WHERE x = (CASE WHEN 1 THEN 'q' END); END;
    SELECT 1`;
  const parts = splitSqlStatements(sql);
  assert.equal(parts.length, 4, JSON.stringify(parts));
  assert.match(parts[0]!, /DEFAULT 'a;b'\)$/);
  assert.match(parts[2]!, /^CREATE TRIGGER[\s\S]*END$/);
  assert.equal(parts[3], 'SELECT 1');
  assert.deepEqual(splitSqlStatements('  ;  -- only a comment\n'), []);
});
