import { describe, expect, it } from 'vitest';
import { PURGE_CONFIRMATION, PurgeBody, PurgeForm, arenasDisabledBy, locateArena, lostPlatformTiers } from '../../src/recovery/plan.ts';
import { parseOrThrow, parseWith } from '../../src/schema/validate.ts';

const fields = (schema: Parameters<typeof parseWith>[0], input: unknown) => {
  const r = parseWith(schema, input);
  if (r.ok) throw new Error('expected a 422');
  return r.problems.map((p) => p.field);
};

describe('PurgeBody', () => {
  it('needs the exact phrase and one scope, and names every problem', () => {
    expect(parseOrThrow(PurgeBody, { confirm: PURGE_CONFIRMATION, scope: 'all' })).toEqual({ kind: 'all' });
    expect(parseOrThrow(PurgeBody, { confirm: PURGE_CONFIRMATION, key_ids: ['0123456789abcdef', '0123456789abcdef'] })).toEqual({
      kind: 'key_ids',
      keyIds: ['0123456789abcdef'],
    });
    expect(parseOrThrow(PurgeBody, { confirm: PURGE_CONFIRMATION, scope: 'key_ids', key_ids: ['0123456789abcdef'] })).toEqual({
      kind: 'key_ids',
      keyIds: ['0123456789abcdef'],
    });
    expect(fields(PurgeBody, { confirm: PURGE_CONFIRMATION.toLowerCase(), scope: 'all' })).toEqual(['confirm']);
    expect(fields(PurgeBody, { confirm: PURGE_CONFIRMATION })).toEqual(['scope']);
    expect(fields(PurgeBody, { confirm: PURGE_CONFIRMATION, key_ids: ['nope'] })).toEqual(['key_ids.0']);
    expect(fields(PurgeBody, { confirm: PURGE_CONFIRMATION, key_ids: [], scope: 'all' })).toEqual(['key_ids', 'scope']);
    expect(fields(PurgeBody, { confirm: PURGE_CONFIRMATION, key_ids: ['0123456789abcdef'], scope: 'all' })).toEqual(['scope']);
    expect(fields(PurgeBody, { confirm: PURGE_CONFIRMATION, scope: 'all', force: true })).toEqual(['force']);
    // Every problem at once: a wrong phrase does not hide the missing scope.
    expect(fields(PurgeBody, { confirm: 'purge' })).toEqual(['confirm', 'scope']);
  });

  it('reads the page form (radio scope, typed phrase) as the same body', () => {
    expect(parseOrThrow(PurgeForm, { scope: 'all', confirm: ` ${PURGE_CONFIRMATION} ` })).toEqual({ kind: 'all' });
    expect(parseOrThrow(PurgeForm, { scope: 'key:0123456789abcdef', confirm: PURGE_CONFIRMATION })).toEqual({ kind: 'key_ids', keyIds: ['0123456789abcdef'] });
    const r = parseWith(PurgeForm, { scope: 'all', confirm: 'yes please' });
    expect(r.ok ? [] : r.problems).toEqual([{ field: 'confirm', message: `must be the confirmation phrase, typed exactly: ${PURGE_CONFIRMATION}` }]);
  });
});

describe('what a purge takes away', () => {
  const rows = [
    { id: 1, platform: 'serper', tier: 'medium', key_id: 'lost', is_active: 1 },
    { id: 2, platform: 'youtube', tier: 'free', key_id: 'lost', is_active: 1 },
    { id: 3, platform: 'youtube', tier: 'free', key_id: 'cur', is_active: 1 },
    { id: 4, platform: 'reddit', tier: 'free', key_id: 'lost', is_active: 1 },
    { id: 5, platform: 'reddit', tier: 'free', key_id: 'cur', is_active: 0 },
  ];
  const readable = (r: { key_id: string }) => r.key_id === 'cur';

  it('loses a platform+tier only when no active readable row of it remains', () => {
    expect([...lostPlatformTiers(rows, new Set([1, 2, 4]), readable)].sort()).toEqual(['reddit:free', 'serper:medium']);
  });

  it('disables the enabled entries of every design that draw on a lost pair', () => {
    const designs = [
      {
        id: 1,
        arenas_config: JSON.stringify({
          arenas: [
            { id: 'google_search', enabled: true, tier: 'medium' },
            { id: 'youtube', enabled: true, tier: 'free' },
          ],
        }),
      },
      {
        id: 2,
        arenas_config: JSON.stringify({
          arenas: [
            { id: 'reddit', enabled: false, tier: 'free' },
            { id: 'google_autocomplete', enabled: true, tier: 'free' },
          ],
        }),
      },
      { id: 3, arenas_config: 'not json' },
    ];
    expect(arenasDisabledBy(designs, new Set(['serper:medium', 'reddit:free']))).toEqual([{ query_design_id: 1, arena: 'google_search', tier: 'medium' }]);
    expect(locateArena(designs[1]!.arenas_config, 'google_autocomplete', 'free')).toEqual({ index: 1, enabled: true });
    expect(locateArena(designs[1]!.arenas_config, 'google_autocomplete', 'medium')).toBeNull();
  });
});
