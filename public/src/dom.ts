/** Small DOM helpers shared by the two pages. */

/** The element with this id (the pages' markup defines every id the scripts use). */
export function $<T extends HTMLElement = HTMLElement>(id: string): T {
  const el = document.getElementById(id);
  if (!el) throw new Error(`#${id} missing from the page`);
  return el as T;
}

/** Creates an element with a class and text (text is a text node, never markup). */
export function el<K extends keyof HTMLElementTagNameMap>(tag: K, className = '', text = ''): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (className) e.className = className;
  if (text) e.textContent = text;
  return e;
}

/** Milliseconds with sensible precision; a dash for none. */
export function ms(v: number | null | undefined): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '–';
  return v < 10 ? `${v.toFixed(1)} ms` : `${Math.round(v).toLocaleString('en-US')} ms`;
}

/** Bytes as B / KB / MB (1024-based). */
export function bytes(v: number | null | undefined): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '–';
  if (v >= 1024 * 1024) return `${(v / 1024 / 1024).toFixed(1)} MB`;
  if (v >= 1024) return `${(v / 1024).toFixed(1)} KB`;
  return `${Math.round(v)} B`;
}

/** The page's scripts ran: hide the "not built" banner. */
export function scriptsLoaded(): void {
  document.getElementById('not-built')?.remove();
}

/** A short clock time (HH:MM:SS) for logs. */
export function clock(at: number): string {
  return new Date(at).toTimeString().slice(0, 8);
}
