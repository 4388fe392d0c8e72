/** Number formatting shared by the Markdown, HTML and console writers. */

/** ms with sensible precision; '-' for null. */
export function ms(v: number | null | undefined): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '-';
  return v < 10 ? v.toFixed(2) : v < 100 ? v.toFixed(1) : Math.round(v).toLocaleString('en-US');
}

/** A ratio as a percentage with enough digits to tell 99.9 from 100. */
export function pct(v: number | null | undefined): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '-';
  if (v === 1) return '100 %';
  return `${(Math.floor(v * 10000) / 100).toFixed(2)} %`;
}

/** An integer with thousands separators. */
export function int(v: number | null | undefined): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '-';
  return Math.round(v).toLocaleString('en-US');
}

/** A number with `digits` decimals. */
export function fixed(v: number | null | undefined, digits = 2): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '-';
  return v.toFixed(digits);
}

/** Bytes as B / KB / MB (1024-based; KB is what "KB per connection" means here). */
export function bytes(v: number | null | undefined): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '-';
  const a = Math.abs(v);
  if (a >= 1024 * 1024 * 1024) return `${(v / 1024 ** 3).toFixed(2)} GB`;
  if (a >= 1024 * 1024) return `${(v / 1024 ** 2).toFixed(1)} MB`;
  if (a >= 1024) return `${(v / 1024).toFixed(1)} KB`;
  return `${Math.round(v)} B`;
}

/** A Markdown/console table from a header and rows. */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => (c ?? '').padEnd(widths[i]!)).join(' | ')} |`;
  return [line(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)].join('\n');
}
