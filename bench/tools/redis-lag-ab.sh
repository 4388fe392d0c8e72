#!/bin/sh
# Issue 16's cross-instance lag, interleaved (A, B, C, D, E, then again): the room bench on two instances
# with Redis beside the servers (CPU 0) and beside the load generator (CPU 1), one instance on Redis, and
# the floor (bench/tools/redis-fanout-floor.ts) in both layouts. One line per run; `uptime` before each.
#   bench/tools/redis-lag-ab.sh [rounds=3] [seconds=15]
# With more arguments, each is an environment for the bench (" " for none: VAR=value, space-separated;
# BENCH_NODE_FLAGS adds node flags to the servers, BENCH_TSX=1 runs them through tsx instead of dist/),
# and each round runs only the product on two instances (Redis on CPU 0) once per set:
#   bench/tools/redis-lag-ab.sh 4 30 " " "BENCH_NODE_FLAGS=--no-single-threaded-gc"
#   bench/tools/redis-lag-ab.sh 5 15 " " "BENCH_TSX=1"
cd "$(dirname "$0")/../.." || exit 1
rounds=${1:-3}; secs=${2:-15}
[ $# -ge 2 ] && shift 2 || set --
room() {
  npm run bench -- room --transports websocket --clients 150 --duration "$secs" --broker redis "$@" >/dev/null 2>&1
  node -e '
    const dir = require("fs").readdirSync("reports").filter((d) => d.startsWith("room-")).sort().at(-1);
    const t = require("./reports/" + dir + "/report.json").scenarios[0].transports[0];
    const a = t.accounting, l = t.cluster.deliveryLagMs;
    console.log(`delivery ${(a.deliveryRatio * 100).toFixed(1)} %, gaps/dups ${a.gaps}/${a.duplicates}; accept -> arrival p50 ${l.p50} p99 ${l.p99} p99.9 ${l.p999} ms over ${l.count}; ${dir}`);'
}
floor() { npx tsx bench/tools/redis-fanout-floor.ts --duration "$secs" "$@" 2>&1 | grep 'all:'; }
i=1
while [ "$i" -le "$rounds" ]; do
  echo "round $i $(date -u +%H:%M:%S) $(uptime | sed 's/.*load/load/')"
  if [ $# -gt 0 ]; then
    for set in "$@"; do echo "  redis x2, env [$set]: $(for kv in $set; do export "$kv"; done; room --instances 2)"; done
    i=$((i + 1)); continue
  fi
  echo "  redis x2, Redis on CPU 0: $(room --instances 2)"
  echo "  redis x2, Redis on CPU 1: $(room --instances 2 --redis-cpus 1)"
  echo "  redis x1:                 $(room)"
  echo "  floor x2, Redis on CPU 0: $(floor)"
  echo "  floor x2, Redis on CPU 1: $(floor --redis-cpus 1)"
  i=$((i + 1))
done
