#!/bin/sh
# The load generator's CPU per received event, before vs after, interleaved (A, B, A, B ...), on CPU 1:
#   bench/tools/gen-cost-ab.sh [before-commit] [pairs]     (default: 50ffa53, 5 pairs)
# "before" is `git archive` of that commit in a temporary directory (sharing this node_modules);
# both run this tree's bench/tools/gen-cost.ts, for websocket and stomp, 1 and 8 frames per read.
set -eu
cd "$(dirname "$0")/../.."
before=${1:-50ffa53}
pairs=${2:-5}
dir=$(mktemp -d /tmp/gen-cost-before.XXXXXX)
trap 'rm -rf "$dir"' EXIT
git archive "$before" bench src transports package.json tsconfig.json | tar -x -C "$dir"
ln -s "$PWD/node_modules" "$dir/node_modules"
cp bench/tools/gen-cost.ts "$dir/bench/tools/gen-cost.ts"
for transport in websocket stomp; do
  for k in 1 8; do
    i=0
    while [ "$i" -lt "$pairs" ]; do
      b=$(cd "$dir" && taskset -c 1 npx tsx bench/tools/gen-cost.ts "$transport" --frames-per-read "$k" --events 500000 --port 9311)
      a=$(taskset -c 1 npx tsx bench/tools/gen-cost.ts "$transport" --frames-per-read "$k" --events 500000 --port 9312)
      echo "before $b"
      echo "after  $a"
      i=$((i + 1))
    done
  done
done
