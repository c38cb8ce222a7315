/**
 * One text rule for every human-entered name and label, one rule for free
 * text, and one reader of paging parameters — checked as pure functions and
 * through every route that takes such a field, so a route that grows its own
 * copy of the rule (and gets it wrong) fails here.
 */
import { describe, expect, it } from 'vitest';
import { isMultiLineText, isSingleLine } from '../../src/schema/text.ts';
import * as v from 'valibot';
import { queryInt } from '../../src/schema/types.ts';
import { parseWith } from '../../src/schema/validate.ts';
import { callJson, createTestUser } from '../support/auth.ts';
import { serperBody } from '../credentials/support.ts';

/** Characters no name may hold: C0, DEL, C1 (NEL), line/paragraph separators, bidi controls. */
const FORBIDDEN: [string, string][] = [
  ['NUL', '\u0000'],
  ['TAB', '\t'],
  ['LF', '\n'],
  ['CR', '\r'],
  ['ESC', '\u001b'],
  ['DEL', '\u007f'],
  ['PAD (C1)', '\u0080'],
  ['NEL', '\u0085'],
  ['APC (C1)', '\u009f'],
  ['LINE SEPARATOR', '\u2028'],
  ['PARAGRAPH SEPARATOR', '\u2029'],
  ['LRE', '\u202a'],
  ['RLE', '\u202b'],
  ['PDF', '\u202c'],
  ['LRO', '\u202d'],
  ['RLO', '\u202e'],
  ['LRI', '\u2066'],
  ['RLI', '\u2067'],
  ['FSI', '\u2068'],
  ['PDI', '\u2069'],
];

describe('the single-line rule', () => {
  it.each(FORBIDDEN)('refuses %s', (_, ch) => {
    expect(isSingleLine(`name${ch}x`)).toBe(false);
  });
  it.each(['Serper main', 'Zoë — 東京 ✓', 'a\u00a0b (NBSP)', 'emoji 🙂', 'Arabic مرحبا', "O'Brien & Co <x>"])('accepts %j', (s) => {
    expect(isSingleLine(s)).toBe(true);
  });
});

describe('the free-text rule', () => {
  it('keeps line breaks (LF, CR) and nothing else of the list', () => {
    expect(isMultiLineText('line 1\nline 2\r\nline 3')).toBe(true);
    for (const [name, ch] of FORBIDDEN.filter(([, c]) => c !== '\n' && c !== '\r')) {
      expect(isMultiLineText(`a${ch}b`), name).toBe(false);
    }
  });
});

describe('queryInt (the one reader of paging parameters)', () => {
  const Limit = v.object({ limit: queryInt(1, 200, 50) });
  const read = (raw: string | undefined) => parseWith(Limit, raw === undefined ? {} : { limit: raw });
  it('takes absent and empty as the default, and whole numbers in range as they are', () => {
    for (const [raw, value] of [
      [undefined, 50],
      ['', 50],
      ['1', 1],
      ['200', 200],
    ] as const) {
      expect(read(raw)).toEqual({ ok: true, value: { limit: value } });
    }
  });
  it.each(['0', '201', '-1', '1.5', 'ten', ' 5', '99999999999999999999'])('refuses %j instead of clamping it', (raw) => {
    expect(read(raw)).toEqual({ ok: false, problems: [{ field: 'limit', message: 'must be a whole number from 1 to 200' }] });
  });
});

describe('every name and label through the API', () => {
  const bad = ['NEL', 'LINE SEPARATOR', 'RLO', 'LRI', 'PAD (C1)'].map((n) => [n, FORBIDDEN.find(([k]) => k === n)![1]] as const);

  it.each(bad)('refuses %s in credential_name, query-design name, display_name and API-key name (422 naming the field)', async (_, ch) => {
    const admin = await createTestUser('admin');
    const h = admin.headers;
    const cases: [string, string, unknown, string][] = [
      ['POST', '/api/credentials', { ...serperBody(`cred${ch}name`) }, 'credential_name'],
      ['POST', '/api/query-designs', { name: `design${ch}name` }, 'name'],
      [
        'POST',
        '/api/users',
        { email: `u-${crypto.randomUUID().slice(0, 8)}@example.test`, password: 'a long enough password', display_name: `Dis${ch}play` },
        'display_name',
      ],
      ['PATCH', `/api/users/${admin.id}`, { display_name: `Dis${ch}play` }, 'display_name'],
      ['POST', '/api/api-keys', { name: `key${ch}name`, scope: 'collector' }, 'name'],
    ];
    for (const [method, path, body, field] of cases) {
      const res = await callJson(method, path, h, body);
      expect(res.status, `${method} ${path}`).toBe(422);
      expect(res.body.error.code).toBe('VALIDATION_FAILED');
      expect(res.body.error.details.field, `${method} ${path}`).toBe(field);
      // The refused value is never echoed.
      expect(res.text).not.toContain(ch);
    }
  });

  it('lets notes and descriptions keep newlines but refuses the rest of the list', async () => {
    const admin = await createTestUser('admin');
    const ok = await callJson('POST', '/api/credentials', admin.headers, { ...serperBody('notes ok'), notes: 'line 1\nline 2' });
    expect(ok.status).toBe(201);
    const design = await callJson('POST', '/api/query-designs', admin.headers, { name: 'desc ok', description: 'a\nb' });
    expect(design.status).toBe(201);
    for (const ch of ['\u2028', '\u202e', '\u0085', '\t']) {
      const notes = await callJson('POST', '/api/credentials', admin.headers, { ...serperBody('notes bad'), notes: `a${ch}b` });
      expect(notes.status).toBe(422);
      expect(notes.body.error.details.field).toBe('notes');
      const desc = await callJson('POST', '/api/query-designs', admin.headers, { name: 'desc bad', description: `a${ch}b` });
      expect(desc.status).toBe(422);
      expect(desc.body.error.details.field).toBe('description');
    }
  });

  it('refuses a pool task_id that is not one line', async () => {
    const { apiKeyHeaders } = await import('../support/auth.ts');
    const h = await apiKeyHeaders('collector');
    const res = await callJson('POST', '/api/pool/acquire', h, { platform: 'serper', tier: 'medium', task_id: 'task\u2028x' });
    expect(res.status).toBe(422);
    expect(res.body.error.details.field).toBe('task_id');
  });
});

describe('out-of-range paging is 422 everywhere', () => {
  it.each([
    ['/api/query-designs?limit=0', 'limit'],
    ['/api/query-designs?limit=201', 'limit'],
    ['/api/query-designs?offset=-1', 'offset'],
    ['/api/query-designs?limit=abc', 'limit'],
    ['/api/credentials?limit=0', 'limit'],
    ['/api/credentials?limit=201', 'limit'],
    ['/api/credentials?offset=x', 'offset'],
    ['/api/audit?limit=0', 'limit'],
    ['/api/audit?limit=201', 'limit'],
  ])('%s → 422 on %s', async (path, field) => {
    const admin = await createTestUser('admin');
    const res = await callJson('GET', path, admin.headers);
    expect(res.status).toBe(422);
    expect(res.body.error).toMatchObject({ code: 'VALIDATION_FAILED', details: { field } });
  });

  it('still serves the edges of the range', async () => {
    const admin = await createTestUser('admin');
    for (const path of ['/api/query-designs?limit=1', '/api/query-designs?limit=200&offset=0', '/api/credentials?limit=200', '/api/audit?limit=1']) {
      expect((await callJson('GET', path, admin.headers)).status, path).toBe(200);
    }
  });
});
