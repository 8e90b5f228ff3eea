# shellcheck shell=bash
# Shared JDK discovery for Cairn's scripts (same rules as the ./cairn launcher):
# JAVA_HOME if it is a JDK >= the minimum, else the newest JDK >= the minimum found in
# /usr/lib/jvm, /opt/java or ~/.sdkman. Source this file, then call cairn_find_jdk.

# Prints the feature version of the java binary in $1/bin/java, or nothing.
cairn_java_major() {
  local out
  out=$("$1/bin/java" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p' | head -n1) || return 0
  echo "${out%%.*}"
}

# Prints the home of a JDK >= ${1:-21}; returns 1 if there is none.
cairn_find_jdk() {
  local min="${1:-21}"
  if [[ -n "${JAVA_HOME:-}" && -x "$JAVA_HOME/bin/javac" ]]; then
    local v; v=$(cairn_java_major "$JAVA_HOME")
    if [[ -n "$v" && "$v" -ge "$min" ]]; then echo "$JAVA_HOME"; return 0; fi
  fi
  local best="" best_v=0 d v
  for d in /usr/lib/jvm/*/ /opt/java/*/ "$HOME"/.sdkman/candidates/java/*/; do
    d="${d%/}"
    [[ -x "$d/bin/javac" && ! -L "$d" ]] || continue
    v=$(cairn_java_major "$d"); [[ -n "$v" ]] || continue
    if [[ "$v" -ge "$min" && "$v" -gt "$best_v" ]]; then best="$d"; best_v=$v; fi
  done
  [[ -n "$best" ]] || return 1
  echo "$best"
}

# Exports JAVA_HOME/PATH for a JDK >= ${1:-21} (and the Maven flag JDK 24+ wants), or exits.
cairn_use_jdk() {
  local min="${1:-21}" jdk
  if ! jdk=$(cairn_find_jdk "$min"); then
    echo "no JDK >= $min found (looked at JAVA_HOME, /usr/lib/jvm, /opt/java, ~/.sdkman)." >&2
    echo "install one, e.g. 'apt-get install temurin-21-jdk' or 'openjdk-21-jdk', or set JAVA_HOME." >&2
    exit 1
  fi
  export JAVA_HOME="$jdk"
  export PATH="$JAVA_HOME/bin:$PATH"
  # Maven 3.8's bundled Guava touches sun.misc.Unsafe; JDK 24+ warns about it on every run.
  if [[ "$(cairn_java_major "$JAVA_HOME")" -ge 24 ]]; then
    export MAVEN_OPTS="${MAVEN_OPTS:-} --sun-misc-unsafe-memory-access=allow"
  fi
}
