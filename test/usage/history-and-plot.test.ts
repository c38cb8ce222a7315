import { describe, expect, it } from 'vitest';
import { emptyDay, fillDays, usageCsv, utcDay, type UsageDay } from '../../src/usage/history.ts';
import { PLOT_HEIGHT, UsagePlot, plotDescription, plotGeometry } from '../../src/usage/plot.tsx';

const NOW = Date.UTC(2026, 11, 7, 12, 0, 0);
const day = (date: string, units: number, over: Partial<UsageDay> = {}): UsageDay => ({ ...emptyDay(date), units, leases: units, ...over });

describe('usage history (pure)', () => {
  it('fills the last N UTC days, oldest first, sums rows of the same date and zeroes the rest', () => {
    const rows = [
      day('2026-12-05', 2),
      day('2026-12-07', 1),
      day('2026-12-07', 3, { errors: { rate_limited: 1, auth_failed: 0, quota_exhausted: 0, other: 2 } }),
    ];
    const days = fillDays(rows, 3, NOW);
    expect(days.map((d) => d.date)).toEqual(['2026-12-05', '2026-12-06', '2026-12-07']);
    expect(days.map((d) => d.units)).toEqual([2, 0, 4]);
    expect(days[2]!.errors).toEqual({ rate_limited: 1, auth_failed: 0, quota_exhausted: 0, other: 2 });
    expect(utcDay(Date.UTC(2026, 11, 7, 23, 59, 59))).toBe('2026-12-07');
  });

  it('writes the same days as CSV with a header', () => {
    const csv = usageCsv([day('2026-12-06', 5, { errors: { rate_limited: 1, auth_failed: 2, quota_exhausted: 3, other: 4 } })]);
    expect(csv).toBe('date,leases,units,errors_rate_limited,errors_auth_failed,errors_quota_exhausted,errors_other\r\n2026-12-06,5,5,1,2,3,4\r\n');
  });
});

describe('usage plot (SVG + table)', () => {
  const days = [day('2026-12-05', 10), day('2026-12-06', 30), day('2026-12-07', 0)];

  it('scales bars so the peak and the quota line fit, and marks days over the quota', () => {
    const g = plotGeometry(days, 20);
    expect(g.max).toBe(30);
    expect(g.bars).toHaveLength(3);
    expect(g.bars[1]!.y).toBeLessThan(g.bars[0]!.y);
    expect(g.bars[2]!.height).toBe(0);
    expect(g.bars.map((b) => b.overQuota)).toEqual([false, true, false]);
    expect(g.quotaY).toBeGreaterThan(g.bars[1]!.y);
    expect(g.quotaY).toBeLessThan(PLOT_HEIGHT);
    expect(plotGeometry(days, null).quotaY).toBeNull();
  });

  it('renders an accessible SVG (role img, title, desc) and the data table behind a disclosure, with no script', () => {
    const html = String(UsagePlot({ id: 'p1', title: 'Units per day: test', days, quota: 20 }));
    expect(html).toContain('role="img"');
    expect(html).toContain('aria-labelledby="p1-title p1-desc"');
    expect(html).toMatch(/<title id="p1-title">Units per day: test<\/title>/);
    expect(html).toContain(`<desc id="p1-desc">${plotDescription(days, 20)}</desc>`);
    expect(plotDescription(days, 20)).toContain('40 in total, at most 30 (on 2026-12-06). Daily quota: 20 units; 1 days above it.');
    expect(html).toContain('class="quota"');
    expect((html.match(/class="bar( over)?"/g) ?? []).length).toBe(3);
    expect(html).toMatch(/<details><summary>Data table: Units per day: test<\/summary>/);
    expect(html).toContain('<th scope="row">2026-12-06</th><td>30</td><td>30</td>');
    expect(html).not.toContain('<script');
  });
});
