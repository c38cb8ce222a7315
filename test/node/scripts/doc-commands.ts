// Test helper for test/node/runbook.test.ts: finds the commands a markdown
// document tells operators to run (`npm run X`, `node --import tsx scripts/...`,
// `scripts/...` paths, `wrangler ...`) and checks each one against the project:
// the script exists, and its `--help` mentions every `--flag` the doc uses.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { ROOT } from './run-script.ts';

export interface DocCommand {
  kind: 'npm' | 'node' | 'path' | 'wrangler';
  /** The command as the doc writes it (one pipeline segment). */
  text: string;
  /** npm script name, script file path, or wrangler words (e.g. `d1 time-travel restore`). */
  target: string;
  flags: string[];
}

/** Code in the document: each line of a fenced block (continuations joined) and each inline code span. */
export function codeSnippets(markdown: string): string[] {
  const snippets: string[] = [];
  const prose: string[] = [];
  let fence: string[] | null = null;
  for (const line of markdown.split('\n')) {
    if (/^\s*```/.test(line)) {
      if (fence) {
        snippets.push(
          ...fence
            .join('\n')
            .replace(/\\\n\s*/g, ' ')
            .split('\n'),
        );
        fence = null;
      } else fence = [];
      continue;
    }
    if (fence) {
      if (!/^\s*#/.test(line)) fence.push(line);
    } else prose.push(line);
  }
  for (const m of prose.join('\n').matchAll(/`([^`]+)`/g)) snippets.push(m[1]!.replace(/\s*\n\s*/g, ' '));
  return snippets;
}

/** Splits a shell line at pipes, `;`, `&&`, `$(` and `)`, but not inside `[...]` usage brackets. */
function segments(line: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let current = '';
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (ch === '[') depth++;
    if (ch === ']') depth = Math.max(0, depth - 1);
    const two = line.slice(i, i + 2);
    if (depth === 0 && (two === '&&' || two === '||' || two === '$(')) {
      out.push(current);
      current = '';
      i++;
      continue;
    }
    if (depth === 0 && (ch === '|' || ch === ';' || ch === ')')) {
      out.push(current);
      current = '';
      continue;
    }
    current += ch;
  }
  out.push(current);
  return out.map((s) => s.trim()).filter(Boolean);
}

function flagsIn(text: string): string[] {
  return [...new Set([...text.matchAll(/(?:^|[\s[])(--[a-z][a-z0-9-]*)/g)].map((m) => m[1]!))];
}

export function extractCommands(markdown: string): DocCommand[] {
  const found = new Map<string, DocCommand>();
  const add = (c: DocCommand) => found.set(`${c.kind} ${c.text}`, c);
  for (const snippet of codeSnippets(markdown)) {
    for (const seg of segments(snippet)) {
      // Lower-case names only: `npm run NAME` in prose is a placeholder.
      const npm = /\bnpm run(?:\s+(?:-s|--silent))?\s+([a-z][a-z0-9:_-]*)(.*)$/.exec(seg);
      if (npm) {
        const rest = npm[2]!;
        const afterDashes = /(?:^|\s)--(?:\s|$)(.*)$/.exec(rest);
        add({ kind: 'npm', text: seg, target: npm[1]!, flags: afterDashes ? flagsIn(afterDashes[1]!) : [] });
        continue;
      }
      const node = /\bnode --import tsx ([a-z0-9_./-]+\.ts)(.*)$/.exec(seg);
      if (node) {
        add({ kind: 'node', text: seg, target: node[1]!, flags: flagsIn(node[2]!) });
        continue;
      }
      const wrangler = /\bwrangler((?:\s+[a-z][a-z0-9-]*)+)(.*)$/.exec(seg);
      if (wrangler) add({ kind: 'wrangler', text: seg, target: wrangler[1]!.trim().replace(/\s+/g, ' '), flags: flagsIn(wrangler[2]!) });
      for (const m of seg.matchAll(/(?:^|[\s(])(scripts\/[a-z0-9_./-]+\.(?:ts|mjs|js|py))\b/g)) add({ kind: 'path', text: seg, target: m[1]!, flags: [] });
    }
  }
  return [...found.values()];
}

const helpCache = new Map<string, { ok: boolean; text: string }>();

function scriptHelp(file: string): { ok: boolean; text: string } {
  let help = helpCache.get(file);
  if (!help) {
    const res = spawnSync(process.execPath, ['--import', 'tsx', file, '--help'], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
    help = { ok: res.status === 0 && res.stdout.trim().length > 0, text: res.stdout };
    helpCache.set(file, help);
  }
  return help;
}

function wranglerHelp(words: string[]): string | null {
  const key = `wrangler ${words.join(' ')}`;
  if (!helpCache.has(key)) {
    const res = spawnSync(path.join(ROOT, 'node_modules', '.bin', 'wrangler'), [...words, '--help'], {
      cwd: ROOT,
      encoding: 'utf8',
      env: { ...process.env, WRANGLER_SEND_METRICS: 'false', NO_COLOR: '1' },
    });
    helpCache.set(key, { ok: res.status === 0, text: res.stdout });
  }
  const help = helpCache.get(key)!;
  return help.ok ? help.text : null;
}

function mentions(help: string, flag: string): boolean {
  return new RegExp(`${flag}(?![a-z0-9-])`).test(help);
}

function checkFlags(file: string, flags: string[], label: string): string[] {
  if (!flags.length) return [];
  const help = scriptHelp(file);
  if (!help.ok) return [`${label}: \`${file} --help\` failed`];
  return flags.filter((f) => !mentions(help.text, f)).map((f) => `${label}: --help of ${file} does not mention ${f}`);
}

const TSX_COMMAND = /^node --import tsx (\S+\.ts)$/;

/** What is wrong with a command the doc gives; empty when it is real. */
export function checkCommand(cmd: DocCommand): string[] {
  const label = `\`${cmd.text}\``;
  if (cmd.kind === 'npm') {
    const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    const script = pkg.scripts[cmd.target];
    if (script === undefined) return [`${label}: package.json has no script "${cmd.target}"`];
    const tsx = TSX_COMMAND.exec(script);
    if (tsx) {
      if (!existsSync(path.join(ROOT, tsx[1]!))) return [`${label}: npm script "${cmd.target}" runs ${tsx[1]}, which does not exist`];
      return checkFlags(tsx[1]!, cmd.flags, label);
    }
    return cmd.flags.length ? [`${label}: cannot check flags of npm script "${cmd.target}" (${script})`] : [];
  }
  if (cmd.kind === 'node' || cmd.kind === 'path') {
    if (!existsSync(path.join(ROOT, cmd.target))) return [`${label}: ${cmd.target} does not exist`];
    return cmd.kind === 'node' ? checkFlags(cmd.target, cmd.flags, label) : [];
  }
  // wrangler: the longest word prefix that is a real command; any words left
  // over must be positionals that command declares.
  const words = cmd.target.split(' ');
  for (let n = words.length; n >= 1; n--) {
    const sub = words.slice(0, n).join(' ');
    const help = wranglerHelp(words.slice(0, n));
    const usage = help?.split('\n')[0] ?? '';
    if (usage !== `wrangler ${sub}` && !usage.startsWith(`wrangler ${sub} `)) continue;
    if (n < words.length && !/[<[]/.test(usage.slice(`wrangler ${sub}`.length))) return [`${label}: \`wrangler ${cmd.target}\` is not a wrangler command`];
    return cmd.flags.filter((f) => !mentions(help!, f)).map((f) => `${label}: \`wrangler ${sub} --help\` does not mention ${f}`);
  }
  return [`${label}: \`wrangler ${cmd.target}\` is not a wrangler command`];
}
