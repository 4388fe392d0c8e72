import { TRANSPORTS, type TransportName } from '../src/domain/events.js';

/** Parsed command line. Scenario-specific values stay undefined unless given (each scenario has defaults). */
export interface BenchArgs {
  /** A scenario name or `all`. */
  scenario: string;
  transports: TransportName[];
  clients?: number;
  interval?: number;
  duration?: number;
  groups?: number;
  url?: string;
  out?: string;
  sweep: boolean;
  /** Load worker threads. */
  workers: number;
  /** Take a server CPU profile per transport run (node --cpu-prof). */
  profile: boolean;
  /** No per-second progress lines. */
  quiet: boolean;
  pollInterval?: number;
  /** Location ramp, `seconds:users,...` (`peak` = --clients). */
  stages?: string;
  /** Sweep pass bound: p99 latency (ms). */
  boundP99: number;
  /** Sweep pass bound: delivery ratio. */
  boundDelivery: number;
  /** Sweep step in users. */
  step?: number;
  /** Sweep ceiling in users. */
  maxClients?: number;
  /** Slow consumers (slow-consumer scenario). */
  slow?: number;
  /** Chat text length of published events. */
  textLength?: number;
  /** Connects in flight per worker. */
  concurrency: number;
  /** Short-polling clients of the capacity scenario. */
  pollClients?: number;
  /** Extra server configuration, `--server-env NAME=value` (repeatable). */
  serverEnv: Record<string, string>;
  /** `--sample-process NAME`: also sample this process (e.g. `beam.smp`, the relay's RabbitMQ) from /proc. */
  sampleProcess?: string;
  /** `--relay-url URL`: STOMP_RELAY_URL for the stomp-relay runs only (the other runs stay relay-free). */
  relayUrl?: string;
  /** Repeat each transport run this many times and report medians (`room`, `capacity`). */
  repeat: number;
  /** Server broker (`--broker`, default memory); `redis` starts a redis-server per run unless `--redis-url`. */
  broker: 'memory' | 'redis';
  /** Server instances per transport run, on one Redis (`--instances`, default 1). */
  instances: number;
  /** An existing Redis for `--broker redis` (loopback only) instead of one started per run. */
  redisUrl?: string;
  /** CPUs for the bench's own redis-server (`--redis-cpus`, e.g. `1`); default: the servers' CPU. */
  redisCpus?: string;
  /** Attacks of the hostile scenario to run (default: all). */
  attacks?: string[];
  /** room, capacity: also run the floor server per transport, interleaved with the product, and report overhead over floor (CPU; capacity: memory per connection). */
  floor: boolean;
}

export const SCENARIOS = ['room', 'location', 'capacity', 'reconnect', 'slow-consumer', 'soak', 'hostile'] as const;

export const USAGE = `usage: npm run bench -- <scenario|all> [options]

scenarios: ${SCENARIOS.join(', ')}, all

  --transports LIST     comma-separated subset of ${TRANSPORTS.join(',')} (default: all that apply)
  --clients N           users (room: N in one group; location: peak; capacity: connections; ...)
  --interval MS         publish interval per publisher
  --duration S          measured seconds (capacity: hold time)
  --groups G            groups the users are spread over
  --url URL             target a running server instead of starting one per transport run
  --out DIR             report directory (default reports/<scenario>-<timestamp>)
  --sweep               room: raise N until delivery < --bound-delivery or p99 > --bound-p99
  --step N              sweep step (default 50)          --max-clients N   sweep ceiling (default 1000)
  --bound-p99 MS        default 250                      --bound-delivery R  default 0.999
  --poll-interval MS    short-polling interval (default 1000)
  --poll-clients N      capacity: short-polling keep-alive connections (default 1000)
  --stages LIST         location ramp, e.g. 20:300,30:peak,10:0
  --slow N              slow-consumer: how many stop reading
  --text-length N       chat text length of published events
  --workers N           load worker threads (default 2)
  --concurrency N       connects in flight per worker (default 256)
  --server-env K=V      extra server configuration (repeatable), e.g. --server-env SSE_WRITER=plugin
  --repeat N            room, capacity: run each transport N times, report medians
  --broker NAME         memory (default) or redis: the server's BROKER; with redis the bench starts a
                        redis-server per transport run (pinned with the servers) unless --redis-url
  --instances N         server instances per run, all on one Redis (needs --broker redis when N > 1);
                        load worker i connects to instance i % N, so --workers must be a multiple of N;
                        the report adds per-instance CPU/RSS, Redis CPU, broker publish and lag histograms
  --redis-url URL       use this Redis (loopback only), e.g. redis://127.0.0.1:6379
  --redis-cpus LIST     pin the bench's own redis-server to these CPUs (taskset list, e.g. 1: beside
                        the load generator) instead of with the servers
  --attacks LIST        hostile: comma-separated subset of the attacks (default: all)
  --floor               room: interleave each run with the same run on the floor server (bench/floors/)
                        and report overhead over floor = product CPU s/1k ÷ floor CPU s/1k;
                        capacity: the same for memory per held connection (product − floor)
  --sample-process NAME also report CPU and RSS of the process named NAME in /proc (e.g. beam.smp)
  --relay-url URL       STOMP_RELAY_URL of the stomp-relay runs only, e.g. stomp://guest:guest@127.0.0.1:61613
                        (--server-env STOMP_RELAY_URL=... turns the relay on for every run instead)
  --profile             write a server CPU profile per run (node --cpu-prof) and summarize it
  --quiet               no per-second progress
`;

/** Thrown for a bad command line; the message is for the user. */
export class UsageError extends Error {}

function positiveInt(flag: string, raw: string | undefined, min = 1): number {
  if (raw === undefined || !/^\d+$/.test(raw) || Number(raw) < min) throw new UsageError(`${flag} needs an integer >= ${min}, got '${raw ?? ''}'`);
  return Number(raw);
}

function ratio(flag: string, raw: string | undefined): number {
  const v = Number(raw);
  if (raw === undefined || !Number.isFinite(v) || v <= 0 || v > 1) throw new UsageError(`${flag} needs a number in (0, 1], got '${raw ?? ''}'`);
  return v;
}

/** Parses `process.argv.slice(2)`. @throws UsageError */
export function parseArgs(argv: readonly string[]): BenchArgs {
  const args: BenchArgs = {
    scenario: '',
    transports: TRANSPORTS.filter((t) => t !== 'stomp-relay'), // the relay needs a broker: named explicitly
    sweep: false,
    workers: 2,
    profile: false,
    quiet: false,
    boundP99: 250,
    boundDelivery: 0.999,
    concurrency: 256,
    serverEnv: {},
    repeat: 1,
    broker: 'memory',
    instances: 1,
    floor: false,
  };
  let workersGiven = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const eq = arg.indexOf('=');
    const flag = arg.startsWith('--') && eq !== -1 ? arg.slice(0, eq) : arg;
    const inline = arg.startsWith('--') && eq !== -1 ? arg.slice(eq + 1) : undefined;
    const value = () => inline ?? argv[++i];
    switch (flag) {
      case '--transports': {
        const list = (value() ?? '').split(',').map((s) => s.trim()).filter(Boolean);
        const bad = list.filter((t) => !(TRANSPORTS as readonly string[]).includes(t));
        if (list.length === 0 || bad.length) throw new UsageError(`--transports: unknown ${bad.join(', ') || '(empty)'}; choose from ${TRANSPORTS.join(', ')}`);
        args.transports = list as TransportName[];
        break;
      }
      case '--clients': args.clients = positiveInt(flag, value()); break;
      case '--interval': args.interval = positiveInt(flag, value()); break;
      case '--duration': args.duration = positiveInt(flag, value()); break;
      case '--groups': args.groups = positiveInt(flag, value()); break;
      case '--url': {
        const url = value() ?? '';
        let host: string;
        try {
          host = new URL(url).hostname;
        } catch {
          throw new UsageError(`--url: not a URL: '${url}'`);
        }
        // Load goes only to loopback: this tool must not be pointed at someone else's machine.
        if (!/^127\.\d+\.\d+\.\d+$/.test(host) && host !== 'localhost') throw new UsageError('--url must be a loopback address (127.0.0.0/8 or localhost)');
        args.url = url.replace('localhost', '127.0.0.1');
        break;
      }
      case '--out': args.out = value(); break;
      case '--sweep': args.sweep = true; break;
      case '--workers': args.workers = positiveInt(flag, value()); workersGiven = true; break;
      case '--profile': args.profile = true; break;
      case '--floor': args.floor = true; break;
      case '--quiet': args.quiet = true; break;
      case '--poll-interval': args.pollInterval = positiveInt(flag, value(), 0); break;
      case '--poll-clients': args.pollClients = positiveInt(flag, value()); break;
      case '--stages': args.stages = value(); break;
      case '--bound-p99': args.boundP99 = positiveInt(flag, value()); break;
      case '--bound-delivery': args.boundDelivery = ratio(flag, value()); break;
      case '--step': args.step = positiveInt(flag, value()); break;
      case '--max-clients': args.maxClients = positiveInt(flag, value()); break;
      case '--slow': args.slow = positiveInt(flag, value(), 0); break;
      case '--text-length': args.textLength = positiveInt(flag, value()); break;
      case '--concurrency': args.concurrency = positiveInt(flag, value()); break;
      case '--repeat': args.repeat = positiveInt(flag, value()); break;
      case '--broker': {
        const broker = value();
        if (broker !== 'memory' && broker !== 'redis') throw new UsageError(`--broker needs memory or redis, got '${broker ?? ''}'`);
        args.broker = broker;
        break;
      }
      case '--instances': args.instances = positiveInt(flag, value()); break;
      case '--redis-url': {
        const url = value() ?? '';
        if (!/^redis:\/\/(127\.\d+\.\d+\.\d+|localhost)(:\d+)?\/?$/.test(url)) throw new UsageError(`--redis-url must be redis://<loopback>[:port], got '${url}'`);
        args.redisUrl = url.replace('localhost', '127.0.0.1');
        break;
      }
      case '--redis-cpus': {
        const cpus = value() ?? '';
        if (!/^\d+(-\d+)?(,\d+(-\d+)?)*$/.test(cpus)) throw new UsageError(`--redis-cpus takes a CPU list such as 1 or 0-1, got '${cpus}'`);
        args.redisCpus = cpus;
        break;
      }
      case '--attacks': args.attacks = (value() ?? '').split(',').map((x) => x.trim()).filter(Boolean); break;
      case '--server-env': {
        const kv = value() ?? '';
        const m = /^([A-Z_][A-Z0-9_]*)=(.*)$/.exec(kv);
        if (!m) throw new UsageError(`--server-env needs NAME=value, got '${kv}'`);
        args.serverEnv[m[1]!] = m[2]!;
        break;
      }
      case '--sample-process': args.sampleProcess = value(); break;
      case '--relay-url': args.relayUrl = value(); break;
      case '--help':
      case '-h':
        throw new UsageError(USAGE);
      default:
        if (arg.startsWith('-')) throw new UsageError(`unknown option ${arg}\n\n${USAGE}`);
        if (args.scenario) throw new UsageError(`one scenario at a time (got '${args.scenario}' and '${arg}'); use 'all' for every one`);
        args.scenario = arg;
    }
  }
  if (!args.scenario) throw new UsageError(USAGE);
  checkInstances(args, workersGiven);
  if (args.transports.includes('stomp-relay') && !args.url && !args.relayUrl && !args.serverEnv.STOMP_RELAY_URL) {
    throw new UsageError('--transports stomp-relay needs --relay-url stomp://user:pass@host:61613 (or --server-env STOMP_RELAY_URL=...)');
  }
  if (args.scenario !== 'all' && !(SCENARIOS as readonly string[]).includes(args.scenario)) {
    throw new UsageError(`unknown scenario '${args.scenario}'; choose from ${SCENARIOS.join(', ')}, all`);
  }
  return args;
}

// Several instances share groups only through Redis, and clients spread over them by load worker.
function checkInstances(args: BenchArgs, workersGiven: boolean): void {
  if (args.instances > 1 && args.broker !== 'redis') throw new UsageError('--instances > 1 needs --broker redis (instances share groups only through Redis)');
  if (args.redisUrl && args.broker !== 'redis') throw new UsageError('--redis-url needs --broker redis');
  if (args.redisCpus !== undefined && (args.broker !== 'redis' || args.redisUrl)) throw new UsageError('--redis-cpus pins the redis-server the bench starts: it needs --broker redis and no --redis-url');
  if ((args.broker === 'redis' || args.instances > 1) && args.url) throw new UsageError('--broker/--instances start servers; they cannot be combined with --url');
  if (args.workers % args.instances === 0) return;
  if (workersGiven) throw new UsageError(`--workers (${args.workers}) must be a multiple of --instances (${args.instances}) so clients spread evenly`);
  args.workers = args.instances * Math.ceil(args.workers / args.instances);
}
