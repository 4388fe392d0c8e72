import type { Writable } from 'node:stream';
import type { Config } from './config.js';

/** pino's numeric levels, as words. */
const LEVELS: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };
/** Fields every pino line has; the rest are shown as `key=value`. */
const SKIP = new Set(['level', 'time', 'pid', 'hostname', 'msg', 'v']);

/**
 * One pino JSON line as one human line: `12:00:01 INFO msg key=value …` (an `err` shows its
 * message and stack). A line that is not JSON passes through unchanged.
 */
export function prettyLine(json: string): string {
  let entry: Record<string, unknown>;
  try {
    entry = JSON.parse(json) as Record<string, unknown>;
  } catch {
    return json.endsWith('\n') ? json : `${json}\n`;
  }
  const time = typeof entry.time === 'number' ? new Date(entry.time).toISOString().slice(11, 19) : '';
  const parts = [time, LEVELS[entry.level as number] ?? String(entry.level), String(entry.msg ?? '')];
  let stack = '';
  for (const [key, value] of Object.entries(entry)) {
    if (SKIP.has(key)) continue;
    if (key === 'err' && value && typeof value === 'object') {
      const err = value as { message?: string; stack?: string };
      parts.push(`err="${err.message ?? ''}"`);
      if (err.stack) stack = `\n${err.stack}`;
      continue;
    }
    parts.push(`${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`);
  }
  return `${parts.filter(Boolean).join(' ')}${stack}\n`;
}

/** A stream for pino that writes each line through prettyLine (no pino-pretty needed). */
export function prettyStream(out: Pick<Writable, 'write'> = process.stdout): { write(line: string): void } {
  return { write: (line: string) => void out.write(prettyLine(line.trimEnd())) };
}

/** Fastify's `logger` option for a configuration: off, pino JSON, or one human line per entry. */
/** Whether Fastify logs a line per request: at debug and trace only (a line per poll costs CPU). */
export function logsRequests(config: Pick<Config, 'logLevel'>): boolean {
  return config.logLevel === 'debug' || config.logLevel === 'trace';
}

export function loggerOptions(config: Pick<Config, 'logLevel' | 'logFormat'>, isTTY = Boolean(process.stdout.isTTY)) {
  if (config.logLevel === 'silent') return false;
  const pretty = config.logFormat === 'pretty' || (config.logFormat === 'auto' && isTTY);
  return pretty ? { level: config.logLevel, stream: prettyStream() } : { level: config.logLevel };
}
