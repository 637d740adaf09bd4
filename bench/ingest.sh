#!/usr/bin/env bash
# Load test of POST /api/v1/events/activity on a local stack (deploy/local/run.sh with a fresh data directory):
# registers BENCH_USERS users, runs wrk at rising concurrency (a random registered user per request), then a
# fixed-rate run (wrk2; else wrk paced by its Lua script, and hey -q), and waits after each run for the outbox backlog to drain. Prints a table;
# raw output goes to bench/results/<timestamp>/. Stops everything at the end.
#
# Environment (all optional):
#   BENCH_USERS=1000  BENCH_CONNECTIONS="8 16 32 64"  BENCH_DURATION=20  BENCH_THREADS=2
#   BENCH_RATE=1500 (fixed-rate run, requests/s)  BENCH_RATE_CONNECTIONS=50 (its connections in all)
#   BENCH_DRAIN_DEADLINE=60 (seconds for the outbox backlog to reach 0)
#   BENCH_WARMUP=10 (seconds of unreported load first, so that the JIT has compiled the hot path)
#   DRIPLOOP_RUN_SERVICES="ingest-api" (the services run.sh starts; the ingest path alone by default)
#   BENCH_KEEP_DATA=1 keeps the stack's data directory (Kafka, PostgreSQL) under the results directory
# Needs curl and wrk (installed with apt-get when missing and run as root); psql is used when present for
# pg_stat_statements, wait-event samples and exact outbox counts.
set -euo pipefail

BENCH_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
USERS="${BENCH_USERS:-1000}"
CONNECTIONS="${BENCH_CONNECTIONS:-8 16 32 64}"
DURATION="${BENCH_DURATION:-20}"
THREADS="${BENCH_THREADS:-2}"
RATE="${BENCH_RATE:-1500}"
RATE_CONNECTIONS="${BENCH_RATE_CONNECTIONS:-50}"
DRAIN_DEADLINE="${BENCH_DRAIN_DEADLINE:-60}"
WARMUP="${BENCH_WARMUP:-10}"
OUT="$BENCH_ROOT/bench/results/$(date +%Y%m%d-%H%M%S)"
mkdir -p "$OUT"
export DRIPLOOP_LOCAL_DATA_DIR="$OUT/data"
export DRIPLOOP_RUN_SERVICES="${DRIPLOOP_RUN_SERVICES:-ingest-api}"
# shellcheck source=bench/lib.sh
source "$BENCH_ROOT/bench/lib.sh"

# ---- tools -------------------------------------------------------------------------------------------------
ensure_tool curl curl
ensure_tool wrk wrk
if command -v wrk2 >/dev/null; then FIXED_RATE_TOOL=wrk2; else ensure_tool hey hey; FIXED_RATE_TOOL=hey; fi
HAVE_PSQL=""
if command -v psql >/dev/null && [ -z "${QUARKUS_DATASOURCE_REACTIVE_URL:-}" ]; then HAVE_PSQL=1; fi
if curl -s -o /dev/null -m 2 http://127.0.0.1:8080/; then dl_die "port 8080 is in use: stop what runs there first"; fi


# ---- the stack ---------------------------------------------------------------------------------------------
if dl_needs_build "$(dl_service_jar ingest-api)"; then dl_build; fi

if [ -n "$HAVE_PSQL" ]; then bench_enable_pg_stat_statements; fi

bench_start_stack DRIPLOOP_RATE_LIMIT_PER_MINUTE=100000000
URL="$DRIPLOOP_INGEST_URL"
export DRIPLOOP_API_KEY BENCH_USERS="$USERS"
if [ -n "$HAVE_PSQL" ]; then sql -c "CREATE EXTENSION IF NOT EXISTS pg_stat_statements" >/dev/null; fi

# ---- users -------------------------------------------------------------------------------------------------
bench_register_users "$URL" "$USERS"

# ---- measurements ------------------------------------------------------------------------------------------
backlog() {
  curl -s -m 5 "$URL/q/metrics" | awk '/^driploop_outbox_backlog/ { print $NF; found = 1 } END { if (!found) print "?" }'
}

# Polls until the backlog gauge (and, with psql, the exact row count) is 0; prints the seconds it took and
# the backlog when it started (outbox rows; with psql the exact count, else the gauge).
drain_time() {
  local start deadline g n first=""
  start=$(now_ms)
  deadline=$((SECONDS + DRAIN_DEADLINE))
  while :; do
    g="$(backlog)"
    n=0
    if [ -n "$HAVE_PSQL" ]; then n="$(sql -c 'SELECT count(*) FROM ingest.outbox' || echo '?')"; fi
    if [ -z "$first" ]; then
      if [ -n "$HAVE_PSQL" ]; then first="$n"; else first="${g%.0}"; fi
    fi
    if awk -v g="$g" 'BEGIN { exit !(g + 0 == 0 && g != "?") }' && [ "$n" = 0 ]; then
      awk -v ms=$(($(now_ms) - start)) -v f="$first" 'BEGIN { printf "%.1f(%s)", ms / 1000, f }'
      return 0
    fi
    if [ "$SECONDS" -ge "$deadline" ]; then
      echo "timeout($first->$n)"
      return 0
    fi
    sleep 0.25
  done
}

CPU_OK=""
if [ -r /proc/stat ]; then CPU_OK=1; fi
INGEST_PID="$(child_pid quarkus-run.jar)"
INFRA_PID="$(child_pid net.driploop.infra.LocalStack)"

# Runs a load command (in the background) while sampling PostgreSQL and CPU; name, then the command.
# Sets LAST_CPU to where the machine's CPU went during the run.
measure() {
  local name="$1" pid sampler="" t0 t1 pgp m0 i0 p0 k0 b0 m1 i1 p1 k1 b1 w0="" w1 a0 a1
  shift
  if [ -n "$HAVE_PSQL" ]; then
    sql -c "SELECT pg_stat_statements_reset()" >/dev/null 2>&1 || true
    w0="$(wal_counters)"
  fi
  a0="$(allocated)"
  pgp="$(pg_pids | tr '\n' ' ')"
  t0=$(now_ms)
  if [ -n "$CPU_OK" ]; then
    # shellcheck disable=SC2086
    m0=$(machine_busy_ticks) i0=$(ticks_of "$INGEST_PID") k0=$(ticks_of "$INFRA_PID") p0=$(ticks_of $pgp) b0=$(ticks_of $$)
  fi
  "$@" >"$OUT/$name.txt" 2>"$OUT/$name.err" &
  pid=$!
  if [ -n "$HAVE_PSQL" ]; then
    (
      while kill -0 "$pid" 2>/dev/null; do
        sql -c "SELECT state || ' ' || coalesce(wait_event_type || ':' || wait_event, 'on-cpu')
                FROM pg_stat_activity WHERE datname = 'driploop' AND state <> 'idle' AND pid <> pg_backend_pid()" \
          || true
        sleep 0.5
      done
    ) >"$OUT/$name.pg-waits.txt" 2>/dev/null &
    sampler=$!
  fi
  wait "$pid" || echo "warning: $name exited with status $?" >&2
  if [ -n "$sampler" ]; then wait "$sampler" 2>/dev/null || true; fi
  t1=$(now_ms)
  curl -s -m 5 "$URL/q/metrics" | grep -E '^driploop_|^http_server_requests_seconds_(count|sum)' >"$OUT/$name.metrics.txt" || true
  if [ -n "$CPU_OK" ]; then
    # shellcheck disable=SC2086
    m1=$(machine_busy_ticks) i1=$(ticks_of "$INGEST_PID") k1=$(ticks_of "$INFRA_PID") p1=$(ticks_of $pgp) b1=$(ticks_of $$)
    LAST_CPU="$(awk -v m=$((m1 - m0)) -v i=$((i1 - i0)) -v p=$((p1 - p0)) -v k=$((k1 - k0)) -v b=$((b1 - b0)) \
      -v hz="$CLK_TCK" -v ms=$((t1 - t0)) 'BEGIN { f = 100 * 1000 / (hz * ms);
        printf "machine %.0f%% = ingest-api %.0f%% + postgres %.0f%% + kafka/smtp JVM %.0f%% + load generator %.0f%% + other processes %.0f%%",
          m * f, i * f, p * f, k * f, b * f, (m - i - p - k - b) * f }')"
  else
    LAST_CPU="(no /proc: CPU not measured)"
  fi
  if [ -n "$HAVE_PSQL" ]; then
    top_statements 12 >"$OUT/$name.pg-statements.txt" 2>&1 || true
    w1="$(wal_counters)"
    a1="$(allocated)"
    if [ -n "$w0" ] && [ -n "$w1" ]; then
      LAST_CPU="$LAST_CPU; $(awk -v a="$w0" -v b="$w1" -v a0="$a0" -v a1="$a1" 'BEGIN { split(a, x, "|"); split(b, y, "|");
        n = y[4] - x[4]; if (n <= 0) n = 1;
        printf "per activity statement: WAL %.0f bytes, %.2f records, %.3f full-page images; ingest-api heap allocation %.1f KB",
          (y[1] - x[1]) / n, (y[2] - x[2]) / n, (y[3] - x[3]) / n, (a1 - a0) / n / 1024 }')"
    fi
  fi
}
# Bytes ingest-api has allocated on its heap so far (counted at each GC, so exact to about one young generation).
allocated() {
  curl -s -m 5 "$URL/q/metrics" | awk '/^jvm_gc_memory_allocated_bytes_total/ { printf "%.0f", $NF; found = 1 } END { if (!found) print 0 }'
}
# WAL written so far (bytes | records | full-page images) and the activity statements run since the last reset.
wal_counters() {
  sql -F '|' -c "SELECT w.wal_bytes, w.wal_records, w.wal_fpi,
                   (SELECT coalesce(sum(calls), 0) FROM pg_stat_statements WHERE query LIKE 'WITH u AS (%')
                 FROM pg_stat_wal w" 2>/dev/null || true
}


ROWS=()
row() { # test, connections, requests, seconds, non2xx, socket errors, p50 ms, p99 ms, drain
  ROWS+=("$(awk -v t="$1" -v c="$2" -v r="$3" -v s="$4" -v n="$5" -v e="$6" -v p50="$7" -v p99="$8" -v d="$9" \
    'BEGIN { printf "%-16s %5s %10.0f %10.0f %8s %8s %8d %7d %14s", t, c, r / s, (r - n - e) / s, p50, p99, n, e, d }')")
  echo "    ${ROWS[${#ROWS[@]}-1]}"
  echo "    cpu ($1, $2 conns): $LAST_CPU" | tee -a "$OUT/cpu.txt"
}
wrk_row() { # test name, connections, raw file
  bench_wrk_result "$3"
  # shellcheck disable=SC2154  # r_* come from bench_wrk_result
  row "$1" "$2" "$r_requests" "$(awk -v d="$r_duration_us" 'BEGIN { print d / 1e6 }')" "$r_non2xx" "$r_socket_errors" \
    "$(awk -v v="$r_p50_us" 'BEGIN { printf "%.2f", v / 1000 }')" "$(awk -v v="$r_p99_us" 'BEGIN { printf "%.2f", v / 1000 }')" \
    "$(drain_time)"
}
ACTIVITY_URL="$URL/api/v1/events/activity"

echo "load: POST /api/v1/events/activity, $USERS users, ${DURATION}s per run, results in $OUT"
LAST_CPU=""
if [ "$WARMUP" -gt 0 ]; then
  echo "  warm-up: wrk -t$THREADS -c16 for ${WARMUP}s (not reported)..."
  wrk -t"$THREADS" -c16 -d"${WARMUP}s" -s "$BENCH_ROOT/bench/activity.lua" "$ACTIVITY_URL" >"$OUT/warmup.txt" 2>&1 || true
  echo "    outbox drained in $(drain_time) s"
fi
for c in $CONNECTIONS; do
  echo "  wrk -t$THREADS -c$c ..."
  measure "wrk-c$c" wrk -t"$THREADS" -c"$c" -d"${DURATION}s" --latency -s "$BENCH_ROOT/bench/activity.lua" "$ACTIVITY_URL"
  wrk_row wrk "$c" "$OUT/wrk-c$c.txt"
done

# Fixed rate. wrk2 holds the rate itself. Without it: wrk with the paced script (a random user per request), and
# hey -q as a cross-check. hey sends one body, so each hey process has one worker and its own registered user:
# requests for one user never overlap (no row-lock queueing that a real mix of users would not have).
if [ "$FIXED_RATE_TOOL" = wrk2 ]; then
  echo "  wrk2 -R$RATE -c$RATE_CONNECTIONS ..."
  measure "fixed-rate-wrk2" wrk2 -t"$THREADS" -c"$RATE_CONNECTIONS" -d"${DURATION}s" -R"$RATE" --latency \
    -s "$BENCH_ROOT/bench/activity.lua" "$ACTIVITY_URL"
  wrk_row "wrk2@$RATE" "$RATE_CONNECTIONS" "$OUT/fixed-rate-wrk2.txt"
else
  echo "  wrk paced to $RATE req/s, -c$RATE_CONNECTIONS ..."
  export BENCH_RATE_PER_THREAD
  BENCH_RATE_PER_THREAD="$(awk -v r="$RATE" -v t="$THREADS" 'BEGIN { print r / t }')"
  measure "fixed-rate-wrk" wrk -t"$THREADS" -c"$RATE_CONNECTIONS" -d"${DURATION}s" --latency \
    -s "$BENCH_ROOT/bench/activity.lua" "$ACTIVITY_URL"
  unset BENCH_RATE_PER_THREAD
  wrk_row "wrk-paced@$RATE" "$RATE_CONNECTIONS" "$OUT/fixed-rate-wrk.txt"

  procs="$RATE_CONNECTIONS"
  per_worker=$(awk -v r="$RATE" -v w="$procs" 'BEGIN { printf "%.2f", r / w }')
  echo "  hey: $procs processes x 1 worker x $per_worker req/s ..."
  hey_all() {
    local i user pids=()
    for i in $(seq 1 "$procs"); do
      user=$(( (i - 1) * USERS / procs + 1 ))
      hey -z "${DURATION}s" -c 1 -q "$per_worker" -m POST -T application/json -o csv \
        -H "Authorization: Bearer $DRIPLOOP_API_KEY" \
        -d "{\"externalUserId\":\"bench_user_$user\",\"event\":\"login\",\"metadata\":{\"source\":\"bench\"}}" \
        "$ACTIVITY_URL" >"$OUT/fixed-rate-hey-$i.csv" &
      pids+=("$!")
    done
    wait "${pids[@]}"
  }
  measure "fixed-rate-hey" hey_all
  # csv: response-time (s), DNS+dialup, DNS, request-write, response-delay, response-read, status-code, offset
  read -r n non2xx p50 p99 span <<<"$(cat "$OUT"/fixed-rate-hey-*.csv | awk -F, '$1 ~ /^[0-9.]+$/ { print $1, $7, $8 }' \
    | sort -g -k1,1 | awk '{ t[NR] = $1; if ($2 !~ /^2/) bad++; if ($3 > span) span = $3 }
        END { printf "%d %d %.2f %.2f %.2f", NR, bad, t[int(NR * 0.50 + 0.5)] * 1000, t[int(NR * 0.99 + 0.5)] * 1000, span }')"
  row "hey@$RATE" "$RATE_CONNECTIONS" "$n" "$span" "$non2xx" 0 "$p50" "$p99" "$(drain_time)"
fi

# ---- report ------------------------------------------------------------------------------------------------
say ""
say "POST /api/v1/events/activity: $USERS users, ${DURATION}s per run, wrk threads $THREADS, $(nproc 2>/dev/null || echo '?') cores"
say "$(printf '%-16s %5s %10s %10s %8s %8s %8s %7s %14s' test conns 'req/s' 'accepted/s' 'p50 ms' 'p99 ms' non-2xx errors 'drain s(rows)')"
for r in "${ROWS[@]}"; do say "$r"; done
say ""
say "drain s(rows): seconds after the run until driploop_outbox_backlog (and the outbox row count) was 0 (rows left when the run ended)"
say "CPU per run (100% = one core; 'other processes' = everything else on the machine):"
sed 's/^    cpu /  /' "$OUT/cpu.txt" | tee -a "$OUT/summary.txt"
if [ -n "$HAVE_PSQL" ]; then
  last="wrk-c${CONNECTIONS##* }"
  say ""
  say "Busiest statements during $last (pg_stat_statements: calls | total ms | mean ms | % | query):"
  head -n 6 "$OUT/$last.pg-statements.txt" | cut -c1-200 | tee -a "$OUT/summary.txt"
  say "PostgreSQL backends during $last (samples of state and wait event):"
  sort "$OUT/$last.pg-waits.txt" | uniq -c | sort -rn | head -n 8 | tee -a "$OUT/summary.txt"
fi
say ""
say "raw output: $OUT"
