// scripts/lib/prompt.ts on a real terminal (a pty from python3's `pty`
// module) and on piped stdin. On a terminal the hidden prompt is a line
// editor: arrow keys move the cursor, Ctrl-D deletes or cancels, and none of
// them becomes part of the secret; the typed secret never reaches the screen.
import { spawn, spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from './run-script.ts';

const PROBE = path.join(import.meta.dirname, 'prompt-probe.ts');
const TSX = import.meta.resolve('tsx');

// Forks the command on a pty; for each [text, keys] step waits until `text`
// has appeared in the terminal output, then types `keys`. Prints the whole
// output and the exit code as JSON.
const PTY_DRIVER = `
import json, os, pty, select, sys, time
spec = json.loads(sys.argv[1])
pid, fd = pty.fork()
if pid == 0:
    os.execvp(spec['cmd'][0], spec['cmd'])
out = b''
def pump(deadline):
    global out
    r, _, _ = select.select([fd], [], [], max(0, deadline - time.time()))
    if not r:
        return False
    try:
        chunk = os.read(fd, 4096)
    except OSError:
        return None
    if not chunk:
        return None
    out += chunk
    return True
for text, keys in spec['steps']:
    deadline = time.time() + 60
    while text.encode() not in out:
        if time.time() > deadline or pump(deadline) is None:
            sys.stdout.write(json.dumps({'out': out.decode('utf8', 'replace'), 'code': None, 'stuck': text}))
            sys.exit(0)
    os.write(fd, keys.encode())
deadline = time.time() + 60
while time.time() < deadline and pump(deadline) is not None:
    pass
_, status = os.waitpid(pid, 0)
sys.stdout.write(json.dumps({'out': out.decode('utf8', 'replace'), 'code': os.waitstatus_to_exitcode(status)}))
`;

interface Run {
  out: string;
  code: number | null;
  stuck?: string;
}

function onTerminal(args: string[], steps: [string, string][]): Promise<Run> {
  const spec = JSON.stringify({ cmd: [process.execPath, '--import', TSX, PROBE, ...args], steps });
  return new Promise((resolve, reject) => {
    const child = spawn('python3', ['-c', PTY_DRIVER, spec], { cwd: ROOT, env: { ...process.env, NO_COLOR: '1' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', () => {
      try {
        resolve(JSON.parse(stdout) as Run);
      } catch {
        reject(new Error(`pty driver failed: ${stderr}`));
      }
    });
  });
}

const answers = (out: string) => {
  const hex = JSON.parse(/RESULT (\{.*\})/.exec(out)![1]!) as Record<string, string>;
  return Object.fromEntries(Object.entries(hex).map(([k, v]) => [k, Buffer.from(v, 'hex').toString('utf8')]));
};

const LEFT = '\u001b[D';
const UP = '\u001b[A';
const DOWN = '\u001b[B';
const CTRL_C = '\u0003';
const CTRL_D = '\u0004';

describe('promptHidden on a terminal', () => {
  it('edits the line with arrow keys; no key sequence becomes part of the secret, and nothing typed is echoed', async () => {
    const r = await onTerminal(['hidden'], [['Secret (input hidden)', `qzmv${LEFT}X${UP}${DOWN}w\r`]]);
    expect(r.stuck).toBeUndefined();
    expect(r.code, r.out).toBe(0);
    expect(answers(r.out).secret).toBe('qzmXwv');
    expect(r.out).not.toContain('qzm');
  });

  it('Ctrl-D inside a line deletes forward and adds nothing', async () => {
    const r = await onTerminal(['hidden'], [['Secret (input hidden)', `pqrs${CTRL_D}${LEFT}${CTRL_D}\r`]]);
    expect(r.code, r.out).toBe(0);
    expect(answers(r.out).secret).toBe('pqr');
  });

  it('Ctrl-D on an empty line and Ctrl-C cancel with exit 130, without a stack trace', async () => {
    for (const key of [CTRL_D, `abc${CTRL_C}`]) {
      const r = await onTerminal(['hidden'], [['Secret (input hidden)', key]]);
      expect(r.code, r.out).toBe(130);
      expect(r.out).toContain('prompt-probe: cancelled');
      expect(r.out).not.toMatch(/ExitPromptError|\bat .*\.(js|ts):\d+/);
    }
  });

  it('a visible line prompt, then two hidden ones: each answer goes to its own prompt', async () => {
    const r = await onTerminal(
      ['line', 'twice'],
      [
        ['Email:', 'me@example.org\r'],
        ['Secret (input hidden)', 'first secret\r'],
        ['Same again', 'second secret\r'],
      ],
    );
    expect(r.code, r.out).toBe(0);
    expect(answers(r.out)).toEqual({ line: 'me@example.org', secret: 'first secret', again: 'second secret' });
    expect(r.out).toContain('me@example.org');
    expect(r.out).not.toContain('secret\r');
    expect(r.out).not.toMatch(/first secret|second secret/);
  });
});

describe('prompts without a terminal', () => {
  it('read one line each from stdin, so scripts can be piped to', () => {
    const r = spawnSync(process.execPath, ['--import', TSX, PROBE, 'line', 'twice'], {
      cwd: ROOT,
      input: 'me@example.org\nfirst secret\nsecond secret\n',
      encoding: 'utf8',
    });
    expect(r.status, r.stderr).toBe(0);
    expect(answers(r.stdout)).toEqual({ line: 'me@example.org', secret: 'first secret', again: 'second secret' });
  });

  it('end of input is a clear error', () => {
    const r = spawnSync(process.execPath, ['--import', TSX, PROBE, 'hidden'], { cwd: ROOT, input: '', encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('prompt-probe: expected more input on stdin, got end of input');
  });
});
