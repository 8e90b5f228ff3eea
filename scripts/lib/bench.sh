# shellcheck shell=bash
# Shared set-up of the benchmark scripts under bench/ that run `cairn` processes: source it after
# setting ROOT, then call bench_init. It picks a JDK >= 21 (scripts/lib/java.sh), makes a work
# directory ($WORK), kills every pid appended to PIDS on exit (the work directory is removed
# unless KEEP=1), and takes a checked copy of the launcher's class path, so that a rebuild
# elsewhere (./cairn rebuilds whenever a source is newer than its last build) can neither tear
# the running JVMs' classes nor make several nodes build at once. Then:
#   CAIRN=(java ... io.cairn.cli.CairnCli)   the CLI from that copy ("${CAIRN[@]}" bench ...)
#   CP, JAVA_FLAGS                           the copy's class path and ./cairn's JVM flags
#   free_ports N, log MESSAGE                N free loopback ports; a timestamped line on stderr

# shellcheck source=java.sh
source "$ROOT/scripts/lib/java.sh"

bench_init() {
  cairn_use_jdk 21
  WORK=$(mktemp -d)
  PIDS=()
  trap bench_cleanup EXIT
  trap 'exit 130' INT TERM
  JAVA_FLAGS=(--enable-native-access=ALL-UNNAMED -Dio.netty.leakDetection.level=disabled)
  if [[ "$(cairn_java_major "$JAVA_HOME")" -ge 24 ]]; then JAVA_FLAGS+=(--sun-misc-unsafe-memory-access=allow); fi
  if [[ -n "${CAIRN_CLASSPATH:-}" ]]; then
    CP="$CAIRN_CLASSPATH"
  else
    CP="$WORK/cp/classes:$WORK/cp/lib/*"
  fi
  CAIRN=("$JAVA_HOME/bin/java" "${JAVA_FLAGS[@]}" -cp "$CP" io.cairn.cli.CairnCli)
  [[ -n "${CAIRN_CLASSPATH:-}" ]] && return 0
  # A build running elsewhere may be half-way through: the copy is checked, up to 3 tries.
  local attempt
  for attempt in 1 2 3; do
    "$ROOT/cairn" --version >/dev/null # builds when sources changed, outside any measurement
    rm -rf "$WORK/cp"; mkdir -p "$WORK/cp"
    cp -r "$ROOT/cairn-cli/target/classes" "$ROOT/cairn-cli/target/lib" "$WORK/cp/" 2>/dev/null || true
    "${CAIRN[@]}" --version >/dev/null 2>&1 && return 0
    sleep 5
  done
  echo "could not take a working copy of the cairn class path" >&2
  exit 1
}

bench_cleanup() {
  local p
  for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  if [[ "${KEEP:-0}" == 1 ]]; then echo "work directory kept: $WORK" >&2; else rm -rf "$WORK"; fi
}

free_ports() { python3 -c 'import socket,sys
ss=[socket.socket() for _ in range(int(sys.argv[1]))]
[s.bind(("127.0.0.1",0)) for s in ss]; print(" ".join(str(s.getsockname()[1]) for s in ss)); [s.close() for s in ss]' "$1"; }

log() { echo "[$(date +%T)] $*" >&2; }

# await_ready <name> <pid> <log>: until the node's log says "ready on" (at most 180 s); exits the
# script with the log's tail if the process died or the time ran out.
await_ready() {
  local name=$1 pid=$2 file=$3 deadline=$((SECONDS + 180))
  until grep -q "ready on" "$file"; do
    if ! kill -0 "$pid" 2>/dev/null || ((SECONDS > deadline)); then
      echo "$name did not start; its log:" >&2; tail -n 30 "$file" >&2; exit 1
    fi
    sleep 0.2
  done
}
