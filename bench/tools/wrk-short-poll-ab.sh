#!/usr/bin/env bash
# Usage: bash bench/tools/wrk-short-poll-ab.sh (needs wrk: apt-get install -y wrk).
# floor (9811) vs product (9812), interleaved 3x, wrk on CPU 1, servers on CPU 0; CPU per request from /proc
cd "$(dirname "$0")/../.."
PORT=9811 taskset -c 0 node --import tsx bench/floors/main.ts > /tmp/floor.log 2>&1 & FP=$!
PORT=9812 LOG_LEVEL=warn taskset -c 0 node --import tsx src/main.ts > /tmp/prod.log 2>&1 & PP=$!
sleep 4
cpu() { awk '{print $14+$15}' /proc/$1/stat; }
for i in 1 2 3; do
  for side in floor prod; do
    if [ $side = floor ]; then port=9811; pid=$FP; else port=9812; pid=$PP; fi
    taskset -c 1 wrk -t1 -c1000 -d3s "http://127.0.0.1:$port/poll/groups/g1?since=0" > /dev/null 2>&1
    c0=$(cpu $pid); out=$(taskset -c 1 wrk -t1 -c1000 -d10s "http://127.0.0.1:$port/poll/groups/g1?since=0"); c1=$(cpu $pid)
    rps=$(echo "$out" | awk '/Requests\/sec/{print $2}'); reqs=$(echo "$out" | awk '/requests in/{print $1}')
    errs=$(echo "$out" | grep -i "errors" | tr '\n' ' ')
    echo "$i $side rps=$rps reqs=$reqs cpu_ticks=$((c1-c0)) us_per_req=$(python3 -c "print(round(($c1-$c0)*10000/$reqs,1))") $errs"
  done
done
kill $FP $PP
