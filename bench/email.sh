#!/usr/bin/env bash
# Email delivery benchmark of email-worker on a local stack (deploy/local/run.sh with a fresh data directory,
# only email-worker): publishes BENCH_EMAILS SendEmail commands for BENCH_USERS users to
# driploop.email-commands.v1 (bench/email/EmailLoad.java, as flow-engine publishes them: keyed by user,
# CloudEvents headers) and measures how fast the SMTP server accepts them:
#   emails/s     accepted messages / (last acceptance - first acceptance), as the SMTP server saw them
#   end to end   accepted messages / (last acceptance - the first command published)
#   ledger       email.deliveries rows 'sent' / (last updated_at - first created_at), as the worker recorded them
# and checks that exactly BENCH_EMAILS distinct messages arrived (by Message-ID, which the worker derives from the
# command id) and none twice, that the ledger says 'sent' for each, and that the outbox drains.
#
# SMTP server (BENCH_SMTP):
#   sink       (default) bench/email/SmtpSink.java: accepts everything (ESMTP, PIPELINING), stores one line per
#              message (time, Message-ID); a thread per connection. Started by this script on port 2525.
#   greenmail  the catcher of deploy/local/run.sh (GreenMail in the local-infra JVM, each message written to an
#              .eml file); arrival times are then those of the .eml files.
#
# Environment (all optional):
#   BENCH_EMAILS=20000  BENCH_USERS=5000  BENCH_WARMUP=3000 (unreported emails first, for the JIT)
#   BENCH_SMTP=sink     BENCH_DEADLINE=300 (seconds for a run's emails to arrive)
#   BENCH_WORKER_ENV="DRIPLOOP_EMAIL_CONCURRENCY=64 QUARKUS_MAILER_MAX_POOL_SIZE=16" (extra settings for the worker)
#   DRIPLOOP_JAVA_OPTS  JVM options of the worker      BENCH_KEEP_DATA=1 keeps the data directory
# Prints a summary; raw output goes to bench/results/email-<timestamp>/. Stops everything at the end.
# Run it under the machine-wide lock: flock /tmp/driploop-bench.lock bench/email.sh
# Needs curl and psql; java (17+) runs the load generator and the sink from source.
set -euo pipefail

BENCH_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
EMAILS="${BENCH_EMAILS:-20000}"
USERS="${BENCH_USERS:-5000}"
WARMUP="${BENCH_WARMUP:-3000}"
SMTP="${BENCH_SMTP:-sink}"
DEADLINE="${BENCH_DEADLINE:-300}"
OUT="$BENCH_ROOT/bench/results/email-$(date +%Y%m%d-%H%M%S)"
mkdir -p "$OUT"
export DRIPLOOP_LOCAL_DATA_DIR="$OUT/data"
export DRIPLOOP_RUN_SERVICES="${DRIPLOOP_RUN_SERVICES:-email-worker}"
# shellcheck source=bench/lib.sh
source "$BENCH_ROOT/bench/lib.sh"

command -v curl >/dev/null || dl_die "curl is needed"
command -v psql >/dev/null || dl_die "psql is needed (apt-get install postgresql-client)"
[ -z "${QUARKUS_DATASOURCE_REACTIVE_URL:-}" ] || dl_die "this benchmark runs on the embedded PostgreSQL only"
[ -z "${QUARKUS_MAILER_HOST:-}" ] || dl_die "this benchmark picks its SMTP server itself (BENCH_SMTP=sink|greenmail)"
case "$SMTP" in sink | greenmail) ;; *) dl_die "BENCH_SMTP must be sink or greenmail" ;; esac
WORKER="http://127.0.0.1:8082"
if curl -s -o /dev/null -m 2 "$WORKER/"; then dl_die "port 8082 is in use: stop what runs there first"; fi
SMTP_PORT=2525
if (exec 3<>"/dev/tcp/127.0.0.1/$SMTP_PORT") 2>/dev/null; then dl_die "port $SMTP_PORT is in use: stop what runs there first"; fi

say "load before: $(uptime)"
top -bn1 | head -n 15 >"$OUT/top-before.txt" 2>/dev/null || true

# ---- the stack ---------------------------------------------------------------------------------------------
if dl_needs_build "$(dl_service_jar email-worker)"; then dl_build; fi
CLASSPATH_INFRA="$DL_ROOT/common-model/target/classes:$DL_ROOT/local-infra/target/classes:$(cat "$DL_INFRA_CLASSPATH_FILE")"

bench_enable_pg_stat_statements

SINK_PID=""
stop_sink() {
  if [ -n "$SINK_PID" ] && kill -0 "$SINK_PID" 2>/dev/null; then dl_terminate 10 "$SINK_PID"; fi
}
trap 'stop_sink; bench_cleanup' EXIT
ARRIVALS="$OUT/arrivals.txt"
stack_env=()
if [ "$SMTP" = sink ]; then
  echo "starting the SMTP sink (bench/email/SmtpSink.java) on 127.0.0.1:$SMTP_PORT..."
  "$DL_JAVA" -Xmx256m "$BENCH_ROOT/bench/email/SmtpSink.java" "$SMTP_PORT" "$ARRIVALS" >"$OUT/sink.log" 2>&1 &
  SINK_PID=$!
  dl_wait_for_line "$OUT/sink.log" "SINK READY" "$SINK_PID" 60 || { dl_show_log_tail "$OUT/sink.log"; dl_die "the sink did not start"; }
  stack_env+=(QUARKUS_MAILER_HOST=127.0.0.1 QUARKUS_MAILER_PORT="$SMTP_PORT")
fi
# shellcheck disable=SC2206  # BENCH_WORKER_ENV is a list of NAME=value words
stack_env+=(${BENCH_WORKER_ENV:-})
bench_start_stack ${stack_env[@]+"${stack_env[@]}"}
sql -c "CREATE EXTENSION IF NOT EXISTS pg_stat_statements" >/dev/null

WORKER_PID="$(child_pid email-worker/target/quarkus-app)"
INFRA_PID="$(child_pid net.driploop.infra.LocalStack)"
[ -n "$WORKER_PID" ] || echo "warning: email-worker's pid not found (no CPU split)" >&2
APP_ID="app_bench"

# Messages of run $1 that reached the SMTP server, one line each: epoch ms, Message-ID.
arrivals() {
  if [ "$SMTP" = sink ]; then
    grep -F "exe_$1_" "$ARRIVALS" 2>/dev/null || true
  else
    # the catcher names each file <epoch ms>-<n>.eml when it writes it
    find "$DL_DATA_DIR/mail" -name '*.eml' -print0 2>/dev/null \
      | xargs -0 -r grep -i -m 1 -H '^Message-ID:' 2>/dev/null | grep -F "exe_$1_" \
      | sed -E 's|^.*/([0-9]+)-[0-9]+\.eml:[Mm]essage-[Ii][Dd]: *|\1 |' || true
  fi
}
eml_count() {
  if [ -d "$DL_DATA_DIR/mail" ]; then find "$DL_DATA_DIR/mail" -name '*.eml' | wc -l; else echo 0; fi
}
# How many messages of run $1 reached the SMTP server (greenmail: .eml files written since run $1 started).
arrived() {
  if [ "$SMTP" = sink ]; then
    grep -cF "exe_$1_" "$ARRIVALS" 2>/dev/null || true
  else
    echo $(($(eml_count) - ${EML_BEFORE:-0}))
  fi
}
# Commands of run $1 the ledger has finished (any status but sending/retrying).
finished() {
  sql -c "SELECT count(*) FROM email.deliveries WHERE command_id LIKE 'exe\\_$1\\_%' AND status NOT IN ('sending', 'retrying')"
}
# Publishes $2 commands of run $1; sets PUBLISH_START (epoch ms) and PUBLISH_MS.
publish() {
  local out
  EML_BEFORE="$(eml_count)"
  out="$("$DL_JAVA" -cp "$CLASSPATH_INFRA" "$BENCH_ROOT/bench/email/EmailLoad.java" "$KAFKA_BOOTSTRAP" "$2" "$USERS" \
    "$1" "$APP_ID" 2>"$OUT/load-$1.err")" || { cat "$OUT/load-$1.err" >&2; dl_die "publishing failed"; }
  read -r PUBLISH_START PUBLISH_MS <<<"$out"
}
# Waits until every command of run $1 ($2 of them) has arrived at the SMTP server and is finished in the ledger, or
# the deadline. The ledger is asked only once all have arrived (its query scans the table).
wait_run() {
  local deadline=$((SECONDS + DEADLINE)) done_n=0 got=0
  while :; do
    got="$(arrived "$1")"
    if [ "$got" -ge "$2" ]; then
      done_n="$(finished "$1")"
      if [ "$done_n" -ge "$2" ]; then return 0; fi
    fi
    if [ "$SECONDS" -ge "$deadline" ]; then
      echo "  timeout: arrived $got of $2, ledger finished $(finished "$1")" >&2
      return 0
    fi
    sleep 0.5
  done
}
KAFKA_BOOTSTRAP="127.0.0.1:${DRIPLOOP_LOCAL_KAFKA_PORT:-9092}"

# ---- warm-up -----------------------------------------------------------------------------------------------
if [ "$WARMUP" -gt 0 ]; then
  echo "warm-up: $WARMUP emails (not reported)..."
  publish warm "$WARMUP"
  wait_run warm "$WARMUP"
  sleep 2
fi

# ---- the measured run --------------------------------------------------------------------------------------
TAG="r$(date +%H%M%S)"
sql -c "SELECT pg_stat_statements_reset()" >/dev/null
curl -s -m 5 "$WORKER/q/metrics" | grep -E '^driploop_|^ft_' >"$OUT/metrics-before.txt" || true
pgp="$(pg_pids | tr '\n' ' ')"
read -r busy0 total0 < <(machine_busy)
# shellcheck disable=SC2086
w0=$(ticks_of $WORKER_PID) p0=$(ticks_of $pgp) i0=$(ticks_of $INFRA_PID) s0=$(ticks_of $SINK_PID) t0=$(date +%s%N)
connections0="$(grep -c '^connection ' "$OUT/sink.log" 2>/dev/null || true)"
echo "run $TAG: publishing $EMAILS emails for $USERS users..."
publish "$TAG" "$EMAILS"
echo "  published in $PUBLISH_MS ms; waiting for delivery..."
wait_run "$TAG" "$EMAILS"
# shellcheck disable=SC2086
w1=$(ticks_of $WORKER_PID) p1=$(ticks_of $pgp) i1=$(ticks_of $INFRA_PID) s1=$(ticks_of $SINK_PID) t1=$(date +%s%N)
read -r busy1 total1 < <(machine_busy)
curl -s -m 5 "$WORKER/q/metrics" | grep -E '^driploop_|^ft_' >"$OUT/metrics-after.txt" || true
sql -F ' | ' -c "SELECT calls, round(total_exec_time::numeric, 1) AS total_ms, round(mean_exec_time::numeric, 3) AS mean_ms,
                 round((100 * total_exec_time / nullif(sum(total_exec_time) OVER (), 0))::numeric, 1) AS pct,
                 regexp_replace(left(query, 160), '\s+', ' ', 'g') AS query
          FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database WHERE datname = 'driploop')
          ORDER BY total_exec_time DESC LIMIT 15" >"$OUT/pg-statements.txt" 2>&1 || true

# outbox: DeliveryResult + log entry per email, relayed to Kafka and deleted once acknowledged
drain_deadline=$((SECONDS + 60))
until [ "$(sql -c 'SELECT count(*) FROM email.outbox')" = 0 ] || [ "$SECONDS" -ge "$drain_deadline" ]; do sleep 0.5; done
outbox_left="$(sql -c 'SELECT count(*) FROM email.outbox')"

arrivals "$TAG" | sort -n >"$OUT/arrivals-$TAG.txt"
read -r got distinct doubled first last <<<"$(awk '{ n++; c[$2]++; if (!f || $1 < f) f = $1; if ($1 > l) l = $1 }
  END { for (k in c) { d++; if (c[k] > 1) dup++ } printf "%d %d %d %.0f %.0f", n, d, dup, f, l }' "$OUT/arrivals-$TAG.txt")"
awk '{ c[$2]++ } END { for (k in c) if (c[k] > 1) print c[k], k }' "$OUT/arrivals-$TAG.txt" >"$OUT/doubled-$TAG.txt"
statuses="$(sql -F '=' -c "SELECT status, count(*) FROM email.deliveries WHERE command_id LIKE 'exe\\_${TAG}\\_%' GROUP BY 1 ORDER BY 1" | tr '\n' ' ')"
read -r sent ledger_rate <<<"$(sql -F ' ' -c "SELECT count(*), round(count(*) / nullif(extract(epoch FROM max(updated_at) - min(created_at)), 0))
  FROM email.deliveries WHERE command_id LIKE 'exe\\_${TAG}\\_%' AND status = 'sent'")"
rate="$(awk -v n="$got" -v f="$first" -v l="$last" 'BEGIN { printf "%.0f", (l > f) ? (n - 1) * 1000 / (l - f) : 0 }')"
e2e="$(awk -v n="$got" -v s="$PUBLISH_START" -v l="$last" 'BEGIN { printf "%.0f", (l > s) ? n * 1000 / (l - s) : 0 }')"
cpu="$(awk -v b=$((busy1 - busy0)) -v t=$((total1 - total0)) 'BEGIN { printf "%.0f", t ? 100 * b / t : 0 }')"
split="$(awk -v w=$((w1 - w0)) -v p=$((p1 - p0)) -v i=$((i1 - i0)) -v s=$((s1 - s0)) -v hz="$CLK_TCK" -v ns=$((t1 - t0)) \
  -v smtp="$SMTP" 'BEGIN { f = 100 * 1e9 / (hz * ns);
    printf "email-worker %.0f%% + postgres %.0f%% + %s %.0f%%", w * f, p * f,
      smtp == "sink" ? "kafka JVM" : "kafka+greenmail JVM", i * f;
    if (smtp == "sink") printf " + sink %.0f%%", s * f;
    printf " of one core" }')"

# ---- report ------------------------------------------------------------------------------------------------
cores="$(nproc 2>/dev/null || echo '?')"
smtp_name="SmtpSink (bench/email/SmtpSink.java, PIPELINING, no storage)"
[ "$SMTP" = sink ] || smtp_name="GreenMail catcher of run.sh (each message written to an .eml file)"
say ""
say "email-worker: $EMAILS emails for $USERS users (run $TAG, after $WARMUP warm-up), SMTP server: $smtp_name"
say "worker settings: ${BENCH_WORKER_ENV:-defaults}${DRIPLOOP_JAVA_OPTS:+, JVM $DRIPLOOP_JAVA_OPTS}"
say "  arrived at the SMTP server: $got messages, $distinct distinct Message-IDs, $doubled doubled (expected $EMAILS, 0)"
say "  emails/s (SMTP, first to last acceptance): $rate"
say "  emails/s end to end (first command published to last acceptance): $e2e  (publishing took $PUBLISH_MS ms)"
say "  emails/s in the ledger (sent / (last updated_at - first created_at)): ${ledger_rate:-?}  (ledger: $statuses)"
say "  outbox rows left 60 s after the run: $outbox_left"
say "  CPU during the run: machine ${cpu}% busy of $cores cores; $split"
if [ "$SMTP" = sink ]; then
  say "  SMTP connections opened during the run: $(($(grep -c '^connection ' "$OUT/sink.log" || true) - ${connections0:-0})) (before it: ${connections0:-0})"
fi
say "load after: $(uptime)"
top -bn1 | head -n 15 >"$OUT/top-after.txt" 2>/dev/null || true
say "Busiest statements (pg_stat_statements: calls | total ms | mean ms | % | query):"
head -n 8 "$OUT/pg-statements.txt" | cut -c1-200 | tee -a "$OUT/summary.txt"
say "raw output: $OUT"
if [ "$got" != "$EMAILS" ] || [ "$distinct" != "$EMAILS" ] || [ "$doubled" != 0 ] || [ "$sent" != "$EMAILS" ]; then
  say "CHECK FAILED: expected $EMAILS distinct messages, each once, and $EMAILS 'sent' in the ledger"
  exit 1
fi
