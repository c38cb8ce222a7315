/**
 * Shared plumbing for the operator scripts (Node programs, run with
 * `node --import tsx scripts/NAME.ts` or `npm run NAME --`):
 * argument parsing with `--help`, and one-line failures with a non-zero exit.
 *
 * @example
 *   const args = parseCli(process.argv.slice(2), {
 *     usage: 'generate-keys [--only secret-key|credential-key] [--json]',
 *     flags: { only: 'string', json: 'boolean' },
 *     help: { only: 'print just one of the two keys', json: 'print JSON for wrangler secret bulk' },
 *   });
 */
import { parseArgs } from 'node:util';

/**
 * `optional-string` is a flag whose value is optional: `--name` alone gives ''
 * (the script applies its default) and `--name=VALUE` gives VALUE. The value
 * must be joined with `=`, so `--name FILE` never swallows a positional.
 * `strings` is a repeatable string flag (`--name A --name B` gives ['A', 'B']).
 */
export type FlagKind = 'string' | 'boolean' | 'optional-string' | 'strings';

export interface CliSpec<F extends Record<string, FlagKind>> {
  usage: string;
  description?: string;
  flags: F;
  help: { [K in keyof F]: string };
  /** Allow positional arguments (e.g. a file name). */
  positionals?: boolean;
}

type Parsed<F extends Record<string, FlagKind>> = {
  values: { [K in keyof F]?: F[K] extends 'boolean' ? boolean : F[K] extends 'strings' ? string[] : string };
  positionals: string[];
};

/** A failure the operator caused: printed as one line, exit code `code`. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly code = 2,
  ) {
    super(message);
  }
}

export function helpText<F extends Record<string, FlagKind>>(spec: CliSpec<F>): string {
  const lines = [`usage: ${spec.usage}`];
  if (spec.description) lines.push('', spec.description);
  lines.push('', 'options:');
  for (const [name, kind] of Object.entries(spec.flags)) {
    const flag =
      kind === 'string' ? `--${name} VALUE` : kind === 'strings' ? `--${name} VALUE ...` : kind === 'optional-string' ? `--${name}[=VALUE]` : `--${name}`;
    lines.push(`  ${flag.padEnd(28)} ${spec.help[name]}`);
  }
  lines.push(`  ${'--help'.padEnd(28)} show this help`);
  return lines.join('\n');
}

export function parseCli<F extends Record<string, FlagKind>>(argv: string[], spec: CliSpec<F>): Parsed<F> {
  const options: Record<string, { type: 'string' | 'boolean'; multiple?: boolean }> = { help: { type: 'boolean' } };
  for (const [name, kind] of Object.entries(spec.flags))
    options[name] = { type: kind === 'boolean' ? 'boolean' : 'string', ...(kind === 'strings' && { multiple: true }) };
  const optional = new Set(
    Object.entries(spec.flags)
      .filter(([, k]) => k === 'optional-string')
      .map(([n]) => `--${n}`),
  );
  const end = argv.indexOf('--');
  const args = argv.map((a, i) => (optional.has(a) && (end < 0 || i < end) ? `${a}=` : a));
  let parsed;
  try {
    parsed = parseArgs({ args, options, allowPositionals: Boolean(spec.positionals), strict: true });
  } catch (e) {
    // Never echo a stray positional: it may be a secret pasted in the wrong place.
    const err = e as Error & { code?: string };
    const message =
      err.code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL' ? 'unexpected argument: this script takes no positional arguments' : err.message.split('\n')[0];
    throw new CliError(`${message} (see --help)`);
  }
  if (parsed.values.help) {
    process.stdout.write(`${helpText(spec)}\n`);
    process.exit(0);
  }
  return parsed as unknown as Parsed<F>;
}

/**
 * Runs a script's main function: a CliError (or any error) becomes one line on
 * stderr and a non-zero exit. Messages must already be free of secrets.
 */
// biome-ignore lint/suspicious/noConfusingVoidType: a main that returns nothing is Promise<void>, which `undefined` would refuse
export function runMain(name: string, main: () => Promise<number | void>): void {
  main().then(
    (code) => process.exit(code ?? 0),
    (e: unknown) => {
      const code = e instanceof CliError ? e.code : 1;
      const message = e instanceof Error ? e.message : String(e);
      process.stderr.write(`${name}: ${message.split('\n')[0]}\n`);
      process.exit(code);
    },
  );
}
