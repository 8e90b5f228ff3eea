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
# shellcheck source=lib/java.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/java.sh"
have_jdk21=true
cairn_find_jdk 21 >/dev/null || have_jdk21=false
if ! $have_jdk21; then
  # Debian bookworm ships no JDK 21; newer Debian releases and Adoptium's repository do.
  for pkg in openjdk-21-jdk-headless openjdk-25-jdk-headless temurin-21-jdk temurin-25-jdk; do
    if apt-cache policy "$pkg" 2>/dev/null | grep -q 'Candidate: [0-9]'; then need+=("$pkg"); have_jdk21=true; break; fi
  done
  $have_jdk21 || { echo "install-deps: no JDK >= 21 installed and none available from apt; install one and set JAVA_HOME" >&2; exit 1; }
fi
if [[ ${#need[@]} -gt 0 ]]; then
  mapfile -t need < <(printf '%s\n' "${need[@]}" | sort -u)
  echo "install-deps: installing ${need[*]}"
  SUDO=""; [[ $(id -u) -eq 0 ]] || SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
# The packaged redis-server starts a system instance on 6379; tests start their own on ephemeral ports.
