/**
 * Small accessible usage plots, server-rendered (issue 23): an SVG of units
 * per UTC day as bars, with the daily quota as a dashed line when there is
 * one, and the same numbers in a table behind a <details> disclosure. No
 * script. The SVG is `role="img"` and labelled by its <title> and <desc>
 * (the desc says the range, the peak and the quota in words), so a screen
 * reader gets the gist and the table the detail.
 *
 * Pure: `plotGeometry` computes the bars and the quota line; `UsagePlot`
 * renders them with hono/jsx. No I/O.
 */
import type { UsageDay } from './history.ts';

export const PLOT_WIDTH = 320;
export const PLOT_HEIGHT = 100;
const PAD_TOP = 8;
const PAD_BOTTOM = 4;

export interface Bar {
  date: string;
  units: number;
  x: number;
  y: number;
  width: number;
  height: number;
  overQuota: boolean;
}

export interface PlotGeometry {
  bars: Bar[];
  /** The quota line's y, or null without a quota. */
  quotaY: number | null;
  /** The value at the top of the scale. */
  max: number;
}

/** Bars of units per day scaled so the highest bar and the quota line both fit. */
export function plotGeometry(days: readonly UsageDay[], quota: number | null): PlotGeometry {
  const max = Math.max(1, quota ?? 0, ...days.map((d) => d.units));
  const inner = PLOT_HEIGHT - PAD_TOP - PAD_BOTTOM;
  const step = days.length ? PLOT_WIDTH / days.length : PLOT_WIDTH;
  const width = Math.max(1, step * 0.8);
  const y = (value: number) => PAD_TOP + inner - (value / max) * inner;
  const bars = days.map((d, i) => {
    const top = y(d.units);
    return {
      date: d.date,
      units: d.units,
      x: round(i * step + (step - width) / 2),
      y: round(top),
      width: round(width),
      height: round(PAD_TOP + inner - top),
      overQuota: quota !== null && d.units > quota,
    };
  });
  return { bars, quotaY: quota === null ? null : round(y(quota)), max };
}

const round = (n: number) => Math.round(n * 100) / 100;

/** The plot's description in words (the SVG's <desc>). */
export function plotDescription(days: readonly UsageDay[], quota: number | null): string {
  if (!days.length) return 'No days to show.';
  const total = days.reduce((s, d) => s + d.units, 0);
  const peak = days.reduce((p, d) => (d.units > p.units ? d : p), days[0]!);
  const range = `${days.length} days from ${days[0]!.date} to ${days[days.length - 1]!.date}`;
  const quotaText = quota === null ? 'No daily quota is set.' : `Daily quota: ${quota} units; ${days.filter((d) => d.units > quota).length} days above it.`;
  return `Units used per day over ${range}: ${total} in total, at most ${peak.units} (on ${peak.date}). ${quotaText}`;
}

export interface UsagePlotProps {
  /** Unique on the page: the SVG's title and desc ids derive from it. */
  id: string;
  title: string;
  days: readonly UsageDay[];
  quota: number | null;
}

export function UsagePlot({ id, title, days, quota }: UsagePlotProps) {
  const g = plotGeometry(days, quota);
  return (
    <figure class="plot">
      <svg
        role="img"
        aria-labelledby={`${id}-title ${id}-desc`}
        viewBox={`0 0 ${PLOT_WIDTH} ${PLOT_HEIGHT}`}
        width={PLOT_WIDTH}
        height={PLOT_HEIGHT}
        xmlns="http://www.w3.org/2000/svg"
      >
        <title id={`${id}-title`}>{title}</title>
        <desc id={`${id}-desc`}>{plotDescription(days, quota)}</desc>
        <rect x="0" y="0" width={PLOT_WIDTH} height={PLOT_HEIGHT} fill="none" stroke="currentColor" stroke-opacity="0.3" />
        {g.bars.map((b) => (
          <rect class={b.overQuota ? 'bar over' : 'bar'} x={b.x} y={b.y} width={b.width} height={b.height} fill={b.overQuota ? '#b3261e' : '#1f5fbf'} />
        ))}
        {g.quotaY !== null && (
          <line class="quota" x1="0" x2={PLOT_WIDTH} y1={g.quotaY} y2={g.quotaY} stroke="#6b4e00" stroke-width="1.5" stroke-dasharray="4 3" />
        )}
      </svg>
      <figcaption>
        {title}
        {quota !== null ? ` (dashed line: daily quota ${quota})` : ''}
      </figcaption>
      <details>
        <summary>Data table: {title}</summary>
        <div class="table-wrap">
          <table>
            <caption>{title}</caption>
            <thead>
              <tr>
                <th scope="col">Date (UTC)</th>
                <th scope="col">Leases</th>
                <th scope="col">Units</th>
                <th scope="col">Rate limited</th>
                <th scope="col">Auth failed</th>
                <th scope="col">Quota exhausted</th>
                <th scope="col">Other errors</th>
              </tr>
            </thead>
            <tbody>
              {days.map((d) => (
                <tr>
                  <th scope="row">{d.date}</th>
                  <td>{d.leases}</td>
                  <td>{d.units}</td>
                  <td>{d.errors.rate_limited}</td>
                  <td>{d.errors.auth_failed}</td>
                  <td>{d.errors.quota_exhausted}</td>
                  <td>{d.errors.other}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </details>
    </figure>
  );
}
