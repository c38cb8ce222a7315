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

export type FlagKind = 'string' | 'boolean';

export interface CliSpec<F extends Record<string, FlagKind>> {
  usage: string;
  description?: string;
  flags: F;
  help: { [K in keyof F]: string };
  /** Allow positional arguments (e.g. a file name). */
  positionals?: boolean;
}

type Parsed<F extends Record<string, FlagKind>> = {
  values: { [K in keyof F]?: F[K] extends 'boolean' ? boolean : string };
  positionals: string[];
};

/** A failure the operator caused: printed as one line, exit code `code`. */
export class CliError extends Error {
  constructor(message: string, readonly code = 2) {
    super(message);
  }
}

export function helpText<F extends Record<string, FlagKind>>(spec: CliSpec<F>): string {
  const lines = [`usage: ${spec.usage}`];
  if (spec.description) lines.push('', spec.description);
  lines.push('', 'options:');
  for (const [name, kind] of Object.entries(spec.flags)) {
    const flag = kind === 'string' ? `--${name} VALUE` : `--${name}`;
    lines.push(`  ${flag.padEnd(28)} ${spec.help[name]}`);
  }
  lines.push(`  ${'--help'.padEnd(28)} show this help`);
  return lines.join('\n');
}

export function parseCli<F extends Record<string, FlagKind>>(argv: string[], spec: CliSpec<F>): Parsed<F> {
  const options: Record<string, { type: FlagKind }> = { help: { type: 'boolean' } };
  for (const [name, kind] of Object.entries(spec.flags)) options[name] = { type: kind };
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options, allowPositionals: Boolean(spec.positionals), strict: true });
  } catch (e) {
    throw new CliError(`${(e as Error).message.split('\n')[0]} (see --help)`);
  }
  if (parsed.values.help) {
    process.stdout.write(helpText(spec) + '\n');
    process.exit(0);
  }
  return parsed as unknown as Parsed<F>;
}

/**
 * Runs a script's main function: a CliError (or any error) becomes one line on
 * stderr and a non-zero exit. Messages must already be free of secrets.
 */
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
