import { mintToken } from '../auth.js';

// npm run token -- --sub u1 --groups g1,g2[,team-*] [--ttl 3600] [--secret S]   (secret defaults to AUTH_SECRET)
function main(argv: string[]): void {
  const flags = new Map<string, string>();
  for (let i = 0; i < argv.length; i += 2) {
    const name = argv[i]!;
    const value = argv[i + 1];
    if (!name.startsWith('--') || value === undefined) usage(`bad argument ${name}`);
    flags.set(name.slice(2), value);
  }
  const secret = flags.get('secret') ?? process.env.AUTH_SECRET;
  const sub = flags.get('sub');
  const groups = flags.get('groups');
  if (!secret) usage('no secret: set AUTH_SECRET or pass --secret');
  if (!sub || !groups) usage('--sub and --groups are required');
  const ttl = flags.has('ttl') ? Number(flags.get('ttl')) : 3600;
  if (!Number.isInteger(ttl) || ttl < 0) usage('--ttl must be a whole number of seconds (0 = no expiry)');
  process.stdout.write(mintToken(secret, { sub, groups: groups.split(',').filter(Boolean), ttlSeconds: ttl || undefined }) + '\n');
}

function usage(problem: string): never {
  process.stderr.write(`token: ${problem}\nusage: npm run token -- --sub USER --groups g1,g2,prefix-* [--ttl SECONDS] [--secret SECRET]\n`);
  process.exit(2);
}

main(process.argv.slice(2));
