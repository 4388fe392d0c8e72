/**
 * Inline SVG charts for the self-contained HTML report: grouped bars (linear or log scale) and
 * lines over time. No scripts, no external assets; text is escaped.
 */

/** One colour per transport, the same in every chart. */
export const COLORS: Record<string, string> = {
  'short-polling': '#8c564b',
  'long-polling': '#ff7f0e',
  sse: '#2ca02c',
  websocket: '#1f77b4',
  stomp: '#9467bd',
};
const SERIES_COLORS = ['#4e79a7', '#f28e2b', '#e15759', '#76b7b2', '#59a14f'];

export function esc(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function niceMax(v: number): number {
  if (!(v > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

function label(v: number): string {
  if (v === 0) return '0';
  if (Math.abs(v) >= 1e6) return `${+(v / 1e6).toFixed(1)}M`;
  if (Math.abs(v) >= 1e3) return `${+(v / 1e3).toFixed(1)}k`;
  if (Math.abs(v) < 0.01) return v.toExponential(0);
  return String(+v.toPrecision(3));
}

/** A bar chart: one group per category, one bar per series. */
export interface BarChart {
  title: string;
  unit: string;
  categories: string[];
  series: { name: string; values: (number | null)[] }[];
  log?: boolean;
  /** Colour bars by category (transport) instead of by series. */
  colorByCategory?: boolean;
  format?: (v: number) => string;
}

export function barChart(c: BarChart): string {
  const W = 640;
  const H = 260;
  const left = 56;
  const bottom = 40;
  const top = 28;
  const plotH = H - top - bottom;
  const plotW = W - left - 12;
  const values = c.series.flatMap((s) => s.values).filter((v): v is number => v !== null && Number.isFinite(v));
  const fmt = c.format ?? label;
  let y: (v: number) => number;
  let ticks: number[];
  if (c.log) {
    const positive = values.filter((v) => v > 0);
    const lo = 10 ** Math.floor(Math.log10(Math.min(...positive, 1)));
    const hi = 10 ** Math.ceil(Math.log10(Math.max(...positive, lo * 10)));
    y = (v) => top + plotH - ((Math.log10(Math.max(v, lo)) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo))) * plotH;
    ticks = [];
    for (let t = lo; t <= hi * 1.0001; t *= 10) ticks.push(t);
  } else {
    const max = niceMax(Math.max(...values, 0));
    y = (v) => top + plotH - (v / max) * plotH;
    ticks = [0, 0.25, 0.5, 0.75, 1].map((f) => f * max);
  }
  const group = plotW / Math.max(1, c.categories.length);
  const barW = Math.max(4, Math.min(36, (group * 0.8) / Math.max(1, c.series.length)));
  const parts: string[] = [`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="${esc(c.title)}">`];
  parts.push(`<text x="${W / 2}" y="16" text-anchor="middle" font-size="13" font-weight="600">${esc(c.title)}</text>`);
  for (const t of ticks) {
    const ty = y(t);
    parts.push(`<line x1="${left}" x2="${W - 12}" y1="${ty}" y2="${ty}" stroke="#ddd"/><text x="${left - 4}" y="${ty + 4}" text-anchor="end" font-size="10">${esc(fmt(t))}</text>`);
  }
  parts.push(`<text x="12" y="${top + plotH / 2}" font-size="10" transform="rotate(-90 12 ${top + plotH / 2})" text-anchor="middle">${esc(c.unit)}</text>`);
  c.categories.forEach((cat, i) => {
    const gx = left + i * group + (group - barW * c.series.length) / 2;
    c.series.forEach((s, j) => {
      const v = s.values[i];
      const color = c.colorByCategory ? (COLORS[cat] ?? SERIES_COLORS[i % 5]) : SERIES_COLORS[j % SERIES_COLORS.length];
      if (v === null || v === undefined || !Number.isFinite(v)) {
        parts.push(`<text x="${gx + j * barW + barW / 2}" y="${top + plotH - 4}" text-anchor="middle" font-size="9">n/a</text>`);
        return;
      }
      const by = y(v);
      parts.push(
        `<rect x="${gx + j * barW}" y="${by}" width="${barW - 2}" height="${Math.max(0, top + plotH - by)}" fill="${color}"${c.colorByCategory ? '' : ` opacity="${1 - j * 0.2}"`}><title>${esc(`${cat} ${s.name}: ${fmt(v)} ${c.unit}`)}</title></rect>`,
      );
    });
    parts.push(`<text x="${left + i * group + group / 2}" y="${H - bottom + 14}" text-anchor="middle" font-size="11">${esc(cat)}</text>`);
  });
  if (c.series.length > 1) {
    c.series.forEach((s, j) => {
      const lx = left + j * 90;
      parts.push(`<rect x="${lx}" y="${H - 14}" width="10" height="10" fill="${SERIES_COLORS[j % 5]}" opacity="${1 - j * 0.2}"/><text x="${lx + 14}" y="${H - 5}" font-size="10">${esc(s.name)}</text>`);
    });
  }
  parts.push('</svg>');
  return parts.join('');
}

/** A line chart over time, one line per series. */
export interface LineChart {
  title: string;
  xLabel: string;
  yLabel: string;
  series: { name: string; points: [number, number][] }[];
}

export function lineChart(c: LineChart): string {
  const W = 640;
  const H = 260;
  const left = 56;
  const top = 28;
  const bottom = 44;
  const plotW = W - left - 12;
  const plotH = H - top - bottom;
  const xs = c.series.flatMap((s) => s.points.map((p) => p[0]));
  const ys = c.series.flatMap((s) => s.points.map((p) => p[1])).filter(Number.isFinite);
  const xMax = niceMax(Math.max(...xs, 1));
  const yMax = niceMax(Math.max(...ys, 0));
  const x = (v: number) => left + (v / xMax) * plotW;
  const y = (v: number) => top + plotH - (v / yMax) * plotH;
  const parts: string[] = [`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="${esc(c.title)}">`];
  parts.push(`<text x="${W / 2}" y="16" text-anchor="middle" font-size="13" font-weight="600">${esc(c.title)}</text>`);
  for (const f of [0, 0.25, 0.5, 0.75, 1]) {
    const ty = y(f * yMax);
    parts.push(`<line x1="${left}" x2="${W - 12}" y1="${ty}" y2="${ty}" stroke="#ddd"/><text x="${left - 4}" y="${ty + 4}" text-anchor="end" font-size="10">${esc(label(f * yMax))}</text>`);
    const tx = x(f * xMax);
    parts.push(`<text x="${tx}" y="${top + plotH + 14}" text-anchor="middle" font-size="10">${esc(label(f * xMax))}</text>`);
  }
  parts.push(`<text x="${left + plotW / 2}" y="${top + plotH + 28}" text-anchor="middle" font-size="10">${esc(c.xLabel)}</text>`);
  parts.push(`<text x="12" y="${top + plotH / 2}" font-size="10" transform="rotate(-90 12 ${top + plotH / 2})" text-anchor="middle">${esc(c.yLabel)}</text>`);
  c.series.forEach((s, i) => {
    const color = COLORS[s.name] ?? SERIES_COLORS[i % 5];
    const d = s.points.filter((p) => Number.isFinite(p[1])).map((p, k) => `${k ? 'L' : 'M'}${x(p[0]).toFixed(1)},${y(p[1]).toFixed(1)}`).join('');
    if (d) parts.push(`<path d="${d}" fill="none" stroke="${color}" stroke-width="1.8"><title>${esc(s.name)}</title></path>`);
    const lx = left + i * 110;
    parts.push(`<rect x="${lx}" y="${H - 12}" width="10" height="10" fill="${color}"/><text x="${lx + 14}" y="${H - 3}" font-size="10">${esc(s.name)}</text>`);
  });
  parts.push('</svg>');
  return parts.join('');
}
