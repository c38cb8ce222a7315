/**
 * Prompts on the terminal. `promptHidden` reads a secret without echo through
 * `@inquirer/password` (a readline line editor: arrow keys move the cursor,
 * Ctrl-D deletes or, on an empty line, cancels; none of them becomes part of
 * the secret), so keys and passwords never land in shell history or on screen.
 * Prompts go to stderr, so stdout stays for a script's output.
 * Without a TTY both read one line from stdin, so scripts can be piped to.
 */
import { createInterface } from 'node:readline';
import password from '@inquirer/password';
import { CliError } from './cli.ts';

let stdinLines: AsyncIterator<string> | undefined;

async function readStdinLine(): Promise<string> {
  stdinLines ??= createInterface({ input: process.stdin, terminal: false })[Symbol.asyncIterator]();
  const next = await stdinLines.next();
  if (next.done) throw new CliError('expected more input on stdin, got end of input');
  return next.value;
}

export async function promptLine(question: string): Promise<string> {
  if (!process.stdin.isTTY) return (await readStdinLine()).trim();
  // A line editor of its own, closed after the answer, so nothing keeps
  // reading the terminal while a later hidden prompt runs.
  const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: true });
  try {
    return await new Promise<string>((resolve, reject) => {
      rl.once('SIGINT', () => reject(new CliError('cancelled', 130)));
      rl.once('close', () => reject(new CliError('cancelled', 130)));
      rl.question(question, (answer) => resolve(answer.trim()));
    });
  } finally {
    rl.close();
  }
}

export async function promptHidden(question: string): Promise<string> {
  if (!process.stdin.isTTY) return (await readStdinLine()).replace(/\r?\n$/, '');
  try {
    return await password(
      // No Ctrl-T "show the password" toggle: a secret is never shown.
      { message: question.replace(/[:\s]+$/, ''), toggleMask: false },
      { input: process.stdin, output: process.stderr },
    );
  } catch (e) {
    // Ctrl-C, or Ctrl-D on an empty line: inquirer's ExitPromptError.
    if ((e as Error).name === 'ExitPromptError') throw new CliError('cancelled', 130);
    throw e;
  }
}
