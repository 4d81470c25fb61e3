#!/usr/bin/env bash
# server-bench.sh — redis-benchmark of Debian's redis-server 7.0 and
# `warden server` side by side, on this machine: requests per second, the
# server's CPU per request, and memory use with 1M small keys. Writes
# benchmarks/results/<YYYY-MM-DD>-server-bench.md.
#
# Invoked by `make bench-server` (which builds bin/warden first). It exits
# non-zero only when something fails (a server does not start, a benchmark
# reports an error reply); slow numbers are results, never failures.
#
# Environment knobs (defaults in brackets):
#   ROUNDS   rounds per pipeline depth; in each, every test runs on both
#            servers back to back, order flipping each round (A B, B A) [3]
#   N_P1     requests per test at -P 1 [100000]
#   N_P16    requests per test at -P 16 [1000000]
#   CLIENTS  redis-benchmark -c [50]
#   KEYS     keys loaded for the memory measurement [1000000]
#   TESTS    redis-benchmark -t [set,get,incr,lpush,lrange_100,hset]
#   WARDEN   the warden binary [bin/warden]
#   OUT      the result file [benchmarks/results/<date>-server-bench.md]
set -euo pipefail
cd "$(dirname "$0")/.."

ROUNDS=${ROUNDS:-3}
N_P1=${N_P1:-100000}
N_P16=${N_P16:-1000000}
CLIENTS=${CLIENTS:-50}
KEYS=${KEYS:-1000000}
TESTS=${TESTS:-set,get,incr,lpush,lrange_100,hset}
WARDEN=${WARDEN:-bin/warden}
DATE=$(date -u +%Y-%m-%d)
OUT=${OUT:-benchmarks/results/${DATE}-server-bench.md}

die() { echo "server-bench: $*" >&2; exit 1; }

for b in redis-server redis-cli redis-benchmark awk; do
  command -v "$b" >/dev/null 2>&1 || die "$b not found (apt-get install redis-server redis-tools)"
done
if [ ! -x "$WARDEN" ]; then
  echo "server-bench: $WARDEN missing, building it"
  go build -o "$WARDEN" ./cmd/warden || die "go build failed"
fi
WARDEN=$(cd "$(dirname "$WARDEN")" && pwd)/$(basename "$WARDEN")

WORK=$(mktemp -d "${TMPDIR:-/tmp}/server-bench.XXXXXX")
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do
    kill "$p" 2>/dev/null || true
  done
  for p in "${PIDS[@]}"; do
    # Bounded wait, then SIGKILL: nothing outlives the script.
    for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$p" 2>/dev/null || true
  done
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# free_port prints a port of 127.0.0.1 nobody listens on right now. The
# server start below retries with another port if it loses a race.
free_port() {
  local p
  for _ in $(seq 100); do
    p=$((20000 + RANDOM % 30000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
      echo "$p"
      return
    fi
  done
  die "no free port found"
}

# wait_ping PORT PID NAME: until the server answers PING, or fail.
wait_ping() {
  local port=$1 pid=$2 name=$3
  for _ in $(seq 200); do
    if [ "$(redis-cli -h 127.0.0.1 -p "$port" PING 2>/dev/null)" = "PONG" ]; then
      return 0
    fi
    kill -0 "$pid" 2>/dev/null || return 1
    sleep 0.05
  done
  return 1
}

# start NAME: starts redis or warden on a free port; sets PORT_<NAME> and
# PID_<NAME>.
start() {
  local name=$1 port pid dir log
  for _ in 1 2 3; do
    port=$(free_port)
    dir=$(mktemp -d "$WORK/$name.XXXX")
    log=$dir/out.log
    if [ "$name" = redis ]; then
      REDIS_CMD=(redis-server --port "$port" --bind 127.0.0.1 --save "" --appendonly no --daemonize no --dir "$dir")
      "${REDIS_CMD[@]}" >"$log" 2>&1 &
    else
      WARDEN_CMD=("$WARDEN" server --port "$port" --bind 127.0.0.1 --save "" --dir "$dir")
      "${WARDEN_CMD[@]}" >"$log" 2>&1 &
    fi
    pid=$!
    PIDS+=("$pid")
    if wait_ping "$port" "$pid" "$name"; then
      printf -v "PORT_$name" %s "$port"
      printf -v "PID_$name" %s "$pid"
      return 0
    fi
    kill "$pid" 2>/dev/null || true
    if ! grep -qi "address already in use" "$log"; then
      cat "$log" >&2
      die "$name did not start"
    fi
  done
  die "$name: no free port after 3 tries"
}

stop() {
  local pid=$1 rest=() p
  kill "$pid" 2>/dev/null || true
  for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -0 "$pid" 2>/dev/null && kill -9 "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null || true
  # Forget it, so cleanup never signals a recycled pid.
  for p in "${PIDS[@]}"; do [ "$p" = "$pid" ] || rest+=("$p"); done
  PIDS=("${rest[@]}")
}

rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }
# cpu_ticks PID: user + system clock ticks the process (all its threads,
# live and exited) has used. Fields 14 and 15 of /proc/PID/stat, counted
# after the ") " that ends the command name.
cpu_ticks() { sed 's/.*) //' "/proc/$1/stat" | awk '{ print $12 + $13 }'; }
TICK=$(getconf CLK_TCK)

# ---- throughput ----------------------------------------------------------

start redis
start warden
echo "redis-server on $PORT_redis (pid $PID_redis), warden on $PORT_warden (pid $PID_warden)"

RAW=$WORK/raw.csv # server,pipeline,round,test,rps
CPU=$WORK/cpu.csv # server,pipeline,round,-t,cpu ticks,requests
: >"$RAW"
: >"$CPU"
bench_cmd() { # PORT P N [TESTS]
  echo "redis-benchmark -h 127.0.0.1 -p $1 -q --csv -c $CLIENTS -n $3 -P $2 -t ${4:-$TESTS}"
}
# run_one NAME P N TEST ROUND: one redis-benchmark test against one server.
run_one() {
  local name=$1 P=$2 N=$3 test=$4 round=$5 port_var pid_var port pid cmd out t0 t1
  port_var=PORT_$name pid_var=PID_$name
  port=${!port_var} pid=${!pid_var}
  cmd=$(bench_cmd "$port" "$P" "$N" "$test")
  echo "round $round, -P $P, $name: $cmd"
  t0=$(cpu_ticks "$pid")
  out=$($cmd 2>&1) || { echo "$out" >&2; die "redis-benchmark failed against $name"; }
  t1=$(cpu_ticks "$pid")
  # The server's CPU over the whole invocation: for lrange_100 that
  # includes the LPUSH run redis-benchmark makes first.
  echo "$name,$P,$round,$test,$((t1 - t0)),$((N * $(awk -F'","' 'NR > 1 && NF > 1' <<<"$out" | wc -l)))" >>"$CPU"
  if grep -qiE 'error|^ERR| ERR ' <<<"$out"; then
    echo "$out" >&2
    die "redis-benchmark reported errors against $name"
  fi
  # CSV lines: "TEST","rps",... ; skip the header.
  awk -F'","' -v s="$name" -v p="$P" -v r="$round" \
    'NR > 1 && NF > 1 { gsub(/^"/, "", $1); print s "," p "," r "," $1 "," $2 }' <<<"$out" >>"$RAW"
  # Both servers start every run from the same, empty state.
  redis-cli -h 127.0.0.1 -p "$port" FLUSHALL >/dev/null
}
# The two servers take turns test by test, so each pair of runs is seconds
# apart and a change in the machine's speed (it is shared) hits both sides
# of a ratio alike; the order flips every round so neither always goes
# first.
for P in 1 16; do
  if [ "$P" = 1 ]; then N=$N_P1; else N=$N_P16; fi
  for round in $(seq "$ROUNDS"); do
    if [ $((round % 2)) = 1 ]; then order="redis warden"; else order="warden redis"; fi
    for test in ${TESTS//,/ }; do
      for name in $order; do
        run_one "$name" "$P" "$N" "$test" "$round"
      done
    done
  done
done
stop "$PID_redis"
stop "$PID_warden"

# ---- memory --------------------------------------------------------------

# The same pipelined SETs for both servers: key:<i> -> "val".
LOAD=$WORK/load.resp
awk -v n="$KEYS" 'BEGIN { for (i = 0; i < n; i++) { k = "key:" i;
  printf "*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$3\r\nval\r\n", length(k), k } }' >"$LOAD"
LOAD_CMD="redis-cli -h 127.0.0.1 -p PORT --pipe < load.resp  # $KEYS x SET key:<i> val"

declare -A RSS0 RSS1 DBSIZE
for name in redis warden; do
  start "$name"
  pid_var=PID_$name port_var=PORT_$name
  pid=${!pid_var} port=${!port_var}
  sleep 1
  RSS0[$name]=$(rss_kb "$pid")
  out=$(redis-cli -h 127.0.0.1 -p "$port" --pipe <"$LOAD" 2>&1) || { echo "$out" >&2; die "loading $name failed"; }
  grep -q "errors: 0, replies: $KEYS" <<<"$out" || { echo "$out" >&2; die "loading $name: errors"; }
  sleep 2 # let a garbage-collected heap settle; Redis has nothing to settle
  RSS1[$name]=$(rss_kb "$pid")
  DBSIZE[$name]=$(redis-cli -h 127.0.0.1 -p "$port" DBSIZE)
  [ "${DBSIZE[$name]}" = "$KEYS" ] || die "$name has ${DBSIZE[$name]} keys after loading $KEYS"
  stop "$pid"
done

# ---- report --------------------------------------------------------------

median() { sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) print "n/a";
  else if (NR % 2) print v[(NR + 1) / 2]; else printf "%.2f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b + 0 == 0) print "n/a"; else printf "%.2f", a / b }'; }
# paired_ratios P TEST: warden/redis for each round, one per line.
paired_ratios() {
  awk -F, -v p="$1" -v t="$2" '$2 == p && $4 == t { rps[$1, $3] = $5; rounds[$3] = 1 }
    END { for (r in rounds) if (rps["redis", r] > 0) print rps["warden", r] / rps["redis", r] }' "$RAW"
}
fmt_int() { awk -v v="$1" 'BEGIN { printf "%.0f", v }'; }

mkdir -p "$(dirname "$OUT")"
{
  echo "# warden vs redis-server: redis-benchmark and memory"
  echo
  echo "- date: $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
  echo "- machine: $(nproc) CPUs, $(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo), $(awk '/^MemTotal/ { printf "%.1f GiB RAM", $2 / 1048576 }' /proc/meminfo), Linux $(uname -r)"
  echo "- redis: $(redis-server --version)"
  echo "- warden: $("$WARDEN" version 2>&1 | head -1)$(command -v go >/dev/null && echo ", built with $(go version | awk '{print $3}')")"
  echo "- redis-benchmark runs on the same machine and shares its CPUs with the server under test."
  echo "- ${ROUNDS} rounds per pipeline depth. In each round every test runs against both servers back to back (redis then warden in odd rounds, warden then redis in even ones), so the two runs of a pair are seconds apart. Both servers are FLUSHALLed after every run."
  echo "- Columns: the median requests per second of each server; the ratio of those medians; and, from each round's pair, warden/redis, of which the median and the lowest are shown."
  echo
  echo "## Commands"
  echo
  echo '```'
  printf '%q ' "${REDIS_CMD[@]}" | sed -E "s/--port [0-9]+/--port PORT/; s#--dir [^ ]+#--dir TMP#; s/ $//"; echo
  printf '%q ' "${WARDEN_CMD[@]}" | sed -E "s/--port [0-9]+/--port PORT/; s#--dir [^ ]+#--dir TMP#; s#^[^ ]*/warden#bin/warden#; s/ $//"; echo
  bench_cmd PORT 1 "$N_P1"
  bench_cmd PORT 16 "$N_P16"
  echo "$LOAD_CMD"
  echo "grep VmRSS /proc/PID/status   # before loading, and 2 s after"
  echo '```'
  echo
  echo "## Throughput (median requests per second)"
  echo
  echo "| test | pipeline | redis-server | warden | ratio of medians | paired ratio, median | paired ratio, lowest |"
  echo "|---|---:|---:|---:|---:|---:|---:|"
  for P in 1 16; do
    awk -F, -v p="$P" '$2 == p && $1 == "redis" { print $4 }' "$RAW" | awk '!seen[$0]++' |
      while IFS= read -r test; do
        r=$(awk -F, -v p="$P" -v t="$test" '$1 == "redis" && $2 == p && $4 == t { print $5 }' "$RAW" | median)
        w=$(awk -F, -v p="$P" -v t="$test" '$1 == "warden" && $2 == p && $4 == t { print $5 }' "$RAW" | median)
        pairs=$(paired_ratios "$P" "$test")
        echo "| $test | $P | $(fmt_int "$r") | $(fmt_int "$w") | $(ratio "$w" "$r") | $(median <<<"$pairs" | xargs printf '%.2f') | $(sort -g <<<"$pairs" | head -1 | xargs printf '%.2f') |"
      done
  done
  echo
  echo "## Server CPU per request (microseconds, median over rounds)"
  echo
  echo "User plus system CPU of the server process over each redis-benchmark invocation (\`/proc/PID/stat\`, all threads), divided by the requests it made. Unlike requests per second, this does not depend on how much CPU the machine's other tenants leave, and it counts warden's event loops and Redis's single thread alike. The lrange_100 invocation includes the LPUSH run that precedes the LRANGE one."
  echo
  echo "| redis-benchmark -t | pipeline | redis-server | warden | warden/redis |"
  echo "|---|---:|---:|---:|---:|"
  for P in 1 16; do
    for test in ${TESTS//,/ }; do
      r=$(awk -F, -v p="$P" -v t="$test" -v k="$TICK" '$1 == "redis" && $2 == p && $4 == t { print $5 / k / $6 * 1e6 }' "$CPU" | median)
      w=$(awk -F, -v p="$P" -v t="$test" -v k="$TICK" '$1 == "warden" && $2 == p && $4 == t { print $5 / k / $6 * 1e6 }' "$CPU" | median)
      echo "| $test | $P | $(printf '%.2f' "$r") | $(printf '%.2f' "$w") | $(ratio "$w" "$r") |"
    done
  done
  echo
  echo "## Memory ($KEYS keys of 3-byte values, VmRSS)"
  echo
  echo "| | redis-server | warden | warden/redis |"
  echo "|---|---:|---:|---:|"
  echo "| RSS empty (MB) | $(awk -v v="${RSS0[redis]}" 'BEGIN{printf "%.1f", v/1024}') | $(awk -v v="${RSS0[warden]}" 'BEGIN{printf "%.1f", v/1024}') | $(ratio "${RSS0[warden]}" "${RSS0[redis]}") |"
  echo "| RSS with keys (MB) | $(awk -v v="${RSS1[redis]}" 'BEGIN{printf "%.1f", v/1024}') | $(awk -v v="${RSS1[warden]}" 'BEGIN{printf "%.1f", v/1024}') | $(ratio "${RSS1[warden]}" "${RSS1[redis]}") |"
  dr=$((RSS1[redis] - RSS0[redis])) dw=$((RSS1[warden] - RSS0[warden]))
  echo "| bytes per key | $((dr * 1024 / KEYS)) | $((dw * 1024 / KEYS)) | $(ratio "$dw" "$dr") |"
  echo
  echo "<details><summary>every run (requests per second)</summary>"
  echo
  echo "| server | pipeline | round | test | rps |"
  echo "|---|---:|---:|---|---:|"
  awk -F, '{ printf "| %s | %s | %s | %s | %s |\n", $1, $2, $3, $4, $5 }' "$RAW"
  echo
  echo "</details>"
  echo
  echo "<details><summary>every run (server CPU)</summary>"
  echo
  echo "| server | pipeline | round | redis-benchmark -t | CPU ticks (1/$TICK s) | requests |"
  echo "|---|---:|---:|---|---:|---:|"
  awk -F, '{ printf "| %s | %s | %s | %s | %s | %s |\n", $1, $2, $3, $4, $5, $6 }' "$CPU"
  echo
  echo "</details>"
} >"$OUT"
echo "server-bench: wrote $OUT"
cat "$OUT"
