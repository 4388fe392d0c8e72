#!/usr/bin/env bash
# The product's short-poll route under wrk with and without V8 flags, GC time per request from --trace-gc:
#   bash bench/tools/poll-gc-ab.sh [ROUNDS=3] "" "--max-semi-space-size=32" ...
# Each flag set (the empty string = Node's defaults) runs once per round, interleaved: product on CPU 0
# (PORT=9715), 3 s wrk warm-up then 8 s of wrk -t1 -c1000 on CPU 1. Prints CPU and GC µs per request.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROUNDS=${1:-3}; shift || true
[ $# -gt 0 ] || set -- "" "--max-semi-space-size=32"
ticks=$(getconf CLK_TCK)
run() {
  local flags=$1 log; log=$(mktemp)
  # shellcheck disable=SC2086
  PORT=9715 LOG_LEVEL=warn taskset -c 0 node $flags --trace-gc --import tsx src/main.ts > "$log" 2>&1 & local pid=$!
  for _ in $(seq 60); do ss -ltn | grep -q ':9715 ' && break; sleep 0.5; done
  taskset -c 1 wrk -t1 -c1000 -d3s 'http://127.0.0.1:9715/poll/groups/g1?since=0' > /dev/null
  local from c0 c1 reqs; from=$(wc -l < "$log"); c0=$(awk '{print $14+$15}' /proc/$pid/stat)
  reqs=$(taskset -c 1 wrk -t1 -c1000 -d8s 'http://127.0.0.1:9715/poll/groups/g1?since=0' | awk '/requests in/{print $1}')
  c1=$(awk '{print $14+$15}' /proc/$pid/stat); kill $pid; wait $pid 2>/dev/null || true
  tail -n +"$from" "$log" | awk -v flags="${flags:-defaults}" -v r="$reqs" -v d=$((c1 - c0)) -v t="$ticks" '
    /Scavenge|Mark-Compact/ { match($0, /MB, [0-9.]+/); ms += substr($0, RSTART + 4, RLENGTH - 4); n++ }
    END { printf "%-28s %7d requests  %5.1f us CPU/request  %4.1f us GC/request  (%d GCs, %.0f ms)\n", flags, r, d * 1e6 / t / r, ms * 1000 / r, n, ms }'
  rm -f "$log"
}
for i in $(seq "$ROUNDS"); do for flags in "$@"; do run "$flags"; done; done
