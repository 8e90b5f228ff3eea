#!/usr/bin/env bash
# Installs, when missing, the system packages Cairn's tests and benchmarks use:
# redis-tools (redis-cli, redis-benchmark) and redis-server (the differential test's reference),
# Maven, and a JDK >= 21. Safe to run repeatedly; does nothing when all is present.
set -euo pipefail
need=()
command -v redis-cli >/dev/null 2>&1 || need+=(redis-tools)
command -v redis-benchmark >/dev/null 2>&1 || need+=(redis-tools)
command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
command -v mvn >/dev/null 2>&1 || need+=(maven)
have_jdk21=false
for d in /usr/lib/jvm/*/; do
  v=$("${d}bin/java" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p' | head -n1 || true)
  if [[ -n "$v" && "${v%%.*}" -ge 21 && -x "${d}bin/javac" ]]; then have_jdk21=true; fi
done
$have_jdk21 || need+=(openjdk-21-jdk-headless)
if [[ ${#need[@]} -gt 0 ]]; then
  mapfile -t need < <(printf '%s\n' "${need[@]}" | sort -u)
  echo "install-deps: installing ${need[*]}"
  SUDO=""; [[ $(id -u) -eq 0 ]] || SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
# The packaged redis-server starts a system instance on 6379; tests start their own on ephemeral ports.
