/**
 * Memory per connection as the slope of memory against connections held. Two reads (the capacity
 * scenario's old method: at C/2 and at C) put all the noise of two instants into one figure: a
 * semi-space grown or shrunk, a malloc arena that grew in one step, V8 pages not yet unmapped. A
 * least-squares line through several reads, each after a full GC, spreads that noise over all of
 * them, and its residuals say how far the reads were from a line.
 */

/** One read: connections held and bytes of some memory figure. */
export interface MemoryPoint {
  connections: number;
  bytes: number;
}

/** Least-squares line bytes = intercept + slope * connections. */
export interface MemoryFit {
  /** Bytes per connection. */
  slope: number;
  intercept: number;
  /** Standard error of the slope (bytes per connection); null with fewer than 3 points. */
  slopeStdError: number | null;
  /** Coefficient of determination; null when every read is the same. */
  r2: number | null;
  points: number;
}

/** The least-squares slope through the points, or null with fewer than 2 distinct connection counts. */
export function fitPerConnection(points: readonly MemoryPoint[]): MemoryFit | null {
  const n = points.length;
  if (n < 2) return null;
  const mx = points.reduce((s, p) => s + p.connections, 0) / n;
  const my = points.reduce((s, p) => s + p.bytes, 0) / n;
  let sxx = 0;
  let sxy = 0;
  let syy = 0;
  for (const p of points) {
    const dx = p.connections - mx;
    const dy = p.bytes - my;
    sxx += dx * dx;
    sxy += dx * dy;
    syy += dy * dy;
  }
  if (sxx === 0) return null;
  const slope = sxy / sxx;
  const intercept = my - slope * mx;
  const residual = points.reduce((s, p) => s + (p.bytes - intercept - slope * p.connections) ** 2, 0);
  return {
    slope,
    intercept,
    slopeStdError: n > 2 ? Math.sqrt(residual / (n - 2) / sxx) : null,
    r2: syy === 0 ? null : 1 - residual / syy,
    points: n,
  };
}

/** The connection counts to read at: `steps` equal steps up to `total` (the last is `total`). */
export function stepCounts(total: number, steps: number): number[] {
  const k = Math.max(1, Math.min(Math.floor(steps), total));
  return Array.from({ length: k }, (_, i) => Math.round(((i + 1) * total) / k));
}
