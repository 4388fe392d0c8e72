#!/usr/bin/env bash
# Short polling against its bare-Fastify floor, measured with wrk (apt-get install -y wrk):
#   bash bench/tools/wrk-short-poll-ab.sh [ROUNDS=3] [SECONDS=10]
# floor (bench/floors/main.ts, PORT=9811) and product (src/main.ts, PORT=9812) on CPU 0, interleaved
# floor, product, floor... (both with the server's node flags, src/node-flags.ts); per run a 3 s warm-up, then wrk -t1 -c1000 on CPU 1; server CPU from /proc.
# Prints each run, then the medians and product / floor (requests/s and CPU per request).
set -euo pipefail
cd "$(dirname "$0")/../.."
ROUNDS=${1:-3}; SECONDS_PER_RUN=${2:-10}
URL_PATH='/poll/groups/g1?since=0'
node src/build.mjs src transports bench   # both run compiled (dist/), as npm start and the bench run them
PORT=9811 taskset -c 0 node --max-semi-space-size=32 --single-threaded-gc dist/bench/floors/main.js > /tmp/wrk-ab-floor.log 2>&1 & FP=$!
PORT=9812 LOG_LEVEL=warn taskset -c 0 node --max-semi-space-size=32 --single-threaded-gc dist/src/main.js > /tmp/wrk-ab-product.log 2>&1 & PP=$!
trap 'kill $FP $PP 2>/dev/null || true' EXIT
for _ in $(seq 60); do [ "$(ss -ltn | grep -cE ':981[12] ')" -ge 2 ] && break; sleep 1; done
cpu() { awk '{print $14+$15}' "/proc/$1/stat"; }
ticks=$(getconf CLK_TCK)
results=()
for i in $(seq "$ROUNDS"); do
  for side in floor product; do
    if [ $side = floor ]; then port=9811; pid=$FP; else port=9812; pid=$PP; fi
    taskset -c 1 wrk -t1 -c1000 -d3s "http://127.0.0.1:$port$URL_PATH" > /dev/null 2>&1
    c0=$(cpu $pid); out=$(taskset -c 1 wrk -t1 -c1000 -d${SECONDS_PER_RUN}s "http://127.0.0.1:$port$URL_PATH"); c1=$(cpu $pid)
    rps=$(echo "$out" | awk '/Requests\/sec/{print $2}'); reqs=$(echo "$out" | awk '/requests in/{print $1}')
    us=$(awk -v d=$((c1 - c0)) -v r="$reqs" -v t="$ticks" 'BEGIN{printf "%.1f", d * 1e6 / t / r}')
    core=$(awk -v d=$((c1 - c0)) -v t="$ticks" -v s="$SECONDS_PER_RUN" 'BEGIN{printf "%.0f", d * 100 / t / s}')
    errs=$(echo "$out" | awk '/Socket errors/{print "(" $0 ")"}')
    echo "run $i $side: $rps req/s, $us us CPU/request, server at $core % of its core $errs"
    results+=("$side $rps $us")
  done
done
printf '%s\n' "${results[@]}" | awk '
  { rps[$1] = rps[$1] " " $2; us[$1] = us[$1] " " $3 }
  function median(list,   n, a, i, j, t) { n = split(list, a, " "); for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] + 0 < a[i] + 0) { t = a[i]; a[i] = a[j]; a[j] = t }
    return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2 }
  END { fr = median(rps["floor"]); pr = median(rps["product"]); fu = median(us["floor"]); pu = median(us["product"])
    printf "median: floor %.0f req/s %.1f us/request, product %.0f req/s %.1f us/request; product/floor: %.2fx req/s, %.2fx CPU per request\n", fr, fu, pr, pu, pr / fr, pu / fu }'
