import { describe, expect, it } from 'vitest';
import { PURGE_CONFIRMATION, arenasDisabledBy, locateArena, lostPlatformTiers, parsePurgeRequest } from '../../src/recovery/plan.ts';
import { VaultError } from '../../src/errors.ts';

const field = (fn: () => unknown) => {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(VaultError);
    return (e as VaultError).details?.field;
  }
  throw new Error('expected a 422');
};

describe('parsePurgeRequest', () => {
  it('needs the exact phrase and one scope', () => {
    expect(parsePurgeRequest({ confirm: PURGE_CONFIRMATION, scope: 'all' })).toEqual({ kind: 'all' });
    expect(parsePurgeRequest({ confirm: PURGE_CONFIRMATION, key_ids: ['0123456789abcdef', '0123456789abcdef'] })).toEqual({ kind: 'key_ids', keyIds: ['0123456789abcdef'] });
    expect(field(() => parsePurgeRequest({ confirm: PURGE_CONFIRMATION.toLowerCase(), scope: 'all' }))).toBe('confirm');
    expect(field(() => parsePurgeRequest({ confirm: PURGE_CONFIRMATION }))).toBe('scope');
    expect(field(() => parsePurgeRequest({ confirm: PURGE_CONFIRMATION, key_ids: ['nope'] }))).toBe('key_ids');
    expect(field(() => parsePurgeRequest({ confirm: PURGE_CONFIRMATION, key_ids: [], scope: 'all' }))).toBe('scope');
    expect(field(() => parsePurgeRequest({ confirm: PURGE_CONFIRMATION, scope: 'all', force: true }))).toBe('force');
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
      { id: 1, arenas_config: JSON.stringify({ arenas: [{ id: 'google_search', enabled: true, tier: 'medium' }, { id: 'youtube', enabled: true, tier: 'free' }] }) },
      { id: 2, arenas_config: JSON.stringify({ arenas: [{ id: 'reddit', enabled: false, tier: 'free' }, { id: 'google_autocomplete', enabled: true, tier: 'free' }] }) },
      { id: 3, arenas_config: 'not json' },
    ];
    expect(arenasDisabledBy(designs, new Set(['serper:medium', 'reddit:free']))).toEqual([{ query_design_id: 1, arena: 'google_search', tier: 'medium' }]);
    expect(locateArena(designs[1]!.arenas_config, 'google_autocomplete', 'free')).toEqual({ index: 1, enabled: true });
    expect(locateArena(designs[1]!.arenas_config, 'google_autocomplete', 'medium')).toBeNull();
  });
});
