#!/usr/bin/env bash
# Elastic rebalance and failover under load, with real `cairn server` processes on loopback:
#   1. 3 elastic nodes (--bootstrap, --join), RF 3; load KEYS records (16-byte keys, 64-byte values)
#      with `cairn bench --workload load`;
#   2. steady state: `cairn bench` workload A (50% read, 50% update) at a fixed RATE for STEADY s;
#   3. the same load again while a 4th node joins; the run stops once CLUSTER REBALANCE reports no
#      move in progress and no replica misplaced (the bench's --stop-file); replicas moved are
#      counted from CLUSTER MAP before and after, against the minimum (the replicas the new
#      placement gives the new node: each had to be copied there), and payload bytes moved from the
#      moved partitions' key counts (CLUSTER COUNTKEYSINSLOT) x (key + value size);
#   4. failover: the same load over all 4 nodes, kill -9 of the node leading the most partitions
#      after FAILOVER_KILL_AT s; the bench measures the longest gap between successful writes per
#      partition (--partitions), i.e. how long the killed leader's partitions took to take writes again.
# The nodes run with the product's defaults (elections after 1-2 s of leader silence, etc.) plus
# CAIRN_SERVER_ARGS.
# Prints a table. Every process is stopped on exit (trap), the work directory removed unless KEEP=1.
#
#   bench/rebalance.sh                    # KEYS=1000000
#   KEYS=100000 bench/rebalance.sh        # a quicker run
# Knobs: KEYS (1000000), PARTITIONS (64), RATE (ops/s; default: half of what an unthrottled
# CALIBRATE-second run of workload A reached on this machine, CALIBRATE=10), CLIENTS (8), STEADY (20 s),
# FAILOVER_SECONDS (25), FAILOVER_KILL_AT (8), DURABILITY (STRICT|RELAXED, default STRICT),
# HEAP (per node, 1g), REBALANCE_TIMEOUT (900 s), LOAD_CLIENTS (16), LOAD_PIPELINE (32),
# CAIRN_SERVER_ARGS (extra `cairn server` arguments), CAIRN_JAVA_OPTS (extra JVM options for the
# nodes), CAIRN_CLASSPATH (run the CLI from this class path instead of building with ./cairn), KEEP=1.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
KEYS=${KEYS:-1000000}
PARTITIONS=${PARTITIONS:-64}
RATE=${RATE:-}
CALIBRATE=${CALIBRATE:-10}
CLIENTS=${CLIENTS:-8}
STEADY=${STEADY:-20}
FAILOVER_SECONDS=${FAILOVER_SECONDS:-25}
FAILOVER_KILL_AT=${FAILOVER_KILL_AT:-8}
DURABILITY=${DURABILITY:-STRICT}
HEAP=${HEAP:-1g}
REBALANCE_TIMEOUT=${REBALANCE_TIMEOUT:-900}
LOAD_CLIENTS=${LOAD_CLIENTS:-16}
LOAD_PIPELINE=${LOAD_PIPELINE:-32}
KEY_SIZE=16
VALUE_SIZE=64
RF=3
# `cairn server` reads exported CAIRN_* variables as settings and refuses unknown ones: keep this
# script's own knobs out of the nodes' environment.
SERVER_ARGS=${CAIRN_SERVER_ARGS:-}
NODE_JAVA_OPTS=${CAIRN_JAVA_OPTS:-}
CAIRN_CLASSPATH=${CAIRN_CLASSPATH:-}
unset CAIRN_SERVER_ARGS CAIRN_JAVA_OPTS
export -n CAIRN_CLASSPATH

command -v redis-cli >/dev/null || { echo "redis-cli is needed (apt-get install redis-tools)" >&2; exit 1; }
command -v python3 >/dev/null || { echo "python3 is needed" >&2; exit 1; }
# shellcheck source=../scripts/lib/bench.sh
source "$ROOT/scripts/lib/bench.sh"
bench_init
cairn() { "${CAIRN[@]}" "$@"; }
# bench_start <out> <err> <bench args...>: a `cairn bench` in the background, its pid in BENCH_PID.
# Long runs go through this (then `wait`): bash runs a trap only once its foreground child exits,
# so a SIGTERM to this script would otherwise leave the nodes running until the bench finished.
bench_start() { local out=$1 err=$2; shift 2; "${CAIRN[@]}" bench "$@" >"$out" 2>"$err" & BENCH_PID=$!; PIDS+=("$BENCH_PID"); }

now_ms() { date +%s%3N; }

NAMES=(n1 n2 n3 n4)
read -r -a PORTS <<<"$(free_ports 8)"
RESP=("${PORTS[@]:0:4}")
RAFT=("${PORTS[@]:4:4}")
declare -a NODE_PID
start_node() { # start_node <index> <--bootstrap | --join host:port>
  local i=$1; shift
  # shellcheck disable=SC2086
  "$JAVA_HOME/bin/java" "${JAVA_FLAGS[@]}" "-Xmx$HEAP" $NODE_JAVA_OPTS -cp "$CP" io.cairn.cli.CairnCli server \
    --node-id "${NAMES[i]}" --port "${RESP[i]}" --raft-port "${RAFT[i]}" --data-dir "$WORK/${NAMES[i]}" \
    --partitions "$PARTITIONS" --replication-factor "$RF" --durability "$DURABILITY" \
    $SERVER_ARGS "$@" >"$WORK/${NAMES[i]}.log" 2>&1 &
  NODE_PID[i]=$!; PIDS+=($!)
  await_ready "${NAMES[i]}" "${NODE_PID[i]}" "$WORK/${NAMES[i]}.log"
}
hosts() { local n=$1 i out=""; for ((i = 0; i < n; i++)); do out+="${out:+,}127.0.0.1:${RESP[i]}"; done; echo "$out"; }
cluster_map() { redis-cli -p "$1" CLUSTER MAP; } # JSON (a bulk string; redis-cli prints it raw when piped)
rebalance_json() { cairn rebalance --port "$1" -o json 2>/dev/null; }
# wait_balanced <port> <nodes expected UP> <timeout s>: until that many nodes are UP and nothing is misplaced or moving.
wait_balanced() {
  local port=$1 want=$2 deadline=$((SECONDS + $3))
  while ((SECONDS < deadline)); do
    if python3 - "$want" <(cluster_map "$port") <(rebalance_json "$port") <<'EOF'
import json, sys
want = int(sys.argv[1])
try:
    m = json.load(open(sys.argv[2])); r = json.load(open(sys.argv[3]))
except Exception:
    sys.exit(1)
up = [n for n in m.get("nodes", []) if n["state"] == "UP"]
sys.exit(0 if len(up) == want and r["balanced"] else 1)
EOF
    then return 0; fi
    sleep 0.5
  done
  echo "cluster on :$port not balanced with $want UP nodes within $3 s" >&2
  rebalance_json "$port" >&2 || true
  return 1
}

log "starting 3 elastic nodes ($PARTITIONS partitions, RF $RF, $DURABILITY, heap $HEAP) in $WORK"
start_node 0 --bootstrap
start_node 1 --join "127.0.0.1:${RAFT[0]}"
start_node 2 --join "127.0.0.1:${RAFT[0]}"
wait_balanced "${RESP[0]}" 3 300
log "3 nodes up and balanced"

# Every bench runs through all current nodes (client i on node i mod n; Cairn proxies other keys).
common=(--records "$KEYS" --key-size "$KEY_SIZE" --value-size "$VALUE_SIZE" --progress lines --report-interval-ms 1000)
log "loading $KEYS records"
bench_start "$WORK/load.json" "$WORK/load.progress" --hosts "$(hosts 3)" --workload load "${common[@]}" \
  --clients "$LOAD_CLIENTS" --pipeline "$LOAD_PIPELINE" --timeout-ms 30000 -o json
wait "$BENCH_PID"
loaded=$(redis-cli -p "${RESP[0]}" DBSIZE)
log "loaded: DBSIZE $loaded"

start_load() { # start_load <out.json> <nodes> [extra bench args]: fixed-rate workload A, write gaps per partition
  local out=$1 n=$2; shift 2
  # Uniform keys: every partition gets writes at the same pace, so a partition's write gap is not
  # just a cold partition (zipfian leaves some partitions with few writes).
  bench_start "$out" "$out.progress" --hosts "$(hosts "$n")" --workload a --distribution uniform "${common[@]}" \
    --rate "$RATE" --clients "$CLIENTS" --partitions "$PARTITIONS" --timeout-ms 10000 -o json "$@"
}
if [[ -z "$RATE" ]]; then
  # A fixed rate the cluster sustains: half of what it does flat out (a rate above capacity only
  # measures the queue, since latency counts from each operation's intended start).
  bench_start "$WORK/calibrate.json" "$WORK/calibrate.json.progress" --hosts "$(hosts 3)" --workload a \
    --distribution uniform "${common[@]}" --clients "$CLIENTS" --duration "$CALIBRATE" -o json
  wait "$BENCH_PID"
  RATE=$(python3 -c 'import json,sys; print(max(50, int(json.load(open(sys.argv[1]))["opsPerSecond"] / 2)))' "$WORK/calibrate.json")
  log "calibration: $(python3 -c 'import json,sys; print(round(json.load(open(sys.argv[1]))["opsPerSecond"]))' "$WORK/calibrate.json") ops/s unthrottled; fixed rate $RATE ops/s"
fi
log "steady state: workload a at $RATE ops/s for $STEADY s"
start_load "$WORK/steady.json" 3 --duration "$STEADY"
wait "$BENCH_PID"

cluster_map "${RESP[0]}" >"$WORK/map-before.json"
log "rebalance: joining n4 under the same load"
start_load "$WORK/during.json" 3 --duration "$REBALANCE_TIMEOUT" --stop-file "$WORK/stop-during"
sleep 3
JOIN_MS=$(now_ms)
start_node 3 --join "127.0.0.1:${RAFT[0]}"
if ! wait_balanced "${RESP[0]}" 4 "$REBALANCE_TIMEOUT"; then touch "$WORK/stop-during"; wait "$BENCH_PID" || true; exit 1; fi
BALANCED_MS=$(now_ms)
touch "$WORK/stop-during"
wait "$BENCH_PID"
cluster_map "${RESP[0]}" >"$WORK/map-after.json"
log "balanced after $(( (BALANCED_MS - JOIN_MS) / 1000 )) s"

# Keys per partition, asked of the cluster (COUNTKEYSINSLOT for every slot, pipelined).
python3 - "${RESP[0]}" "$PARTITIONS" >"$WORK/keys-per-partition.json" <<'EOF'
import json, socket, sys
port, parts = int(sys.argv[1]), int(sys.argv[2])
s = socket.create_connection(("127.0.0.1", port)); f = s.makefile("rb")
cmd = lambda x: b"*3\r\n$7\r\nCLUSTER\r\n$15\r\nCOUNTKEYSINSLOT\r\n$%d\r\n%d\r\n" % (len(str(x)), x)
counts = [0] * parts
todo = list(range(16384))
for attempt in range(10):  # a busy partition may answer -TIMEOUT: ask again for those slots
    failed = []
    for start in range(0, len(todo), 512):
        batch = todo[start:start + 512]
        s.sendall(b"".join(cmd(x) for x in batch))
        for slot in batch:
            line = f.readline()
            if line.startswith(b":"):
                counts[slot * parts // 16384] += int(line[1:])
            else:
                failed.append(slot)
    todo = failed
    if not todo:
        break
if todo:
    sys.exit("COUNTKEYSINSLOT failed for %d slots, e.g. %d" % (len(todo), todo[0]))
print(json.dumps(counts))
EOF

# Failover: the node leading the most partitions is killed under load.
cairn topology --port "${RESP[0]}" -o json >"$WORK/topology.json"
read -r VICTIM VICTIM_LEADS VICTIM_PARTITIONS < <(python3 - "$WORK/topology.json" <<'EOF'
import json, sys, collections
t = json.load(open(sys.argv[1]))
leads = collections.Counter(p.get("leader") for p in t["partitions"] if p.get("leader"))
name, n = leads.most_common(1)[0]
print(name, n, ",".join(str(p["partition"]) for p in t["partitions"] if p.get("leader") == name))
EOF
)
VICTIM_INDEX=-1
for i in 0 1 2 3; do [[ "${NAMES[i]}" == "$VICTIM" ]] && VICTIM_INDEX=$i; done
[[ $VICTIM_INDEX -ge 0 ]] || { echo "leader '$VICTIM' is not one of ${NAMES[*]}" >&2; exit 1; }
log "failover: kill -9 $VICTIM (leads $VICTIM_LEADS of $PARTITIONS partitions) after $FAILOVER_KILL_AT s of load"
start_load "$WORK/failover.json" 4 --duration "$FAILOVER_SECONDS"
sleep "$FAILOVER_KILL_AT"
KILL_MS=$(now_ms)
kill -9 "${NODE_PID[VICTIM_INDEX]}"
wait "${NODE_PID[VICTIM_INDEX]}" 2>/dev/null || true # reaped here: no "Killed" job notice
wait "$BENCH_PID"

python3 - "$WORK" "$KEYS" "$loaded" "$RF" "$PARTITIONS" "$KEY_SIZE" "$VALUE_SIZE" "$JOIN_MS" "$BALANCED_MS" "$KILL_MS" \
  "$VICTIM" "$VICTIM_LEADS" "$RATE" "$DURABILITY" "$VICTIM_PARTITIONS" <<'EOF'
import json, sys
(work, keys, loaded, rf, parts, ksize, vsize, join_ms, balanced_ms, kill_ms, victim, victim_leads, rate,
 durability, victim_parts) = sys.argv[1:]
victim_parts = [int(p) for p in victim_parts.split(",") if p]
keys, loaded, rf, parts, ksize, vsize = int(keys), int(loaded), int(rf), int(parts), int(ksize), int(vsize)
join_ms, balanced_ms, kill_ms = int(join_ms), int(balanced_ms), int(kill_ms)
J = lambda n: json.load(open(f"{work}/{n}"))
load, steady, during, fail = J("load.json"), J("steady.json"), J("during.json"), J("failover.json")
before, after, per_part = J("map-before.json"), J("map-after.json"), J("keys-per-partition.json")
moved = 0; moved_bytes = 0
for i, (pb, pa) in enumerate(zip(before["partitions"], after["partitions"])):
    added = set(pa["replicas"]) - set(pb["replicas"])  # each new replica was copied (snapshot + log) from the leader
    moved += len(added)
    moved_bytes += len(added) * per_part[i] * (ksize + vsize)
new_nodes = {n["id"] for n in after["nodes"]} - {n["id"] for n in before["nodes"]}
ideal = sum(1 for p in after["partitions"] for r in p["replicas"] if r in new_nodes)
ideal_bytes = sum(per_part[i] * (ksize + vsize) for i, p in enumerate(after["partitions"]) for r in p["replicas"] if r in new_nodes)
even = rf * parts / 4
def ops(j): return j["opsPerSecond"]
def p99(j): return j["latencyMs"]["p99"]
def writes_p99(j):
    u = j["byOperation"].get("update")
    return u["latencyMs"]["p99"] if u else 0
gap = fail["maxWriteGap"]
gap_end_ms = gap.get("fromEpochMs", 0) + gap["ms"]
resume_after_kill = (gap_end_ms - kill_ms) / 1000 if gap.get("fromEpochMs", 0) <= kill_ms + 1000 else None
by_group = gap.get("byGroupMs", [])
victim_gap = max((by_group[p] for p in victim_parts if p < len(by_group)), default=0) / 1000
other_gap = max((g for i, g in enumerate(by_group) if i not in victim_parts), default=0) / 1000
rows = [
    ("records loaded (16 B keys, 64 B values)", f"{loaded} (asked {keys}); load {ops(load):.0f} ops/s, {load['failed']} failed", ""),
    ("replicas moved 3 -> 4 nodes", f"{moved}; minimum {ideal} (the new node's replicas; even share RF*P/4 = {even:g}): {moved / max(ideal, 1):.2f}x", "<= 1.1x"),
    ("payload bytes moved", f"{moved_bytes / 1e6:.1f} MB (keys x (key+value) of moved replicas; minimum {ideal_bytes / 1e6:.1f} MB)", ""),
    ("time to finish rebalance", f"{(balanced_ms - join_ms) / 1000:.1f} s (n4 start -> CLUSTER REBALANCE balanced)", ""),
    (f"throughput before / during (fixed rate {rate}/s)", f"{ops(steady):.0f} / {ops(during):.0f} ops/s = {100 * ops(during) / max(ops(steady), 1e-9):.0f}%", ">= 70%"),
    ("p99 before / during", f"{p99(steady):.2f} / {p99(during):.2f} ms (updates {writes_p99(steady):.2f} / {writes_p99(during):.2f} ms)", ""),
    ("failed ops before / during / failover", f"{steady['failed']} / {during['failed']} / {fail['failed']}", ""),
    ("longest write gap, steady state (noise floor)", f"{steady['maxWriteGap']['ms'] / 1000:.2f} s (per partition, {rate}/s over {parts} partitions)", ""),
    (f"failover: kill -9 {victim} (led {victim_leads} partitions)",
     f"longest write gap of its partitions {victim_gap:.2f} s; of the other partitions {other_gap:.2f} s"
     " (a client waits behind its operation on a failed partition: the others' gap is the clients', not the cluster's)", "< 3 s"),
    ("  longest gap overall", (f"{gap['ms'] / 1000:.2f} s (partition {gap.get('group')}), writes resumed {resume_after_kill:.2f} s after the kill"
      if resume_after_kill is not None else f"{gap['ms'] / 1000:.2f} s, not at the kill"), ""),
    ("  write spacing per partition", f"~{parts / (float(rate) * 0.5):.2f} s on average (resolution of the gaps)", ""),
    ("failover run p99 / max", f"{p99(fail):.1f} / {fail['latencyMs']['max']:.1f} ms (latency from intended start)", ""),
]
print(f"\nrebalance.sh: {keys} keys, {parts} partitions, RF {rf}, {durability}, workload A (uniform keys) at {rate} ops/s\n")
w = max(len(r[0]) for r in rows)
print(f"| {'metric'.ljust(w)} | value | target |"); print(f"|{'-' * (w + 2)}|---|---|")
for m, v, t in rows:
    print(f"| {m.ljust(w)} | {v} | {t} |")
errs = {e["code"]: e["count"] for j in (during, fail) for e in j["errors"]}
if errs: print("\nerrors during rebalance/failover:", ", ".join(f"{k} x{v}" for k, v in errs.items()))
EOF
