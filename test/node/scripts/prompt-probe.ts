// Runs scripts/lib/prompt.ts for test/node/scripts/prompt.test.ts (in a pty or
// with piped stdin): `line` asks promptLine then promptHidden, `hidden` only
// promptHidden. Prints the answers hex-encoded, so a typed secret appearing in
// the terminal output can only be an echo.
import { runMain } from '../../../scripts/lib/cli.ts';
import { promptHidden, promptLine } from '../../../scripts/lib/prompt.ts';

const hex = (s: string) => Buffer.from(s, 'utf8').toString('hex');

runMain('prompt-probe', async () => {
  const line = process.argv[2] === 'line' ? await promptLine('Email: ') : '';
  const secret = await promptHidden('Secret (input hidden): ');
  const again = process.argv[3] === 'twice' ? await promptHidden('Same again: ') : '';
  process.stdout.write(`\nRESULT ${JSON.stringify({ line: hex(line), secret: hex(secret), again: hex(again) })}\n`);
});
