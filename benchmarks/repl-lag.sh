#!/usr/bin/env bash
# Replica lag under write load, warden only: a master and two replicas of
# bin/warden on free ports; redis-benchmark -t set -P 16 -c 50 against the
# master while INFO replication is sampled every 100 ms. Prints the worst
# lag seen (master offset minus each replica's acked offset, in bytes, and
# INFO's lag= seconds), then waits for the offsets to meet and compares
# DEBUG DIGEST on all three nodes. Never fails on slow numbers.
set -euo pipefail
cd "$(dirname "$0")/.."
WARDEN=${WARDEN:-bin/warden}
N=${N:-2000000}
work=$(mktemp -d "${TMPDIR:-/tmp}/repl-lag.XXXXXX")
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
freeport() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
start() { # port dir args...
  local port=$1 dir=$2; shift 2; mkdir -p "$dir"
  "$WARDEN" server --port "$port" --bind 127.0.0.1 --dir "$dir" --save "" --enable-debug-command yes "$@" >"$dir/log" 2>&1 &
  pids+=($!)
  for _ in $(seq 100); do redis-cli -p "$port" ping >/dev/null 2>&1 && return 0; sleep 0.1; done
  echo "node on $port did not start" >&2; exit 1
}
m=$(freeport); r1=$(freeport); r2=$(freeport)
start "$m" "$work/m"
start "$r1" "$work/r1" --replicaof 127.0.0.1 "$m"
start "$r2" "$work/r2" --replicaof 127.0.0.1 "$m"
until redis-cli -p "$m" info replication | grep -q "connected_slaves:2"; do sleep 0.1; done
redis-benchmark -p "$m" -t set -P 16 -c 50 -n "$N" -r 1000000 -q >"$work/bench" 2>&1 &
bench=$!
maxbytes=0; maxsecs=0
while kill -0 "$bench" 2>/dev/null; do
  info=$(redis-cli -p "$m" info replication | tr -d '\r')
  off=$(sed -n 's/^master_repl_offset://p' <<<"$info")
  while read -r line; do
    o=$(sed -n 's/.*offset=\([0-9]*\).*/\1/p' <<<"$line"); l=$(sed -n 's/.*lag=\([0-9]*\).*/\1/p' <<<"$line")
    [ -n "$o" ] && [ $((off - o)) -gt "$maxbytes" ] && maxbytes=$((off - o))
    [ -n "$l" ] && [ "$l" -gt "$maxsecs" ] && maxsecs=$l
  done < <(grep '^slave[0-9]*:' <<<"$info")
  sleep 0.1
done
echo "load: $(tr '\r' '\n' <"$work/bench" | grep 'requests per second' | tail -1)"
echo "worst lag during load: ${maxbytes} bytes behind, INFO lag=${maxsecs} s"
start_wait=$(date +%s.%N)
while :; do
  mo=$(redis-cli -p "$m" info replication | tr -d '\r' | sed -n 's/^master_repl_offset://p')
  o1=$(redis-cli -p "$r1" info replication | tr -d '\r' | sed -n 's/^slave_repl_offset://p')
  o2=$(redis-cli -p "$r2" info replication | tr -d '\r' | sed -n 's/^slave_repl_offset://p')
  [ "$mo" = "$o1" ] && [ "$mo" = "$o2" ] && break
  sleep 0.05
done
echo "offsets met $(python3 -c "import time; print(round(time.time()-$start_wait,3))") s after the load stopped (offset $mo)"
d=$(redis-cli -p "$m" debug digest); d1=$(redis-cli -p "$r1" debug digest); d2=$(redis-cli -p "$r2" debug digest)
echo "digests: master $d, replica1 $d1, replica2 $d2"
[ "$d" = "$d1" ] && [ "$d" = "$d2" ] && echo "digests equal" || { echo "DIGESTS DIFFER"; exit 1; }
