import { describe, expect, it } from 'vitest';
import { arenasToDisable, parseArenasConfig, setArenasEnabled } from '../../src/arenas/arenas-config.ts';
import { parseQueryDesign } from '../../src/arenas/query-design-input.ts';
import { VaultError } from '../../src/errors.ts';

function fieldOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(VaultError);
    expect((e as VaultError).status).toBe(422);
    return (e as VaultError).details?.field as string;
  }
  throw new Error('expected a 422');
}

describe('parseArenasConfig', () => {
  it('accepts registry arenas with tiers they offer', () => {
    const c = parseArenasConfig({
      arenas: [
        { id: 'google_search', enabled: true, tier: 'medium' },
        { id: 'gdelt', enabled: false, tier: 'free' },
      ],
    });
    expect(c.arenas).toHaveLength(2);
  });

  it('refuses an unknown arena, a tier the arena lacks, duplicates and malformed entries, naming the entry', () => {
    expect(fieldOf(() => parseArenasConfig({ arenas: [{ id: 'myspace', enabled: true, tier: 'free' }] }))).toBe('arenas_config.arenas[0].id');
    expect(fieldOf(() => parseArenasConfig({ arenas: [{ id: 'google_search', enabled: true, tier: 'free' }] }))).toBe('arenas_config.arenas[0].tier');
    expect(fieldOf(() => parseArenasConfig({ arenas: [{ id: 'majestic', enabled: true, tier: 'gold' }] }))).toBe('arenas_config.arenas[0].tier');
    expect(fieldOf(() => parseArenasConfig({ arenas: [{ id: 'reddit', enabled: true, tier: 'free' }, { id: 'reddit', enabled: false, tier: 'free' }] }))).toBe('arenas_config.arenas[1].id');
    expect(fieldOf(() => parseArenasConfig({ arenas: [{ id: 'reddit', enabled: 'yes', tier: 'free' }] }))).toBe('arenas_config.arenas[0].enabled');
    expect(fieldOf(() => parseArenasConfig({ arenas: [{ id: 'reddit', enabled: true, tier: 'free', extra: 1 }] }))).toBe('arenas_config.arenas[0].extra');
    expect(fieldOf(() => parseArenasConfig({ arenas: 'all' }))).toBe('arenas_config.arenas');
    expect(fieldOf(() => parseArenasConfig([]))).toBe('arenas_config');
    expect(fieldOf(() => parseArenasConfig({ arenas: [], more: true }))).toBe('arenas_config.more');
  });
});

describe('parseQueryDesign', () => {
  it('requires a one-line name on create, allows partial updates, refuses unknown keys', () => {
    expect(parseQueryDesign({ name: '  Elections 2026 ' }, false)).toEqual({ name: 'Elections 2026' });
    expect(fieldOf(() => parseQueryDesign({}, false))).toBe('name');
    expect(fieldOf(() => parseQueryDesign({ name: 'a\nb' }, false))).toBe('name');
    expect(fieldOf(() => parseQueryDesign({ name: 'x'.repeat(121) }, false))).toBe('name');
    expect(parseQueryDesign({ description: 'd' }, true)).toEqual({ description: 'd' });
    expect(fieldOf(() => parseQueryDesign({ owner_id: 3 }, true))).toBe('owner_id');
  });
});

describe('recovery edits', () => {
  const config = parseArenasConfig({
    arenas: [
      { id: 'google_search', enabled: true, tier: 'medium' },
      { id: 'google_autocomplete', enabled: true, tier: 'medium' },
      { id: 'x_twitter', enabled: true, tier: 'premium' },
      { id: 'youtube', enabled: false, tier: 'free' },
      { id: 'gdelt', enabled: true, tier: 'free' },
    ],
  });

  it('disables exactly the enabled arenas drawing on a lost platform at that tier', () => {
    const lost = new Set(['serper:medium', 'youtube:free', 'x_twitter:medium']);
    expect(arenasToDisable(7, config, lost)).toEqual([
      { query_design_id: 7, arena: 'google_search', tier: 'medium' },
      { query_design_id: 7, arena: 'google_autocomplete', tier: 'medium' },
    ]);
  });

  it('toggles only the named entries', () => {
    const off = setArenasEnabled(config, [{ arena: 'google_search', tier: 'medium' }], false);
    expect(off.arenas.map((a) => a.enabled)).toEqual([false, true, true, false, true]);
    const back = setArenasEnabled(off, [{ arena: 'google_search', tier: 'medium' }], true);
    expect(back).toEqual(config);
  });
});
