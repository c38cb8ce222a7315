import { describe, expect, it } from 'vitest';
import { ArenasConfigSchema, arenasToDisable, readStoredArenasConfig, setArenasEnabled } from '../../src/arenas/arenas-config.ts';
import { QueryDesignCreateBody, QueryDesignPatchBody } from '../../src/query-designs/input.ts';
import { parseOrThrow, parseWith } from '../../src/schema/validate.ts';

/** The fields named by the 422 a body gets (every problem, in order). */
function fieldsOf(schema: Parameters<typeof parseWith>[0], input: unknown): string[] {
  const r = parseWith(schema, input);
  if (r.ok) throw new Error('expected a 422');
  return r.problems.map((p) => p.field);
}
const configFields = (arenas_config: unknown) => fieldsOf(QueryDesignCreateBody, { name: 'x', arenas_config });

describe('ArenasConfigSchema', () => {
  it('accepts registry arenas with tiers they offer', () => {
    const c = parseOrThrow(ArenasConfigSchema, {
      arenas: [
        { id: 'google_search', enabled: true, tier: 'medium' },
        { id: 'gdelt', enabled: false, tier: 'free' },
      ],
    });
    expect(c.arenas).toHaveLength(2);
  });

  it('refuses an unknown arena, a tier the arena lacks, duplicates and malformed entries, naming the entry', () => {
    expect(configFields({ arenas: [{ id: 'myspace', enabled: true, tier: 'free' }] })).toEqual(['arenas_config.arenas.0.id']);
    expect(configFields({ arenas: [{ id: 'google_search', enabled: true, tier: 'free' }] })).toEqual(['arenas_config.arenas.0.tier']);
    expect(configFields({ arenas: [{ id: 'majestic', enabled: true, tier: 'gold' }] })).toEqual(['arenas_config.arenas.0.tier']);
    expect(
      configFields({
        arenas: [
          { id: 'reddit', enabled: true, tier: 'free' },
          { id: 'reddit', enabled: false, tier: 'free' },
        ],
      }),
    ).toEqual(['arenas_config.arenas.1.id']);
    expect(configFields({ arenas: [{ id: 'reddit', enabled: 'yes', tier: 'free' }] })).toEqual(['arenas_config.arenas.0.enabled']);
    expect(configFields({ arenas: [{ id: 'reddit', enabled: true, tier: 'free', extra: 1 }] })).toEqual(['arenas_config.arenas.0.extra']);
    expect(configFields({ arenas: 'all' })).toEqual(['arenas_config.arenas']);
    expect(configFields([])).toEqual(['arenas_config.arenas']); // valibot reads a list as an object without `arenas`
    expect(configFields('all')).toEqual(['arenas_config']);
    expect(configFields({ arenas: [], more: true })).toEqual(['arenas_config.more']);
  });

  it("lists every problem, and names a tier only when it is one of the registry's", () => {
    const r = parseWith(QueryDesignCreateBody, {
      arenas_config: {
        arenas: [
          { id: 'majestic', enabled: true, tier: 'premium-secret-xyz' },
          { id: 'google_search', enabled: true, tier: 'free' },
        ],
      },
    });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.problems.map((p) => p.field)).toEqual(['name', 'arenas_config.arenas.0.tier', 'arenas_config.arenas.1.tier']);
    expect(r.problems[2]!.message).toBe('google_search has no tier free (it has medium, premium)');
    expect(JSON.stringify(r.problems)).not.toContain('secret-xyz');
  });

  it('reads a corrupt stored config as empty', () => {
    expect(readStoredArenasConfig('{"arenas":[{"id":"myspace"}]}')).toEqual({ arenas: [] });
    expect(readStoredArenasConfig('not json')).toEqual({ arenas: [] });
  });
});

describe('query design bodies', () => {
  it('requires a one-line name on create, allows partial updates, refuses unknown keys', () => {
    expect(parseOrThrow(QueryDesignCreateBody, { name: '  Elections 2026 ' })).toEqual({ name: 'Elections 2026' });
    expect(fieldsOf(QueryDesignCreateBody, {})).toEqual(['name']);
    expect(fieldsOf(QueryDesignCreateBody, { name: 'a\nb' })).toEqual(['name']);
    expect(fieldsOf(QueryDesignCreateBody, { name: 'x'.repeat(121) })).toEqual(['name']);
    expect(parseOrThrow(QueryDesignPatchBody, { description: 'd' })).toEqual({ description: 'd' });
    expect(parseOrThrow(QueryDesignPatchBody, { description: null })).toEqual({ description: '' });
    expect(fieldsOf(QueryDesignPatchBody, { owner_id: 3 })).toEqual(['owner_id']);
  });
});

describe('recovery edits', () => {
  const config = parseOrThrow(ArenasConfigSchema, {
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
