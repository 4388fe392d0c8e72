import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';

/** A node of a V8 `.cpuprofile`. */
interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}

/** Self time by function, from a `.cpuprofile` (what `node --cpu-prof` writes). */
export interface ProfileSummary {
  file: string;
  top: { fn: string; selfPercent: number }[];
}

/** Shortens a script URL to the part a reader recognises (`node_modules/ws/lib/sender.js`). */
function where(url: string): string {
  if (!url) return '';
  const nm = url.lastIndexOf('node_modules/');
  if (nm !== -1) return url.slice(nm + 'node_modules/'.length);
  const src = url.search(/\/(src|transports)\//);
  return src !== -1 ? url.slice(src + 1) : url.replace(/^.*\//, '');
}

/**
 * The functions with the most self time. Samples are equally spaced, so hit counts are
 * proportional to time; `(garbage collector)`, `(program)` and `(idle)` stay in, since idle time
 * is what a server below saturation mostly does and GC is often the real cost.
 */
export function summarizeProfile(json: string, file: string, count = 15): ProfileSummary {
  const profile = JSON.parse(json) as { nodes: ProfileNode[] };
  const byFn = new Map<string, number>();
  let total = 0;
  for (const node of profile.nodes) {
    const hits = node.hitCount ?? 0;
    if (hits === 0) continue;
    const { functionName, url, lineNumber } = node.callFrame;
    const loc = where(url);
    const key = loc ? `${functionName || '(anonymous)'} ${loc}:${lineNumber + 1}` : functionName || '(anonymous)';
    byFn.set(key, (byFn.get(key) ?? 0) + hits);
    total += hits;
  }
  const top = [...byFn.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, count)
    .map(([fn, hits]) => ({ fn, selfPercent: Math.round((hits / Math.max(1, total)) * 1000) / 10 }));
  return { file, top };
}

/** Reads and summarizes a profile file; undefined when it is missing. */
export async function readProfile(file: string, count = 15): Promise<ProfileSummary | undefined> {
  const json = await readFile(file, 'utf8').catch(() => undefined);
  return json === undefined ? undefined : summarizeProfile(json, file, count);
}

/**
 * The busiest profile in a directory (the server's main thread, not tsx's idle loader thread):
 * the one with the most samples outside `(idle)`.
 */
export async function readBusiestProfile(dir: string, count = 15): Promise<ProfileSummary | undefined> {
  const files = (await readdir(dir).catch(() => [] as string[])).filter((f) => f.endsWith('.cpuprofile'));
  let best: { busy: number; summary: ProfileSummary } | undefined;
  for (const file of files) {
    const full = path.join(dir, file);
    const json = await readFile(full, 'utf8').catch(() => undefined);
    if (json === undefined) continue;
    const all = summarizeProfile(json, full, 10_000);
    const busy = 100 - (all.top.find((t) => t.fn === '(idle)')?.selfPercent ?? 0);
    if (!best || busy > best.busy) best = { busy, summary: { file: full, top: all.top.slice(0, count) } };
  }
  return best?.summary;
}
