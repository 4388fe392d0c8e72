import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { renderHtml } from './html.js';
import { renderJson } from './json.js';
import { renderMarkdown } from './md.js';
import type { BenchReport } from './model.js';

/** Writes report.json, report.md and report.html into `dir`. */
export async function writeReports(report: BenchReport, dir: string): Promise<void> {
  await Promise.all([
    writeFile(path.join(dir, 'report.json'), renderJson(report)),
    writeFile(path.join(dir, 'report.md'), renderMarkdown(report)),
    writeFile(path.join(dir, 'report.html'), renderHtml(report)),
  ]);
}
