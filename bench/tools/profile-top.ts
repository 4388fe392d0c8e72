/**
 * Prints the functions with the most self time in V8 CPU profiles (what `node --cpu-prof` writes,
 * and what `npm run bench -- ... --profile` leaves in <out>/profiles/):
 *
 *   npx tsx bench/tools/profile-top.ts reports/room-.../profiles/*.cpuprofile [--top 25]
 */
import { readProfile } from '../report/profile.js';

const args = process.argv.slice(2);
const topAt = args.indexOf('--top');
const count = topAt === -1 ? 20 : Number(args[topAt + 1]);
const files = args.filter((a, i) => a !== '--top' && i !== topAt + 1);
for (const file of files) {
  const summary = await readProfile(file, count);
  if (!summary) {
    console.error(`${file}: not readable`);
    continue;
  }
  console.log(`\n${file}`);
  for (const t of summary.top) console.log(`${t.selfPercent.toFixed(1).padStart(6)} %  ${t.fn}`);
}
