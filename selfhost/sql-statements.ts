/**
 * Splits a string of SQL into its statements, as Durable Object
 * `ctx.storage.sql.exec()` accepts several at once (a schema block) while
 * `node:sqlite` prepares one at a time. Semicolons inside quotes ('…', "…",
 * `…`, […]), comments (-- …, /* … *\/) and a trigger's BEGIN … END body do
 * not split. Pure; no SQLite needed.
 */

export function splitSqlStatements(sql: string): string[] {
  const out: string[] = [];
  let start = 0;
  let depth = 0; // BEGIN … END nesting (triggers); CASE … END counts too
  let i = 0;
  const n = sql.length;
  const push = (end: number) => {
    const text = sql.slice(start, end).trim();
    if (text && !/^(?:\s|--[^\n]*(?:\n|$)|\/\*[\s\S]*?\*\/)*$/.test(text)) out.push(text);
  };
  while (i < n) {
    const ch = sql[i]!;
    if (ch === "'" || ch === '"' || ch === '`') {
      const close = sql.indexOf(ch, i + 1);
      i = close < 0 ? n : close + 1;
      // a doubled quote ('it''s') is two adjacent quoted runs: the loop handles it
      continue;
    }
    if (ch === '[') {
      const close = sql.indexOf(']', i + 1);
      i = close < 0 ? n : close + 1;
      continue;
    }
    if (ch === '-' && sql[i + 1] === '-') {
      const close = sql.indexOf('\n', i);
      i = close < 0 ? n : close + 1;
      continue;
    }
    if (ch === '/' && sql[i + 1] === '*') {
      const close = sql.indexOf('*/', i + 2);
      i = close < 0 ? n : close + 2;
      continue;
    }
    if (/[A-Za-z_]/.test(ch) && (i === 0 || !/[A-Za-z0-9_$]/.test(sql[i - 1]!))) {
      const word = /^[A-Za-z_][A-Za-z0-9_$]*/.exec(sql.slice(i, i + 64))![0];
      const upper = word.toUpperCase();
      if (upper === 'BEGIN' || upper === 'CASE') {
        // A bare `BEGIN;` / `BEGIN TRANSACTION` starts no block; only a trigger body does.
        const rest = sql
          .slice(i + word.length)
          .trimStart()
          .toUpperCase();
        const isTransaction = upper === 'BEGIN' && /^(;|$|TRANSACTION\b|DEFERRED\b|IMMEDIATE\b|EXCLUSIVE\b)/.test(rest);
        if (!isTransaction) depth++;
      } else if (upper === 'END' && depth > 0) depth--;
      i += word.length;
      continue;
    }
    if (ch === ';' && depth === 0) {
      push(i);
      start = i + 1;
    }
    i++;
  }
  push(n);
  return out;
}
