/**
 * Prompts on the terminal. `promptHidden` reads a secret without echo (raw
 * mode), so keys and passwords never land in shell history or on screen.
 * Without a TTY it reads one line from stdin, so scripts can be piped to.
 */
import { createInterface } from 'node:readline';
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
  process.stderr.write(question);
  return (await readStdinLine()).trim();
}

export async function promptHidden(question: string): Promise<string> {
  if (!process.stdin.isTTY) return (await readStdinLine()).replace(/\r?\n$/, '');
  process.stderr.write(question);
  const stdin = process.stdin;
  stdin.setRawMode(true);
  stdin.resume();
  stdin.setEncoding('utf8');
  return new Promise((resolve, reject) => {
    let value = '';
    const onData = (chunk: string) => {
      for (const ch of chunk) {
        if (ch === '\r' || ch === '\n') {
          cleanup();
          process.stderr.write('\n');
          resolve(value);
          return;
        }
        if (ch === '\u0003') {
          cleanup();
          process.stderr.write('\n');
          reject(new CliError('cancelled', 130));
          return;
        }
        if (ch === '\u007f' || ch === '\b') value = value.slice(0, -1);
        else value += ch;
      }
    };
    const cleanup = () => {
      stdin.off('data', onData);
      stdin.setRawMode(false);
      stdin.pause();
    };
    stdin.on('data', onData);
  });
}
