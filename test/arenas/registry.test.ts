// The arena registry is the single source of truth; these checks keep it
// internally consistent and faithful to the original platform's mapping.
import { describe, expect, it } from 'vitest';
import {
  ARENA_IDS,
  ARENAS,
  PLATFORM_IDS,
  PLATFORMS,
  TIERS,
  arenaTiers,
  getArena,
  getPlatform,
  isArenaId,
  isPlatformId,
  isTier,
  platformsForArena,
} from '../../src/arenas/registry.ts';

const fieldNames = (p: string) => getPlatform(p)!.fields.map((f) => f.name);

describe('platforms', () => {
  it('lists every platform of the original with its fields', () => {
    expect(Object.fromEntries(PLATFORM_IDS.map((p) => [p, fieldNames(p)]))).toEqual({
      serper: ['api_key'],
      serpapi: ['api_key'],
      twitterapi_io: ['api_key'],
      x_twitter: ['bearer_token', 'api_key', 'api_secret'],
      brightdata_facebook: ['api_token'],
      brightdata_instagram: ['api_token'],
      event_registry: ['api_key'],
      openrouter: ['api_key'],
      majestic: ['api_key'],
      threads: ['access_token'],
      youtube: ['api_key'],
      reddit: ['client_id', 'client_secret', 'user_agent'],
      tiktok: ['client_key', 'client_secret'],
      telegram: ['api_id', 'api_hash', 'session_string'],
      bluesky: ['handle', 'app_password'],
      gab: ['access_token'],
      discord: ['bot_token'],
      twitch: ['client_id', 'client_secret'],
    });
  });

  it("marks Reddit's user_agent as not secret and its client_secret as secret without hint", () => {
    const reddit = Object.fromEntries(PLATFORMS.reddit.fields.map((f) => [f.name, f]));
    expect(reddit.user_agent!.secret).toBe(false);
    expect(reddit.client_secret!.secret).toBe(true);
    expect(reddit.client_secret!.hint).toBe(false);
  });

  it('never hints passwords or session strings', () => {
    for (const p of PLATFORM_IDS) {
      for (const f of PLATFORMS[p].fields) {
        if (/password|session|secret|hash/.test(f.name)) expect(f.hint, `${p}.${f.name}`).toBe(false);
        if (!f.secret) expect(f.hint, `${p}.${f.name}`).toBe(false);
      }
    }
  });

  it('gives every field sane length bounds and unique names', () => {
    for (const p of PLATFORM_IDS) {
      const names = fieldNames(p);
      expect(new Set(names).size).toBe(names.length);
      for (const f of PLATFORMS[p].fields) {
        expect(f.minLength).toBeGreaterThanOrEqual(1);
        expect(f.maxLength).toBeGreaterThan(f.minLength);
        expect(f.maxLength).toBeLessThanOrEqual(4096);
      }
    }
  });

  it('looks up by id and rejects unknown or inherited names', () => {
    expect(getPlatform('serper')?.label).toContain('Serper');
    expect(getPlatform('nope')).toBeUndefined();
    expect(getPlatform('toString')).toBeUndefined();
    expect(isPlatformId('__proto__')).toBe(false);
    expect(isTier('medium')).toBe(true);
    expect(isTier('gold')).toBe(false);
  });
});

describe('arenas', () => {
  it('maps Google Search to serper at medium and serpapi at premium', () => {
    expect(platformsForArena('google_search', 'medium')).toEqual(['serper']);
    expect(platformsForArena('google_search', 'premium')).toEqual(['serpapi']);
    expect(platformsForArena('google_search', 'free')).toEqual([]);
    expect(arenaTiers('google_search')).toEqual(['medium', 'premium']);
    expect(platformsForArena('google_autocomplete', 'medium')).toEqual(['serper']);
    expect(platformsForArena('google_autocomplete', 'premium')).toEqual(['serpapi']);
  });

  it('maps X/Twitter, Meta and AI chat search to their providers', () => {
    expect(platformsForArena('x_twitter', 'medium')).toEqual(['twitterapi_io']);
    expect(platformsForArena('x_twitter', 'premium')).toEqual(['x_twitter']);
    expect(platformsForArena('facebook', 'medium')).toEqual(['brightdata_facebook']);
    expect(platformsForArena('instagram', 'medium')).toEqual(['brightdata_instagram']);
    expect(platformsForArena('ai_chat_search', 'medium')).toEqual(['openrouter']);
  });

  it('lists the keyless arenas as needing no credentials', () => {
    const keyless = ARENA_IDS.filter((a) => !ARENAS[a].needsCredentials);
    expect(keyless.sort()).toEqual(['common_crawl', 'gdelt', 'rss_feeds', 'wayback', 'wikipedia']);
    for (const a of keyless) expect(platformsForArena(a, 'free')).toEqual([]);
  });

  it('only maps arena tiers to platforms that support that tier', () => {
    for (const a of ARENA_IDS) {
      expect(arenaTiers(a).length, a).toBeGreaterThan(0);
      for (const t of TIERS) {
        for (const p of platformsForArena(a, t)) {
          expect(isPlatformId(p), `${a}/${t} → ${p}`).toBe(true);
          expect(PLATFORMS[p].tiers, `${a}/${t} → ${p}`).toContain(t);
        }
      }
    }
  });

  it('uses every tier of every platform in some arena (no orphan credentials)', () => {
    for (const p of PLATFORM_IDS) {
      for (const t of PLATFORMS[p].tiers) {
        expect(ARENA_IDS.filter((a) => platformsForArena(a, t).includes(p)).length, `${p}/${t}`).toBeGreaterThan(0);
      }
    }
  });

  it('answers lookups by arena and tier', () => {
    expect(platformsForArena('google_search', 'medium')).toEqual(['serper']);
    expect(getArena('gdelt')?.needsCredentials).toBe(false);
    expect(getArena('constructor')).toBeUndefined();
    expect(isArenaId('reddit')).toBe(true);
    expect(platformsForArena('nope', 'free')).toEqual([]);
  });
});
