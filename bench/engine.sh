#!/usr/bin/env bash
# Storage engine microbenchmarks (JMH, io.cairn.bench.engine.EngineBenchmark): memory and rocksdb
# backends, GET and SET (overwrite), 1 and 2 threads, 16-byte keys, 64-byte values, 1M keys
# preloaded. Prints one table: backend, key distribution, op, threads, ns/op (± 99.9% error), ops/s.
#   bench/engine.sh               # about 4 minutes on 2 cores
#   QUICK=1 bench/engine.sh       # 1 warmup + 2 measured iterations: rough numbers, ~2.5 minutes
#   KEYS=200000 bench/engine.sh   # a smaller preload
# Rows: uniform = keys drawn from all KEYS keys (DRAM-bound); hot = from 4096 keys (in cache);
# rocksdb = WAL written per write but not fsynced; rocksdb-sync = fsync per write (the default).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=../scripts/lib/java.sh
source "$ROOT/scripts/lib/java.sh"
cairn_use_jdk 21

command -v mvn >/dev/null 2>&1 || { echo "engine.sh: Maven (mvn) not found" >&2; exit 1; }
command -v python3 >/dev/null 2>&1 || { echo "engine.sh: python3 is needed to print the table" >&2; exit 1; }

KEYS=${KEYS:-1000000}
ITER=()
if [[ -n "${QUICK:-}" ]]; then ITER=(-wi 1 -i 2); fi

OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT

echo "engine.sh: building cairn-bench with $JAVA_HOME ..." >&2
(cd "$ROOT" && mvn -B -q -DskipTests -pl cairn-bench -am package) >"$OUT/build.log" 2>&1 || {
  tail -n 40 "$OUT/build.log" >&2; exit 1; }
CP="$ROOT/cairn-bench/target/classes:$ROOT/cairn-bench/target/lib/*"

run() { # name, JMH args...
  local name=$1; shift
  echo "engine.sh: running $name ..." >&2
  if ! "$JAVA_HOME/bin/java" -cp "$CP" org.openjdk.jmh.Main "$@" -p keys="$KEYS" "${ITER[@]}" \
        -rf json -rff "$OUT/$name.json" >"$OUT/$name.log" 2>&1; then
    echo "engine.sh: JMH run '$name' failed:" >&2; tail -n 40 "$OUT/$name.log" >&2; exit 1
  fi
}

run uniform 'io.cairn.bench.engine.EngineBenchmark\.' -p backend=memory,rocksdb -p dist=uniform
run hot 'io.cairn.bench.engine.EngineBenchmark\.' -p backend=memory -p dist=hot
run sync 'io.cairn.bench.engine.EngineBenchmark\.set' -p backend=rocksdb-sync -p dist=uniform

python3 - "$OUT"/uniform.json "$OUT"/hot.json "$OUT"/sync.json <<'PY'
import json, sys
rows = []
for path in sys.argv[1:]:
    for r in json.load(open(path)):
        name = r["benchmark"].rsplit(".", 1)[1]          # get1, set2, ...
        op, threads = name[:-1].upper(), int(name[-1])
        m = r["primaryMetric"]
        ns, err = float(m["score"]), float(m["scoreError"])
        rows.append((r["params"]["backend"], r["params"]["dist"], op, threads, ns, err, threads * 1e9 / ns))
order = {"memory": 0, "rocksdb": 1, "rocksdb-sync": 2}
rows.sort(key=lambda x: (order.get(x[0], 9), x[1] != "uniform", x[2], x[3]))
print(f"{'backend':<13} {'dist':<8} {'op':<4} {'threads':>7} {'ns/op':>12} {'± error':>10} {'ops/s':>12}")
for b, d, op, t, ns, err, ops in rows:
    print(f"{b:<13} {d:<8} {op:<4} {t:>7} {ns:>12.1f} {err:>10.1f} {ops:>12,.0f}")
PY
