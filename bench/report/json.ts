import type { BenchReport } from './model.js';

/** report.json: the whole report, pretty-printed; non-finite numbers become null. */
export function renderJson(report: BenchReport): string {
  return JSON.stringify(report, (_key, value: unknown) => (typeof value === 'number' && !Number.isFinite(value) ? null : value), 2) + '\n';
}
