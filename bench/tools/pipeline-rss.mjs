/**
 * Pipelined short polls on one socket that never reads: a server's RSS before and during. Starts the
 * server of the tree in <dir> (its src/main.ts) on <port>, fills group `big` with 1,000 chat events of
 * 1,000 characters, writes <n> pipelined `GET /poll/groups/big?since=0` in one write, samples the server's
 * RSS from /proc every 0.5 s for 8 s, then asks /healthz. Compare two trees (one before the HTTP socket
 * bounds: `git archive <commit> | tar -x -C /tmp/before; ln -s $PWD/node_modules /tmp/before/`):
 *
 *   node bench/tools/pipeline-rss.mjs /tmp/before 9220 400
 *   node bench/tools/pipeline-rss.mjs . 9221 400
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import net from 'node:net';
const [dir, port, n] = [process.argv[2], Number(process.argv[3]), Number(process.argv[4])];
const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], { cwd: dir, env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'silent' }, stdio: 'ignore' });
const rss = () => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))[1]) / 1024;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
for (let i = 0; i < 100; i++) { try { await fetch(`http://127.0.0.1:${port}/healthz`); break; } catch { await sleep(200); } }
const body = JSON.stringify({ type: 'chat', text: 'x'.repeat(1000) });
for (let i = 0; i < 1000; i += 10) await Promise.all(Array.from({ length: 10 }, () => fetch(`http://127.0.0.1:${port}/groups/big/events`, { method: 'POST', headers: { 'content-type': 'application/json' }, body }).then((r) => r.arrayBuffer())));
await sleep(500);
const before = rss();
const s = net.connect({ port, host: '127.0.0.1' }); s.on('error', () => {});
await new Promise((r) => s.once('connect', r)); s.pause();
s.write('GET /poll/groups/big?since=0 HTTP/1.1\r\nHost: x\r\n\r\n'.repeat(n));
let peak = before; for (let i = 0; i < 16; i++) { await sleep(500); peak = Math.max(peak, rss()); }
const t0 = Date.now(); const h = await fetch(`http://127.0.0.1:${port}/healthz`).then((r) => r.status); const hms = Date.now() - t0;
console.log(JSON.stringify({ dir, pipelined: n, rssBeforeMB: Math.round(before), rssPeakMB: Math.round(peak), healthz: h, healthzMs: hms, socketDestroyedByServer: s.destroyed }));
s.destroy(); child.kill('SIGKILL');
