# shellcheck shell=bash
# Functions shared by deploy/local/run.sh and bench/ingest.sh: paths, the build check, starting and stopping
# child processes, polling with deadlines. Source it; it defines functions and DL_* variables only.

DL_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
# A relative DRIPLOOP_LOCAL_DATA_DIR is taken from the caller's directory, before the scripts cd to DL_ROOT.
DL_DATA_DIR="$(mkdir -p "${DRIPLOOP_LOCAL_DATA_DIR:-$DL_ROOT/deploy/local/.data}" \
  && cd "${DRIPLOOP_LOCAL_DATA_DIR:-$DL_ROOT/deploy/local/.data}" && pwd)"
DL_LOG_DIR="$DL_DATA_DIR/logs"
DL_JAVA="${JAVA_HOME:+$JAVA_HOME/bin/}java"
DL_INFRA_CLASSPATH_FILE="$DL_ROOT/local-infra/target/runtime-classpath.txt"

# Children to stop on exit, in start order: "name pid" per entry.
DL_CHILDREN=()

dl_die() {
  echo "error: $*" >&2
  exit 1
}

dl_require_java17() {
  local version
  version="$("$DL_JAVA" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java\.specification\.version = //p')" \
    || dl_die "no java found (install a JDK 17 or set JAVA_HOME)"
  [ -n "$version" ] && [ "${version%%.*}" -ge 17 ] 2>/dev/null \
    || dl_die "java $version found at $DL_JAVA; Driploop needs 17 or newer"
}

# The jar of a service module.
dl_service_jar() {
  echo "$DL_ROOT/$1/target/quarkus-app/quarkus-run.jar"
}

# True when a build is needed: a marker file is missing, or a pom or main source is newer than a jar.
# Arguments: the jars that must exist (the local-infra classpath file is always checked).
dl_needs_build() {
  local jar changed
  [ -f "$DL_INFRA_CLASSPATH_FILE" ] || return 0
  for jar in "$@"; do
    [ -f "$jar" ] || return 0
  done
  for jar in "$@"; do
    changed="$(cd "$DL_ROOT" && find . \( -name target -o -name node_modules -o -name '.?*' \) -prune \
      -o -type f \( -name pom.xml -o -path '*/src/main/*' \) -newer "$jar" -print -quit 2>/dev/null || true)"
    if [ -n "$changed" ]; then
      echo "sources changed since the last build (e.g. ${changed#./})"
      return 0
    fi
  done
  return 1
}

dl_build() {
  echo "building (./mvnw -q -B -DskipTests package; the first build downloads Maven and dependencies)..."
  # DRIPLOOP_BUILD_ARGS: extra Maven arguments, e.g. -o to build offline
  # shellcheck disable=SC2086
  (cd "$DL_ROOT" && ./mvnw -q -B -DskipTests ${DRIPLOOP_BUILD_ARGS:-} package) || dl_die "the build failed"
}

dl_track() {
  DL_CHILDREN+=("$1 $2")
}

# Polls a log file for a line, while the process lives and the deadline (seconds) has not passed.
dl_wait_for_line() {
  local log="$1" line="$2" pid="$3" deadline=$((SECONDS + $4))
  until grep -q "$line" "$log" 2>/dev/null; do
    kill -0 "$pid" 2>/dev/null || return 1
    [ "$SECONDS" -lt "$deadline" ] || return 1
    sleep 0.2
  done
}

dl_show_log_tail() {
  echo "---- last lines of $1 ----" >&2
  tail -n "${2:-40}" "$1" >&2 || true
  echo "----" >&2
}

# Starts net.driploop.infra.LocalStack with the given flags (--kafka --postgres --smtp) and waits until ready.
dl_start_localstack() {
  local log="$DL_LOG_DIR/localstack.log" pid
  mkdir -p "$DL_LOG_DIR"
  # truncate here, not in the child: the wait below must not see the last run's lines
  : >"$log"
  DRIPLOOP_LOCAL_DATA_DIR="$DL_DATA_DIR" "$DL_JAVA" -Djava.util.logging.manager=org.jboss.logmanager.LogManager \
    -cp "$DL_ROOT/local-infra/target/classes:$(cat "$DL_INFRA_CLASSPATH_FILE"):$DL_ROOT/common-model/target/classes" \
    net.driploop.infra.LocalStack "$@" >>"$log" 2>&1 &
  pid=$!
  dl_track localstack "$pid"
  if ! dl_wait_for_line "$log" "LOCALSTACK READY" "$pid" 120; then
    echo "local infrastructure did not start" >&2
    dl_show_log_tail "$log"
    return 1
  fi
  grep -E '^(postgres|kafka|smtp) ' "$log" | sed 's/^/  /' || true
}

# Starts a service jar in the background: name, HTTP port, jar. Logs to $DL_LOG_DIR/name.log.
dl_start_service() {
  local name="$1" port="$2" jar="$3"
  mkdir -p "$DL_LOG_DIR"
  : >"$DL_LOG_DIR/$name.log"
  # shellcheck disable=SC2086
  QUARKUS_HTTP_PORT="$port" "$DL_JAVA" ${DRIPLOOP_JAVA_OPTS:-} -jar "$jar" >>"$DL_LOG_DIR/$name.log" 2>&1 &
  dl_track "$name" "$!"
}

# Polls http://127.0.0.1:port/q/health/ready until 200: name, port, pid, deadline (an absolute $SECONDS).
dl_wait_ready() {
  local name="$1" port="$2" pid="$3" deadline="$4" code
  while :; do
    code="$(curl -s -o /dev/null -m 2 -w '%{http_code}' "http://127.0.0.1:$port/q/health/ready" || true)"
    [ "$code" = 200 ] && return 0
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "$name exited before it was ready" >&2
      dl_show_log_tail "$DL_LOG_DIR/$name.log"
      return 1
    fi
    if [ "$SECONDS" -ge "$deadline" ]; then
      echo "$name was not ready in time (last /q/health/ready status: $code)" >&2
      dl_show_log_tail "$DL_LOG_DIR/$name.log"
      return 1
    fi
    sleep 0.5
  done
}

# Sends SIGTERM to a set of pids and waits for them, then SIGKILL what is left after the deadline (seconds).
dl_terminate() {
  local deadline=$((SECONDS + $1)) pid alive
  shift
  for pid in "$@"; do
    kill -TERM "$pid" 2>/dev/null || true
  done
  while :; do
    alive=()
    for pid in "$@"; do
      if kill -0 "$pid" 2>/dev/null; then alive+=("$pid"); fi
    done
    [ "${#alive[@]}" -eq 0 ] && break
    if [ "$SECONDS" -ge "$deadline" ]; then
      echo "killing ${alive[*]}: did not stop in time" >&2
      kill -KILL "${alive[@]}" 2>/dev/null || true
      break
    fi
    sleep 0.2
  done
  for pid in "$@"; do
    wait "$pid" 2>/dev/null || true
  done
}

# Stops the services first (so that they can flush to Kafka and PostgreSQL), then the infrastructure.
dl_stop_all() {
  local entry services=() infra=()
  [ "${#DL_CHILDREN[@]}" -gt 0 ] || return 0
  for entry in "${DL_CHILDREN[@]}"; do
    case "$entry" in
      localstack\ *) infra+=("${entry#* }") ;;
      *) services+=("${entry#* }") ;;
    esac
  done
  DL_CHILDREN=()
  echo "stopping..."
  # as long as the longest graceful stop (email-worker: sends under way, up to 40 s, then its consumers)
  if [ "${#services[@]}" -gt 0 ]; then dl_terminate 60 "${services[@]}"; fi
  if [ "${#infra[@]}" -gt 0 ]; then dl_terminate 30 "${infra[@]}"; fi
  echo "stopped."
}

# The first string value of a JSON field in stdin (enough for ids and keys; no escaped quotes).
dl_json_string() {
  grep -o "\"$1\" *: *\"[^\"]*\"" | head -n 1 | sed 's/.*: *"\(.*\)"$/\1/'
}

# A JSON call: method, url, bearer token, body. Sets DL_STATUS and DL_BODY.
# shellcheck disable=SC2034  # DL_STATUS and DL_BODY are read by the callers
dl_call() {
  local out
  out="$(curl -sS -m 10 -X "$1" "$2" -H "Authorization: Bearer $3" -H 'Content-Type: application/json' \
    ${4:+-d "$4"} -w '\n%{http_code}')" || return 1
  DL_STATUS="${out##*$'\n'}"
  DL_BODY="${out%$'\n'*}"
}
