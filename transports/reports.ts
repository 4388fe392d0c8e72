import type { FastifyInstance } from 'fastify';
import { createReadStream } from 'node:fs';
import { readdir, realpath, stat } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { HubError } from '../src/domain/errors.js';

/** Options of the reports plugin. */
export interface ReportsOptions {
  /** Folder holding one sub-folder per bench run, each with a report.json (default: reports/ at the repository root). */
  dir?: string;
}

/** A report folder name: what `npm run bench` writes (`<scenario>-<timestamp>`), never a path. */
const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
/** Folders looked at per listing, reports listed, and the largest report.json served. */
export const REPORT_LIMITS = { scanned: 2000, listed: 50, bytes: 64 * 1024 * 1024 } as const;

function defaultDir(): string {
  // transports/ or dist/transports/: the repository root is the first parent holding package.json.
  const here = fileURLToPath(new URL('.', import.meta.url));
  const up = path.basename(path.dirname(here)) === 'dist' ? '../../' : '../';
  return path.resolve(here, up, 'reports');
}

/** One entry of `GET /reports`. */
export interface ReportEntry {
  name: string;
  /** report.json's modification time (ms since epoch). */
  modified: number;
  bytes: number;
}

/**
 * `GET /reports`: the newest bench reports under the reports folder (at most 50, newest first);
 * `GET /reports/:name`: that run's report.json. Names are folder names only (no separators, no `..`),
 * and the file must resolve inside the folder, so nothing else on disk can be read.
 */
export default async function reports(app: FastifyInstance, options: ReportsOptions): Promise<void> {
  const dir = path.resolve(options.dir ?? defaultDir());

  async function reportFile(name: string): Promise<{ file: string; bytes: number; modified: number } | null> {
    if (!NAME.test(name)) return null;
    const file = path.join(dir, name, 'report.json');
    try {
      const [real, root] = await Promise.all([realpath(file), realpath(dir)]);
      if (!real.startsWith(root + path.sep)) return null;
      const info = await stat(real);
      return info.isFile() ? { file: real, bytes: info.size, modified: info.mtimeMs } : null;
    } catch {
      return null;
    }
  }

  app.get('/reports', { config: { public: true } }, async () => {
    let names: string[] = [];
    try {
      const entries = await readdir(dir, { withFileTypes: true });
      names = entries.filter((e) => e.isDirectory() && NAME.test(e.name)).slice(-REPORT_LIMITS.scanned).map((e) => e.name);
    } catch {
      // no reports folder yet: an empty list
    }
    const found = await Promise.all(names.map(async (name) => ({ name, info: await reportFile(name) })));
    const list: ReportEntry[] = found
      .filter((f) => f.info && f.info.bytes <= REPORT_LIMITS.bytes)
      .map((f) => ({ name: f.name, modified: f.info!.modified, bytes: f.info!.bytes }))
      .sort((a, b) => b.modified - a.modified || (a.name < b.name ? 1 : -1))
      .slice(0, REPORT_LIMITS.listed);
    return { reports: list };
  });

  app.get<{ Params: { name: string } }>('/reports/:name', { config: { public: true } }, async (request, reply) => {
    const info = await reportFile(request.params.name);
    if (!info) throw new HubError('not_found', `no report named '${request.params.name.slice(0, 140)}'`);
    if (info.bytes > REPORT_LIMITS.bytes) throw new HubError('payload_too_large', `report.json is over ${REPORT_LIMITS.bytes} bytes`);
    return reply.type('application/json; charset=utf-8').header('cache-control', 'no-store').send(createReadStream(info.file));
  });
}
