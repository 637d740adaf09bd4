#!/usr/bin/env bash
# Shared by the bench scripts: the local-run functions (deploy/local/lib.sh), clean-up on exit, the summary, tools,
# clocks, psql on the embedded PostgreSQL, pg_stat_statements, registering users, wrk results (bench/activity.lua),
# and starting the stack through deploy/local/run.sh.
# The sourcing script sets OUT (its results directory) and DRIPLOOP_LOCAL_DATA_DIR first.

# shellcheck source=deploy/local/lib.sh
source "$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/deploy/local/lib.sh"
cd "$DL_ROOT"

RUN_PID=""
PG_PORT="${DRIPLOOP_LOCAL_PG_PORT:-5432}"

bench_cleanup() {
  if [ -n "$RUN_PID" ] && kill -0 "$RUN_PID" 2>/dev/null; then
    echo "stopping the stack..."
    dl_terminate 60 "$RUN_PID"
  fi
  dl_stop_all >/dev/null
  if [ -d "$DL_DATA_DIR/logs" ]; then cp -r "$DL_DATA_DIR/logs" "$OUT/" 2>/dev/null || true; fi
  if [ "${BENCH_KEEP_DATA:-}" != 1 ]; then rm -rf "$DL_DATA_DIR"; fi
}
trap bench_cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

CLK_TCK="$(getconf CLK_TCK 2>/dev/null || echo 100)"
# CPU ticks used so far by pids (and their reaped children).
ticks_of() {
  local pid total=0 stat
  for pid in "$@"; do
    stat="$(cat "/proc/$pid/stat" 2>/dev/null)" || continue
    stat="${stat##*) }"
    # shellcheck disable=SC2086
    set -- $stat
    total=$((total + ${12} + ${13} + ${14} + ${15}))
  done
  echo "$total"
}

say() { echo "$*" | tee -a "$OUT/summary.txt"; }

# The pid of run.sh's child whose command line contains a string.
child_pid() {
  ps -eo pid=,ppid=,args= | awk -v p="$RUN_PID" -v m="$1" '$2 == p && index($0, m) { print $1; exit }'
}
# Every child of run.sh (the services and the local infrastructure JVM).
child_pids() {
  ps -o pid= --ppid "$RUN_PID" 2>/dev/null || true
}
# The embedded PostgreSQL's postmaster and its backends (at the time of the call).
pg_pids() {
  local master
  master="$(head -n 1 "$DL_DATA_DIR/postgres/postmaster.pid" 2>/dev/null)" || return 0
  echo "$master"
  ps -o pid= --ppid "$master" 2>/dev/null || true
}

# A command, else its Debian package installed with apt-get (as root): command, package.
ensure_tool() {
  command -v "$1" >/dev/null && return 0
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "installing $2 (apt-get)..."
    apt-get install -y -q "$2" >"$OUT/apt-$2.log" 2>&1 \
      || { apt-get update -q >>"$OUT/apt-$2.log" 2>&1 && apt-get install -y -q "$2" >>"$OUT/apt-$2.log" 2>&1; } \
      || dl_die "could not install $2 (see $OUT/apt-$2.log)"
  else
    dl_die "$1 is needed: install the $2 package"
  fi
}

now_ms() {
  if [ -n "${EPOCHREALTIME:-}" ]; then
    local t="${EPOCHREALTIME/,/.}"
    echo $(( ${t%.*} * 1000 + 10#$(printf '%.3s' "${t#*.}") ))
  else
    echo $(( $(date +%s) * 1000 ))
  fi
}

# CPU ticks the whole machine has been busy so far.
machine_busy_ticks() {
  awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9 }' /proc/stat
}

# Registers bench_user_1 .. bench_user_N (with an email each) through the API: ingest URL, N.
bench_register_users() {
  local registered
  echo "registering $2 users..."
  seq 1 "$2" | xargs -P 8 -I{} curl -s -o /dev/null -w '%{http_code}\n' -X POST "$1/api/v1/users" \
    -H "Authorization: Bearer $DRIPLOOP_API_KEY" -H 'Content-Type: application/json' \
    -d '{"externalUserId":"bench_user_{}","email":"bench_user_{}@example.com","metadata":{"plan":"free"}}' \
    >"$OUT/users.txt"
  registered=$(grep -c '^20[01]$' "$OUT/users.txt" || true)
  [ "$registered" = "$2" ] || dl_die "only $registered of $2 users registered (status codes in $OUT/users.txt)"
}

# Reads the BENCH_RESULT line that bench/activity.lua prints into r_requests, r_duration_us, r_non2xx,
# r_socket_errors, r_p50_us, r_p99_us: the wrk output file.
bench_wrk_result() {
  local result
  result="$(grep '^BENCH_RESULT' "$1" || true)"
  [ -n "$result" ] || dl_die "wrk printed no result (see $1 and ${1%.txt}.err)"
  eval "$(echo "${result#BENCH_RESULT }" | tr ' ' '\n' | sed 's/^/r_/')"
}

# The busiest statements since the last pg_stat_statements_reset(), $1 of them: calls | total ms | mean ms | % | query.
top_statements() {
  sql -F ' | ' -c "SELECT calls, round(total_exec_time::numeric, 1) AS total_ms, round(mean_exec_time::numeric, 3) AS mean_ms,
                 round((100 * total_exec_time / nullif(sum(total_exec_time) OVER (), 0))::numeric, 1) AS pct,
                 regexp_replace(left(query, 160), '\s+', ' ', 'g') AS query
          FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database WHERE datname = 'driploop')
          ORDER BY total_exec_time DESC LIMIT $1"
}

# The machine's busy and total CPU ticks so far (all cores).
machine_busy() { awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9, $2 + $3 + $4 + $5 + $6 + $7 + $8 + $9 }' /proc/stat; }

sql() {
  PGPASSWORD=postgres psql -h 127.0.0.1 -p "$PG_PORT" -U postgres -d driploop -qAtX -v ON_ERROR_STOP=1 "$@"
}

# A first start of the fresh PostgreSQL only to preload pg_stat_statements (a server setting needs a restart).
bench_enable_pg_stat_statements() {
  echo "preparing PostgreSQL with pg_stat_statements..."
  dl_start_localstack --postgres >/dev/null || exit 1
  sql -c "ALTER SYSTEM SET shared_preload_libraries = 'pg_stat_statements'"
  dl_stop_all >/dev/null
}

# Starts deploy/local/run.sh in the background (extra environment as NAME=value arguments), waits for its
# run.env and reads it.
bench_start_stack() {
  echo "starting the stack (deploy/local/run.sh, services: ${DRIPLOOP_RUN_SERVICES:-all built}, data in $DL_DATA_DIR)..."
  env "$@" "$DL_ROOT/deploy/local/run.sh" >"$OUT/run.log" 2>&1 &
  RUN_PID=$!
  local deadline=$((SECONDS + 300))
  until [ -f "$DL_DATA_DIR/run.env" ]; do
    if ! kill -0 "$RUN_PID" 2>/dev/null || [ "$SECONDS" -ge "$deadline" ]; then
      dl_show_log_tail "$OUT/run.log"
      dl_die "the stack did not start"
    fi
    sleep 0.5
  done
  # shellcheck disable=SC1091
  source "$DL_DATA_DIR/run.env"
}
