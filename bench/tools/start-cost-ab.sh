#!/bin/sh
# The server started the two ways, interleaved: through tsx's loader (`--import tsx src/main.ts`, how
# npm start and the bench ran it until 2026-12-02) and compiled (`dist/src/main.js`, src/build.mjs).
# Per start: ms until /readyz answers, then after 3 s idle its RSS and thread count. CPU 0, port 9931.
#   sh bench/tools/start-cost-ab.sh [rounds=3]
cd "$(dirname "$0")/../.." || exit 1
node src/build.mjs
flags="--max-semi-space-size=32 --single-threaded-gc"
i=1
while [ "$i" -le "${1:-3}" ]; do
  for mode in tsx dist; do
    if [ "$mode" = tsx ]; then entry="--import tsx src/main.ts"; else entry="dist/src/main.js"; fi
    start=$(date +%s%N)
    # shellcheck disable=SC2086
    PORT=9931 LOG_LEVEL=warn taskset -c 0 node $flags $entry & pid=$!
    n=0; until curl -sf localhost:9931/readyz >/dev/null || [ $n -ge 1500 ]; do sleep 0.02; n=$((n + 1)); done
    ready=$(( ($(date +%s%N) - start) / 1000000 ))
    sleep 3
    echo "$mode: ready after $ready ms, RSS $(awk '/VmRSS/{print $2}' /proc/$pid/status) kB, $(ls /proc/$pid/task | wc -l) threads"
    kill "$pid"; wait "$pid" 2>/dev/null
  done
  i=$((i + 1))
done
