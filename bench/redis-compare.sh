#!/usr/bin/env bash
# Side-by-side: a real redis-server and a single Cairn node (memory engine) on loopback, measured
# with redis-benchmark in the same run. Prints the median requests/s of ROUNDS rounds per line and
# the Cairn/Redis ratio.
#   bench/redis-compare.sh                 # -n 1000000, 3 rounds (several minutes)
#   N=200000 ROUNDS=1 bench/redis-compare.sh   # a quick look
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
N=${N:-1000000}
ROUNDS=${ROUNDS:-3}
CLIENTS=${CLIENTS:-50}
TESTS=${TESTS:-set,get,incr,mset}
PIPELINES=${PIPELINES:-"1 16"}

bash "$ROOT/scripts/install-deps.sh"
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
wait_port() { for _ in $(seq 1 300); do redis-cli -p "$1" PING >/dev/null 2>&1 && return 0; sleep 0.1; done; echo "port $1 never answered" >&2; return 1; }

WORK=$(mktemp -d)
REDIS_PORT=$(free_port); CAIRN_PORT=$(free_port)
cleanup() { [[ -n "${RPID:-}" ]] && kill "$RPID" 2>/dev/null; [[ -n "${CPID:-}" ]] && kill "$CPID" 2>/dev/null; wait 2>/dev/null; rm -rf "$WORK"; }
trap cleanup EXIT

"$ROOT/cairn" --version >/dev/null   # build first, outside the measurement
redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no --daemonize no >"$WORK/redis.log" 2>&1 & RPID=$!
"$ROOT/cairn" server --port "$CAIRN_PORT" >"$WORK/cairn.log" 2>&1 & CPID=$!
wait_port "$REDIS_PORT"; wait_port "$CAIRN_PORT"
echo "redis-server $(redis-server --version | sed -n 's/.*v=\([^ ]*\).*/\1/p') on :$REDIS_PORT, cairn on :$CAIRN_PORT; -n $N -c $CLIENTS, $ROUNDS rounds; $(nproc) cores"

# Warm the JVM once (JIT) so the first measured round is not a compile benchmark.
redis-benchmark -p "$CAIRN_PORT" -t "$TESTS" -n 200000 -c "$CLIENTS" -P 16 -q >/dev/null 2>&1 || true

declare -A RESULTS
for round in $(seq 1 "$ROUNDS"); do
  for P in $PIPELINES; do
    for target in redis cairn; do
      port=$REDIS_PORT; [[ $target == cairn ]] && port=$CAIRN_PORT
      redis-cli -p "$port" FLUSHALL >/dev/null
      while IFS=, read -r name rps _; do
        name=${name//\"/}; rps=${rps//\"/}
        [[ "$name" == test ]] && continue
        name=${name%% *}
        RESULTS["$target|$P|$name"]+="$rps "
      done < <(redis-benchmark -p "$port" -t "$TESTS" -n "$N" -c "$CLIENTS" -P "$P" --csv 2>/dev/null)
    done
  done
  echo "round $round done" >&2
done

median() { printf '%s\n' $1 | sort -g | awk '{a[NR]=$1} END {if (NR%2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }
printf '\n| test | pipeline | redis req/s | cairn req/s | cairn/redis |\n|---|---|---|---|---|\n'
for P in $PIPELINES; do
  for t in ${TESTS//,/ }; do
    T=$(echo "$t" | tr a-z A-Z)
    r=$(median "${RESULTS["redis|$P|$T"]:-0}"); c=$(median "${RESULTS["cairn|$P|$T"]:-0}")
    ratio=$(awk -v c="$c" -v r="$r" 'BEGIN { if (r > 0) printf "%.2f", c / r; else print "n/a" }')
    printf '| %s | %s | %.0f | %.0f | %s |\n' "$T" "$P" "$r" "$c" "$ratio"
  done
done
