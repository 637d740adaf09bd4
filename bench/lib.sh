#!/usr/bin/env bash
# Shared by the bench scripts: the local-run functions (deploy/local/lib.sh), clean-up on exit, the summary,
# psql on the embedded PostgreSQL, pg_stat_statements, and starting the stack through deploy/local/run.sh.
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

# The pid of run.sh's child whose command line matches (after bench_start_stack).
child_pid() {
  ps -eo pid=,ppid=,args= | awk -v p="$RUN_PID" -v m="$1" '$2 == p && index($0, m) { print $1; exit }'
}

# The embedded PostgreSQL's postmaster and its backends, one pid a line.
pg_pids() {
  local master
  master="$(head -n 1 "$DL_DATA_DIR/postgres/postmaster.pid" 2>/dev/null)" || return 0
  echo "$master"
  ps -o pid= --ppid "$master" 2>/dev/null || true
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
