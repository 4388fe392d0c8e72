/**
 * The group map: an SVG with a coordinate grid, each member's trail and name at their latest position.
 * No tiles, no external requests. Built with DOM calls (names are text nodes, never markup).
 */

const SVG = 'http://www.w3.org/2000/svg';
/** Points kept per member's trail, and members drawn. */
export const TRAIL_KEPT = 60;
export const MEMBERS_KEPT = 200;
/** Colours with at least 4.5:1 contrast on white, for names and trails. */
const PALETTE = ['#1f5fae', '#b3261e', '#1b7c3a', '#7a3fa0', '#a34d00', '#00707a', '#8e2a66', '#4a5a12'];

/** One member on the map. */
export interface Member {
  user: string;
  trail: { lat: number; lng: number; at: number }[];
}

export function colorOf(user: string): string {
  let h = 0;
  for (let i = 0; i < user.length; i++) h = (h * 31 + user.charCodeAt(i)) >>> 0;
  return PALETTE[h % PALETTE.length]!;
}

/** A step for grid lines giving about 4-8 lines over `span` degrees. */
export function gridStep(span: number): number {
  const raw = span / 5;
  const p = 10 ** Math.floor(Math.log10(raw));
  for (const m of [1, 2, 5, 10]) if (m * p >= raw) return m * p;
  return 10 * p;
}

function node<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string | number>, parent: Element): SVGElementTagNameMap[K] {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  parent.appendChild(el);
  return el;
}

/** Members by user, with their trails, and the SVG they are drawn into. */
export class GroupMap {
  readonly members = new Map<string, Member>();

  constructor(
    private readonly svg: SVGSVGElement,
    private self: string,
  ) {}

  setSelf(user: string): void {
    this.self = user;
  }

  /** Adds a position to a member's trail (older points and, past the cap, the stalest member are dropped). */
  move(user: string, lat: number, lng: number, at: number): void {
    let m = this.members.get(user);
    if (!m) {
      if (this.members.size >= MEMBERS_KEPT) {
        const stalest = [...this.members.values()].sort((a, b) => a.trail[a.trail.length - 1]!.at - b.trail[b.trail.length - 1]!.at)[0]!;
        this.members.delete(stalest.user);
      }
      m = { user, trail: [] };
      this.members.set(user, m);
    }
    m.trail.push({ lat, lng, at });
    if (m.trail.length > TRAIL_KEPT) m.trail.splice(0, m.trail.length - TRAIL_KEPT);
  }

  clear(): void {
    this.members.clear();
  }

  render(): void {
    const svg = this.svg;
    // Draw at the element's own size, so the map fills its card at any window width.
    const W = Math.max(320, Math.round(svg.clientWidth || 800));
    const H = Math.max(280, Math.round(svg.clientHeight || 520));
    svg.setAttribute('viewBox', `0 0 ${W} ${H}`);
    svg.replaceChildren();
    const points = [...this.members.values()].flatMap((m) => m.trail);
    node('rect', { x: 0, y: 0, width: W, height: H, fill: '#f7f9fc' }, svg);
    if (points.length === 0) {
      const t = node('text', { x: W / 2, y: H / 2, 'text-anchor': 'middle', 'font-size': 18, fill: '#4a5568' }, svg);
      t.textContent = 'No positions yet: join a group and share your location';
      return;
    }
    const lats = points.map((p) => p.lat);
    const lngs = points.map((p) => p.lng);
    const midLat = (Math.min(...lats) + Math.max(...lats)) / 2;
    const k = Math.cos((midLat * Math.PI) / 180) || 1e-6; // degrees of longitude are shorter away from the equator
    const pad = 60;
    let latSpan = Math.max(Math.max(...lats) - Math.min(...lats), 0.002);
    let lngSpan = Math.max((Math.max(...lngs) - Math.min(...lngs)) * k, 0.002);
    // Keep the aspect ratio of the drawing area so distances look right in both directions.
    const ratio = (W - 2 * pad) / (H - 2 * pad);
    if (lngSpan / latSpan > ratio) latSpan = lngSpan / ratio;
    else lngSpan = latSpan * ratio;
    const cLat = midLat;
    const cLng = (Math.min(...lngs) + Math.max(...lngs)) / 2;
    const x = (lng: number) => W / 2 + (((lng - cLng) * k) / lngSpan) * (W - 2 * pad);
    const y = (lat: number) => H / 2 - ((lat - cLat) / latSpan) * (H - 2 * pad);
    const spanLat = latSpan * (H / (H - 2 * pad));
    const spanLng = (lngSpan / k) * (W / (W - 2 * pad));
    const grid = node('g', { stroke: '#d5dbe5', 'stroke-width': 1 }, svg);
    const labels = node('g', { 'font-size': 12, fill: '#4a5568' }, svg);
    const sLat = gridStep(spanLat);
    const digits = Math.max(0, -Math.floor(Math.log10(sLat)));
    for (let v = Math.ceil((cLat - spanLat / 2) / sLat) * sLat; v <= cLat + spanLat / 2; v += sLat) {
      node('line', { x1: 0, x2: W, y1: y(v).toFixed(1), y2: y(v).toFixed(1) }, grid);
      node('text', { x: 6, y: (y(v) - 4).toFixed(1) }, labels).textContent = `${Math.abs(v).toFixed(digits)}°${v >= 0 ? 'N' : 'S'}`;
    }
    const sLng = gridStep(spanLng);
    const lngDigits = Math.max(0, -Math.floor(Math.log10(sLng)));
    for (let v = Math.ceil((cLng - spanLng / 2) / sLng) * sLng; v <= cLng + spanLng / 2; v += sLng) {
      node('line', { y1: 0, y2: H, x1: x(v).toFixed(1), x2: x(v).toFixed(1) }, grid);
      if (x(v) > W - 90) continue; // no room for the label before the edge
      node('text', { y: H - 6, x: (x(v) + 4).toFixed(1) }, labels).textContent = `${Math.abs(v).toFixed(lngDigits)}°${v >= 0 ? 'E' : 'W'}`;
    }
    // A scale bar: 100 m (or what fits) in the bottom right corner.
    const mPerPx = (spanLat * 111_320) / H;
    const meters = [20, 50, 100, 200, 500, 1000, 2000, 5000, 10_000].find((m) => m / mPerPx >= 60) ?? 10_000;
    const px = meters / mPerPx;
    const scale = node('g', { stroke: '#1d2430', 'stroke-width': 2 }, svg);
    node('line', { x1: W - 20 - px, x2: W - 20, y1: H - 28, y2: H - 28 }, scale);
    node('text', { x: W - 20 - px / 2, y: H - 34, 'text-anchor': 'middle', 'font-size': 12, fill: '#1d2430', stroke: 'none' }, svg).textContent = meters >= 1000 ? `${meters / 1000} km` : `${meters} m`;
    const sorted = [...this.members.values()].sort((a, b) => Number(a.user === this.self) - Number(b.user === this.self));
    for (const m of sorted) {
      const color = colorOf(m.user);
      if (m.trail.length > 1) {
        node('polyline', { points: m.trail.map((p) => `${x(p.lng).toFixed(1)},${y(p.lat).toFixed(1)}`).join(' '), fill: 'none', stroke: color, 'stroke-width': 2.5, 'stroke-opacity': 0.55, 'stroke-linejoin': 'round' }, svg);
      }
      const last = m.trail[m.trail.length - 1]!;
      const cx = x(last.lng);
      const cy = y(last.lat);
      const mine = m.user === this.self;
      node('circle', { cx: cx.toFixed(1), cy: cy.toFixed(1), r: mine ? 8 : 6, fill: color, stroke: '#fff', 'stroke-width': 2 }, svg);
      const text = mine ? `${m.user} (you)` : m.user;
      const right = cx + 11 + text.length * 8.5 < W; // about 8.5 px a character at 14 px: else label on the left
      const label = node('text', { x: (right ? cx + 11 : cx - 11).toFixed(1), y: (cy + 5).toFixed(1), 'text-anchor': right ? 'start' : 'end', 'font-size': 14, 'font-weight': mine ? 700 : 600, fill: color, stroke: '#fff', 'stroke-width': 4, 'paint-order': 'stroke' }, svg);
      label.textContent = text;
    }
  }
}
