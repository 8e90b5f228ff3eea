#!/usr/bin/env bash
# Side-by-side: a durable redis-server (AOF, appendfsync always) and a 3-node Cairn cluster (RF 3,
# memory engine, STRICT durability: every replica fsyncs its Raft log before it acks) on loopback,
# measured with redis-benchmark in the same run against one Cairn node (it serves every key: it
# leads some partitions and forwards the rest to their leaders). Then the cluster is restarted with
# --durability RELAXED (replicas ack before fsync) and SET is measured again.
#   bench/cluster-compare.sh                    # -n 100000, 1 round
#   N=20000 bench/cluster-compare.sh            # a quick look
#   N=200000 ROUNDS=3 bench/cluster-compare.sh  # median of 3 rounds per line
# Other knobs: CLIENTS (50), PIPELINES ("1 16"), KEYSPACE (100000: redis-benchmark -r, so keys
# spread over all partitions; without -r every request hits ONE key, i.e. one Raft group),
# PARTITIONS (16), CAIRN_JAVA_OPTS (extra JVM options for the Cairn nodes), CAIRN_SERVER_ARGS (extra
# `cairn server` arguments, e.g. "-s raft.log.metadata-entries=true -s raft.batch.max-in-flight=4"
# for the settings before session 3), BENCH_TIMEOUT (s, 1800).
# STRICT SET without pipelining is fsync-bound (a few hundred req/s on a shared VM disk), so the
# default -n 100000 takes a quarter of an hour or more there.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
N=${N:-100000}
ROUNDS=${ROUNDS:-1}
CLIENTS=${CLIENTS:-50}
PIPELINES=${PIPELINES:-"1 16"}
KEYSPACE=${KEYSPACE:-100000}
PARTITIONS=${PARTITIONS:-16}

bash "$ROOT/scripts/install-deps.sh"
# shellcheck source=../scripts/lib/bench.sh
source "$ROOT/scripts/lib/bench.sh"
bench_init
cairn_java() { "${CAIRN[@]}" "$@"; }
# redis-benchmark waits forever (spinning) when a server goes away; bound every run.
BENCH_TIMEOUT=${BENCH_TIMEOUT:-1800}

wait_port() { for _ in $(seq 1 300); do redis-cli -p "$1" PING >/dev/null 2>&1 && return 0; sleep 0.1; done; echo "port $1 never answered" >&2; return 1; }
# A cluster node answers PING before its partitions have leaders: wait until 64 SETs on distinct
# keys (so every partition, almost surely) are acknowledged through it. Bounded: 120 s.
wait_writable() {
  local port=$1 deadline=$((SECONDS + 120)) ok
  wait_port "$port"
  while ((SECONDS < deadline)); do
    ok=$(for k in $(seq 1 64); do echo "SET bench:probe:$k x"; done | redis-cli -p "$port" 2>/dev/null | grep -c '^OK$' || true)
    [[ "$ok" == 64 ]] && return 0
    sleep 0.2
  done
  echo "cairn node on :$port not writable within 120 s; the nodes' last lines:" >&2
  tail -n 15 "$WORK"/*-n?.log >&2 || true
  return 1
}

REDIS_PORT=$(free_ports 1)
mkdir -p "$WORK/redis"
redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly yes --appendfsync always \
  --dir "$WORK/redis" --daemonize no >"$WORK/redis.log" 2>&1 & PIDS+=($!)
wait_port "$REDIS_PORT"

declare -a NODE_PID RESP
# start_cluster <label> [server args...]: 3 nodes, fresh data dirs and ports; sets NODE_PID/RESP.
start_cluster() {
  local label=$1; shift
  local ports i peers=""
  read -r -a ports <<<"$(free_ports 6)"
  for i in 1 2 3; do
    RESP[i]=${ports[i-1]}
    peers+="${peers:+,}n$i@127.0.0.1:${ports[i+2]}/${RESP[i]}"
  done
  for i in 1 2 3; do
    # shellcheck disable=SC2086
    "$JAVA_HOME/bin/java" "${JAVA_FLAGS[@]}" ${CAIRN_JAVA_OPTS:-} -cp "$CP" io.cairn.cli.CairnCli \
      server --node-id "n$i" --port "${RESP[i]}" --peers "$peers" --data-dir "$WORK/$label/n$i" \
      --partitions "$PARTITIONS" ${CAIRN_SERVER_ARGS:-} "$@" >"$WORK/$label-n$i.log" 2>&1 &
    NODE_PID[i]=$!; PIDS+=($!)
  done
  for i in 1 2 3; do wait_writable "${RESP[i]}"; done
}
stop_cluster() {
  local i
  for i in 1 2 3; do kill "${NODE_PID[i]}" 2>/dev/null || true; done
  for i in 1 2 3; do wait "${NODE_PID[i]}" 2>/dev/null || true; done
}
# Slots whose partition each node leads right now (CLUSTER NODES lists a node's led slot ranges).
leaders() {
  redis-cli -p "${RESP[1]}" CLUSTER NODES | awk '{ s = 0; for (i = 9; i <= NF; i++) { n = split($i, r, "-"); s += (n == 2 ? r[2] - r[1] + 1 : 1) }
    split($2, a, "@"); printf "%s%s leads %d slots", sep, a[1], s; sep = ", " } END { print "" }'
}
node_stats() {
  local i
  for i in 1 2 3; do
    printf '| %s n%d | %s | %s | %s |\n' "$1" "$i" "${NODE_PID[i]}" \
      "$(awk '/^Threads:/ {print $2}' "/proc/${NODE_PID[i]}/status")" \
      "$(awk '/^VmRSS:/ {printf "%.0f MiB", $2 / 1024}' "/proc/${NODE_PID[i]}/status")"
  done
}

# bench <results-prefix> <port> <tests> <clients> <pipeline> <n>: appends rps (and p50/p99) per test
# to RESULTS["<prefix>|<TEST>"], LAT50[...], LAT99[...].
declare -A RESULTS LAT50 LAT99
bench() {
  local prefix=$1 port=$2 tests=$3 clients=$4 pipeline=$5 n=$6 name rps p50 p99 _a _m _p95 _max
  while IFS=, read -r name rps _a _m p50 _p95 p99 _max; do
    name=${name//\"/}; [[ "$name" == test ]] && continue
    name=${name%% *}
    RESULTS["$prefix|$name"]+="${rps//\"/} "
    LAT50["$prefix|$name"]+="${p50//\"/} "
    LAT99["$prefix|$name"]+="${p99//\"/} "
  done < <(timeout "$BENCH_TIMEOUT" redis-benchmark -p "$port" -t "$tests" -n "$n" -c "$clients" -P "$pipeline" -r "$KEYSPACE" --csv 2>/dev/null)
}
median() { printf '%s\n' $1 | sort -g | awk '{a[NR]=$1} END {if (NR == 0) print 0; else if (NR%2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }

start_cluster strict
CAIRN_PORT=${RESP[1]}
echo "redis-server $(redis-server --version | sed -n 's/.*v=\([^ ]*\).*/\1/p') (appendonly yes, appendfsync always) on :$REDIS_PORT;" \
  "3-node cairn cluster (RF 3, STRICT, memory engine, $PARTITIONS partitions), benchmarked through n1 on :$CAIRN_PORT;" \
  "-n $N -c $CLIENTS -r $KEYSPACE, $ROUNDS round(s); $(nproc) cores"
echo "leaders: $(leaders)"

# Warm the JVMs once (JIT) so the first measured round is not a compile benchmark.
timeout "$BENCH_TIMEOUT" redis-benchmark -p "$CAIRN_PORT" -t set,get -n "$N" -c "$CLIENTS" -P 16 -r "$KEYSPACE" -q >/dev/null 2>&1 || true

for round in $(seq 1 "$ROUNDS"); do
  for P in $PIPELINES; do
    bench "redis|$P" "$REDIS_PORT" set,get "$CLIENTS" "$P" "$N"
    bench "strict|$P" "$CAIRN_PORT" set,get "$CLIENTS" "$P" "$N"
  done
  echo "round $round done" >&2
done

# GET latency at about half load. redis-benchmark has no rate limit: it is a closed loop (each
# client sends its next request when the reply arrives), so the offered load is set by the number
# of clients. "Half load" here = the client count (of 1, 2, 5, 10, 20, unpipelined) whose measured
# GET throughput is closest to half the GET throughput measured above at -c $CLIENTS -P 1 (the max
# this script saw); that count's own throughput, p50 and p99 are printed, next to Redis at the
# same client count. It is an approximation of "half load", not a fixed request rate.
MAX_GET=$(median "${RESULTS["strict|1|GET"]:-0}")
HALF_C=1; best=-1
for c in 1 2 5 10 20; do
  bench "probe$c" "$CAIRN_PORT" get "$c" 1 $((N / 4))
  d=$(awk -v r="$(median "${RESULTS["probe$c|GET"]}")" -v h="$MAX_GET" 'BEGIN { d = r - h / 2; print (d < 0 ? -d : d) }')
  if [[ "$best" == -1 ]] || awk -v d="$d" -v b="$best" 'BEGIN { exit !(d < b) }'; then best=$d; HALF_C=$c; fi
done
bench "halfredis" "$REDIS_PORT" get "$HALF_C" 1 $((N / 4))

echo
echo "leaders after the STRICT runs: $(leaders)"
STATS="$(node_stats STRICT)"
stop_cluster

start_cluster relaxed --durability RELAXED
echo "RELAXED cluster benchmarked through n1 on :${RESP[1]}; leaders: $(leaders)"
timeout "$BENCH_TIMEOUT" redis-benchmark -p "${RESP[1]}" -t set -n "$N" -c "$CLIENTS" -P 16 -r "$KEYSPACE" -q >/dev/null 2>&1 || true
for round in $(seq 1 "$ROUNDS"); do
  for P in $PIPELINES; do
    bench "relaxed|$P" "${RESP[1]}" set "$CLIENTS" "$P" "$N"
  done
done
STATS+=$'\n'"$(node_stats RELAXED)"

printf '\n| test | pipeline | redis(always-fsync) req/s | cairn STRICT req/s | cairn/redis |\n|---|---|---|---|---|\n'
for P in $PIPELINES; do
  for T in SET GET; do
    r=$(median "${RESULTS["redis|$P|$T"]:-0}"); c=$(median "${RESULTS["strict|$P|$T"]:-0}")
    printf '| %s | %s | %.0f | %.0f | %s |\n' "$T" "$P" "$r" "$c" "$(ratio "$c" "$r")"
  done
done
echo
for P in $PIPELINES; do
  s=$(median "${RESULTS["strict|$P|SET"]:-0}"); x=$(median "${RESULTS["relaxed|$P|SET"]:-0}")
  printf 'SET -P %s: cairn RELAXED %.0f req/s vs STRICT %.0f req/s: RELAXED/STRICT = %s\n' "$P" "$x" "$s" "$(ratio "$x" "$s")"
done
printf 'GET -P 1 at about half load (-c %s; max seen %.0f req/s at -c %s): cairn %.0f req/s, linearizable p50 %s ms, p99 %s ms; redis at -c %s: %.0f req/s, p50 %s ms, p99 %s ms\n' \
  "$HALF_C" "$MAX_GET" "$CLIENTS" "$(median "${RESULTS["probe$HALF_C|GET"]}")" "$(median "${LAT50["probe$HALF_C|GET"]}")" \
  "$(median "${LAT99["probe$HALF_C|GET"]}")" "$HALF_C" "$(median "${RESULTS["halfredis|GET"]}")" \
  "$(median "${LAT50["halfredis|GET"]}")" "$(median "${LAT99["halfredis|GET"]}")"
printf '\n| cluster node | pid | threads | RSS |\n|---|---|---|---|\n%s\n' "$STATS"
