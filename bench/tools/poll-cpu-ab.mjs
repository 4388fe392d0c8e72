/**
 * Server CPU per short poll, two trees compared: runs the server of <dirA> and of <dirB> in turn (three
 * times, interleaved, each on CPU 0), 20 keep-alive clients, 20,000 polls of a 10-event answer per run;
 * prints CPU-seconds per 1,000 polls and the medians. Run the script itself on another CPU:
 *
 *   taskset -c 1 node bench/tools/poll-cpu-ab.mjs /tmp/before .
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import http from 'node:http';
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const cpu = (pid) => { const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' '); return (Number(f[11]) + Number(f[12])) / 100; };
async function run(dir, port, n) {
  const child = spawn('taskset', ['-c', '0', process.execPath, '--import', 'tsx', 'src/main.ts'], { cwd: dir, env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'silent' }, stdio: 'ignore' });
  for (let i = 0; i < 100; i++) { try { await fetch(`http://127.0.0.1:${port}/healthz`); break; } catch { await sleep(200); } }
  const agent = new http.Agent({ keepAlive: true, maxSockets: 20 });
  const get = () => new Promise((res) => http.get({ host: '127.0.0.1', port, path: '/poll/groups/g?since=0', agent }, (r) => { r.resume(); r.on('end', res); }));
  for (let i = 0; i < 10; i++) await fetch(`http://127.0.0.1:${port}/groups/g/events`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"type":"chat","text":"hello"}' });
  for (let i = 0; i < 2000; i++) await get();
  const c0 = cpu(child.pid);
  let next = 0; await Promise.all(Array.from({ length: 20 }, async () => { while (next++ < n) await get(); }));
  const c1 = cpu(child.pid);
  child.kill('SIGKILL'); agent.destroy();
  return ((c1 - c0) / n) * 1000;
}
const out = { A: [], B: [] };
for (let r = 0; r < 3; r++) { out.A.push(await run(process.argv[2], 9230, 20000)); out.B.push(await run(process.argv[3], 9231, 20000)); }
const med = (a) => [...a].sort((x, y) => x - y)[1];
console.log(JSON.stringify({ cpuSecPer1kBefore: out.A.map((v) => v.toFixed(3)), cpuSecPer1kAfter: out.B.map((v) => v.toFixed(3)), medianBefore: med(out.A).toFixed(3), medianAfter: med(out.B).toFixed(3) }));
