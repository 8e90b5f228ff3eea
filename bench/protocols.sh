#!/usr/bin/env bash
# One workload, side by side in one run: redis-server (persistence off) over RESP, and a 3-node Cairn
# cluster (elastic, RF 3, the product's defaults: STRICT fsync, linearizable reads) over RESP and over
# gRPC, each measured by `cairn bench` with the same options. Prints one table (ops/s, p50/p99/p99.9,
# ratio to redis).
#
#   bench/protocols.sh                               # workload a, 20000 records, 8 clients, pipeline 1, 15 s
#   WORKLOAD=c PIPELINE=16 DURATION=20 bench/protocols.sh
# Knobs: WORKLOAD (a), RECORDS (20000), CLIENTS (8), PIPELINE (1), DURATION (15 s), WARMUP (5s),
# DISTRIBUTION (zipfian), PARTITIONS (16), HEAP (1g). KEEP=1 keeps the work directory.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
WORKLOAD=${WORKLOAD:-a}
RECORDS=${RECORDS:-20000}
CLIENTS=${CLIENTS:-8}
PIPELINE=${PIPELINE:-1}
DURATION=${DURATION:-15}
WARMUP=${WARMUP:-5s}
DISTRIBUTION=${DISTRIBUTION:-zipfian}
PARTITIONS=${PARTITIONS:-16}
HEAP=${HEAP:-1g}

command -v redis-server >/dev/null || { echo "redis-server is needed (apt-get install redis-server)" >&2; exit 1; }
command -v python3 >/dev/null || { echo "python3 is needed" >&2; exit 1; }
# shellcheck source=../scripts/lib/bench.sh
source "$ROOT/scripts/lib/bench.sh"
bench_init

read -r -a P <<<"$(free_ports 10)"
REDIS_PORT=${P[0]}
RESP=("${P[@]:1:3}"); RAFT=("${P[@]:4:3}"); GRPC=("${P[@]:7:3}")
redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no --daemonize no >"$WORK/redis.log" 2>&1 &
PIDS+=($!)

start_node() { # start_node <index> <--bootstrap | --join host:port>
  local i=$1; shift
  "$JAVA_HOME/bin/java" "${JAVA_FLAGS[@]}" "-Xmx$HEAP" -cp "$CP" io.cairn.cli.CairnCli server \
    --node-id "n$((i + 1))" --port "${RESP[i]}" --raft-port "${RAFT[i]}" --data-dir "$WORK/n$((i + 1))" \
    --partitions "$PARTITIONS" --replication-factor 3 --set "grpc.port=${GRPC[i]}" "$@" >"$WORK/n$((i + 1)).log" 2>&1 &
  PIDS+=($!)
  await_ready "n$((i + 1))" "$!" "$WORK/n$((i + 1)).log"
}
log "starting 3 Cairn nodes ($PARTITIONS partitions, RF 3) and redis-server"
start_node 0 --bootstrap
start_node 1 --join "127.0.0.1:${RAFT[0]}"
start_node 2 --join "127.0.0.1:${RAFT[0]}"
# Settled: every node UP and no replica move left (the joins' rebalance).
deadline=$((SECONDS + 180))
settled() {
  python3 -c 'import json,sys; m=json.loads(sys.argv[1]); r=json.loads(sys.argv[2])
sys.exit(0 if sum(n["state"] == "UP" for n in m["nodes"]) == 3 and r["balanced"] else 1)' \
    "$(redis-cli -p "${RESP[0]}" CLUSTER MAP 2>/dev/null)" \
    "$("${CAIRN[@]}" rebalance --status --port "${RESP[0]}" -o json 2>/dev/null)" 2>/dev/null
}
until settled; do
  ((SECONDS < deadline)) || { echo "the cluster did not settle within 180 s" >&2; exit 1; }
  sleep 1
done

hosts() { local port out=""; for port in "$@"; do out+="${out:+,}127.0.0.1:$port"; done; echo "$out"; }
common=(--records "$RECORDS" --clients "$CLIENTS" --seed 42 -o json)
run() { # run <name> <target args...>: load, then the measured workload; JSON in $WORK/<name>.json
  local name=$1; shift
  log "$name: loading $RECORDS records"
  "${CAIRN[@]}" bench "$@" --workload load "${common[@]}" --pipeline 32 >"$WORK/$name-load.json"
  log "$name: workload $WORKLOAD, $CLIENTS clients x pipeline $PIPELINE, warm-up $WARMUP, $DURATION s"
  "${CAIRN[@]}" bench "$@" --workload "$WORKLOAD" --distribution "$DISTRIBUTION" "${common[@]}" \
    --pipeline "$PIPELINE" --warmup "$WARMUP" --duration "$DURATION" >"$WORK/$name.json"
}
run redis --port "$REDIS_PORT"
run cairn-resp --hosts "$(hosts "${RESP[@]}")"
run cairn-grpc --target grpc --hosts "$(hosts "${GRPC[@]}")"

python3 - "$WORK" "$WORKLOAD" "$RECORDS" "$CLIENTS" "$PIPELINE" "$DURATION" "$DISTRIBUTION" <<'EOF'
import json, sys
work, workload, records, clients, pipeline, duration, dist = sys.argv[1:]
rows = [("redis-server (persistence off)", "redis"), ("cairn 3 nodes, RESP", "cairn-resp"), ("cairn 3 nodes, gRPC", "cairn-grpc")]
def pct(r, p):
    return r["latencyMs"][p]
reports = {name: json.load(open(f"{work}/{name}.json")) for _, name in rows}
base = reports["redis"]["opsPerSecond"]
print(f"workload {workload}, {records} records, {clients} clients x pipeline {pipeline}, {duration} s, {dist}")
print("| target | ops/s | p50 ms | p99 ms | p99.9 ms | failed | vs redis |")
print("|---|---|---|---|---|---|---|")
for label, name in rows:
    r = reports[name]
    print(f"| {label} | {r['opsPerSecond']:,.0f} | {pct(r, 'p50')} | {pct(r, 'p99')} | {pct(r, 'p99.9')} | {r.get('failed', 0)} | {r['opsPerSecond'] / base:.3f} |")
EOF
