#!/usr/bin/env bash
# End-to-end benchmark on the whole local stack (deploy/local/run.sh with a fresh data directory, all four services):
# creates an active flow {trigger activity.event "bench_ping", reentry always, steps: [email]}, registers BENCH_USERS
# users, then drives POST /api/v1/events/activity (event bench_ping, a random user per request) at each fixed rate
# of BENCH_RATES with wrk paced by bench/activity.lua. For each rate it reports:
#   API p50/p99        wrk's latency of the API call
#   API→SMTP p50/p99   per correlationId, the email.sent entry's time (email-worker, once the SMTP server accepted
#                      the mail) minus the api.request entry's time (ingest-api), both from flow.automation_log
#                      (what GET /admin/v1/traces/{correlationId} serves); millisecond timestamps
#   backlog            accepted API calls minus emails sent (the services' /q/metrics counters), sampled every
#                      second: its growth per second over the last two thirds of the run, its value at the end, and
#                      the seconds after the run until every email of the run was sent
# A rate counts as sustained when every call was accepted, the backlog grew by less than 2 % of the rate per second
# and ended below one second's worth of calls. Prints a table and the highest sustained rate; raw output (with the busiest
# PostgreSQL statements of each run, rate-N.pg-statements.txt) goes to
# bench/results/e2e-<timestamp>/. Stops everything at the end.
#
# Environment (all optional):
#   BENCH_RATES="50 200 500"   API calls/s, one run each     BENCH_DURATION=30 (seconds per run)
#   BENCH_USERS=1000           BENCH_CONNECTIONS=32 (wrk connections)   BENCH_THREADS=2
#   BENCH_WARMUP=120           seconds at 100/s first, not reported (JIT of the whole path)
#   BENCH_DRAIN_DEADLINE=120   seconds after a run for its emails to be sent
#   BENCH_SMTP=sink            the SMTP server: "sink" = bench/email/SmtpSink.java on 127.0.0.1:2526 (the sink of
#                              bench/email.sh); "catcher" = the GreenMail catcher of run.sh (a server that
#                              stores every mail as an .eml file). With QUARKUS_MAILER_HOST (and
#                              _PORT) set, that server is used instead.
#   BENCH_KEEP_DATA=1          keeps the stack's data directory under the results directory
# Needs curl, wrk and psql (installed with apt-get when missing and run as root).
set -euo pipefail

BENCH_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
RATES="${BENCH_RATES:-50 200 500}"
DURATION="${BENCH_DURATION:-30}"
USERS="${BENCH_USERS:-1000}"
CONNECTIONS="${BENCH_CONNECTIONS:-32}"
THREADS="${BENCH_THREADS:-2}"
WARMUP="${BENCH_WARMUP:-120}"
DRAIN_DEADLINE="${BENCH_DRAIN_DEADLINE:-120}"
EVENT=bench_ping
OUT="$BENCH_ROOT/bench/results/e2e-$(date +%Y%m%d-%H%M%S)"
mkdir -p "$OUT"
export DRIPLOOP_LOCAL_DATA_DIR="$OUT/data"
export DRIPLOOP_RUN_SERVICES="ingest-api flow-engine email-worker webhook-worker"
# shellcheck source=bench/lib.sh
source "$BENCH_ROOT/bench/lib.sh"

ensure_tool curl curl
ensure_tool wrk wrk
ensure_tool psql postgresql-client
for var in KAFKA_BOOTSTRAP_SERVERS QUARKUS_DATASOURCE_REACTIVE_URL; do
  [ -z "${!var:-}" ] || dl_die "this benchmark runs on the embedded infrastructure only: unset $var"
done
for port in 8080 8081 8082 8083; do
  if curl -s -o /dev/null -m 2 "http://127.0.0.1:$port/"; then dl_die "port $port is in use: stop what runs there first"; fi
done

# ---- the stack ---------------------------------------------------------------------------------------------
jars=()
for service in $DRIPLOOP_RUN_SERVICES; do jars+=("$(dl_service_jar "$service")"); done
if dl_needs_build "${jars[@]}"; then dl_build; fi

# PostgreSQL with pg_stat_statements (this starts and stops the infrastructure alone: before anything is tracked)
bench_enable_pg_stat_statements

# ---- SMTP --------------------------------------------------------------------------------------------------
smtp_env=()
if [ -n "${QUARKUS_MAILER_HOST:-}" ]; then
  SMTP_USED="external SMTP server $QUARKUS_MAILER_HOST:${QUARKUS_MAILER_PORT:-25}"
elif [ "${BENCH_SMTP:-sink}" = sink ]; then
  sink_port="${BENCH_SMTP_PORT:-2526}"
  "$DL_JAVA" -Xmx256m "$BENCH_ROOT/bench/email/SmtpSink.java" "$sink_port" "$OUT/smtp-arrivals.txt" \
    >"$OUT/smtp-sink.log" 2>&1 &
  dl_track smtp-sink "$!"
  dl_wait_for_line "$OUT/smtp-sink.log" "SINK READY" "$!" 60 || dl_die "the SMTP sink did not start (see $OUT/smtp-sink.log)"
  smtp_env=(QUARKUS_MAILER_HOST=127.0.0.1 QUARKUS_MAILER_PORT="$sink_port")
  SMTP_USED="bench/email/SmtpSink.java (accepts every message, keeps one line each)"
else
  SMTP_USED="the GreenMail catcher of deploy/local/run.sh"
fi

say "machine before: $(uptime)"
bench_start_stack DRIPLOOP_RATE_LIMIT_PER_MINUTE=100000000 ${smtp_env[@]+"${smtp_env[@]}"}
URL="$DRIPLOOP_INGEST_URL"
ENGINE=http://127.0.0.1:8081
EMAIL=http://127.0.0.1:8082
export DRIPLOOP_API_KEY BENCH_USERS="$USERS" BENCH_EVENTS="$EVENT"

sql -c "CREATE EXTENSION IF NOT EXISTS pg_stat_statements" >/dev/null

# ---- the flow and the users --------------------------------------------------------------------------------
dl_call POST "$ENGINE/admin/v1/apps/$DRIPLOOP_APP_ID/flows" "$DRIPLOOP_ADMIN_TOKEN" \
  '{"name":"Bench: immediate email","trigger":{"type":"activity.event","event":"'"$EVENT"'"},"reentry":"always",
    "steps":[{"id":"mail","type":"email","subject":"Ping from {event.metadata.source}","text":"Hello {user.email}"}]}' \
  || dl_die "flow-engine does not answer"
[ "$DL_STATUS" = 201 ] || dl_die "creating the flow answered $DL_STATUS: $DL_BODY"
flow_id="$(dl_json_string id <<<"$DL_BODY")"
dl_call POST "$ENGINE/admin/v1/apps/$DRIPLOOP_APP_ID/flows/$flow_id/activate" "$DRIPLOOP_ADMIN_TOKEN" || dl_die "flow-engine does not answer"
[ "$DL_STATUS" = 200 ] || dl_die "activating the flow answered $DL_STATUS: $DL_BODY"
bench_register_users "$URL" "$USERS"

# ---- measurements ------------------------------------------------------------------------------------------
# A Prometheus counter (the sum of its series matching a pattern) from a service's /q/metrics.
counter() {
  curl -s -m 5 "$1/q/metrics" | awk -v p="$2" '$0 ~ p && $1 !~ /^#/ { s += $NF } END { printf "%d", s }'
}
accepted() { counter "$URL" '^http_server_requests_seconds_count\{.*status="201".*uri="/api/v1/events/activity"'; }
sent() { counter "$EMAIL" '^driploop_email_sent_total'; }

utc_now() { date -u +%Y-%m-%dT%H:%M:%S.%3NZ; }

# The SQL of the activity calls whose api.request entry falls in [from, to): a WITH clause naming them "api".
api_calls() {
  echo "WITH api AS (
      SELECT correlation_id, at FROM flow.automation_log
      WHERE type = 'api.request' AND detail->>'path' = '/api/v1/events/activity' AND at >= '$1' AND at < '$2')"
}

# API→SMTP per correlationId of the calls in [from, to): calls, emails, p50, p99, max (ms).
e2e_latency() {
  sql -F ' ' -c "
    $(api_calls "$1" "$2"),
    mail AS (
      SELECT correlation_id, min(at) AS at FROM flow.automation_log
      WHERE type = 'email.sent' AND at >= '$1' GROUP BY correlation_id),
    d AS (SELECT extract(epoch FROM mail.at - api.at) * 1000 AS ms FROM api LEFT JOIN mail USING (correlation_id))
    SELECT count(*), count(ms),
      coalesce(round(percentile_cont(0.5) WITHIN GROUP (ORDER BY ms)::numeric, 1), -1),
      coalesce(round(percentile_cont(0.99) WITHIN GROUP (ORDER BY ms)::numeric, 1), -1),
      coalesce(round(max(ms)::numeric, 1), -1)
    FROM d"
}

# Where the time of [from, to)'s calls went, hop by hop (p50/p99 ms of each): API call → flow.triggered (outbox,
# Kafka, flow-engine's consumer) → command.published (the execution, the command through flow-engine's outbox) →
# email.sent (email-worker's consumer, ledger and SMTP).
e2e_hops() {
  sql -F ' ' -c "
    $(api_calls "$1" "$2"),
    t AS (
      SELECT api.correlation_id, api.at AS api,
        min(l.at) FILTER (WHERE l.type = 'flow.triggered') AS triggered,
        min(l.at) FILTER (WHERE l.type = 'command.published') AS published,
        min(l.at) FILTER (WHERE l.type = 'email.sent') AS sent
      FROM api JOIN flow.automation_log l USING (correlation_id) GROUP BY api.correlation_id, api.at),
    d AS (SELECT extract(epoch FROM triggered - api) * 1000 AS a, extract(epoch FROM published - triggered) * 1000 AS b,
                 extract(epoch FROM sent - published) * 1000 AS c FROM t)
    SELECT $(for h in a b c; do printf "round(percentile_cont(0.5) WITHIN GROUP (ORDER BY $h)::numeric, 1) || '/' ||
      round(percentile_cont(0.99) WITHIN GROUP (ORDER BY $h)::numeric, 1)%s" "$([ $h = c ] || echo ,)"; done)
    FROM d"
}

# Waits until the api.request entries of [from, to) number the calls accepted and each has its email.sent entry
# (or the deadline): from, to, calls accepted. Prints the seconds it took.
wait_for_emails() {
  local start deadline calls emails
  start=$(now_ms)
  deadline=$((SECONDS + DRAIN_DEADLINE))
  while :; do
    read -r calls emails _ <<<"$(e2e_latency "$1" "$2")"
    if [ "$calls" -ge "$3" ] && [ "$calls" = "$emails" ]; then break; fi
    if [ "$SECONDS" -ge "$deadline" ]; then
      echo "timeout"
      return 0
    fi
    sleep 0.5
  done
  awk -v ms=$(($(now_ms) - start)) 'BEGIN { printf "%.1f", ms / 1000 }'
}

# One paced wrk run while sampling the backlog every second: name, rate. Leaves the samples in $OUT/name.backlog
# ("seconds accepted sent"), the calls accepted in RUN_ACCEPTED and in LAST_CPU where the CPU went:
# "machine/stack/others" (100% = one core; stack = the services, Kafka, SMTP catcher and PostgreSQL; others = not
# the stack nor wrk and this script).
# CPU ticks so far of each part of the stack: "part ticks" lines, the part named by the jar the process runs
# (ingest-api, flow-engine, email-worker, webhook-worker; "infra" = Kafka and the SMTP catcher) or "postgres".
part_ticks() {
  local pid part
  for pid in $(child_pids); do
    part="$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -o -m1 -E 'ingest-api|flow-engine|email-worker|webhook-worker')" \
      || part=infra
    echo "$part $(ticks_of "$pid")"
  done
  for pid in $(pg_pids); do echo "postgres $(ticks_of "$pid")"; done
}

paced_run() {
  local name="$1" rate="$2" pid t0 m0 a0 s0 k0 b0 stack parts0
  export BENCH_RATE_PER_THREAD
  BENCH_RATE_PER_THREAD="$(awk -v r="$rate" -v t="$THREADS" 'BEGIN { print r / t }')"
  stack="$(child_pids | tr '\n' ' ') $(pg_pids | tr '\n' ' ')"
  # shellcheck disable=SC2086
  a0=$(accepted) s0=$(sent) m0=$(machine_busy_ticks) k0=$(ticks_of $stack) b0=$(ticks_of $$) t0=$(now_ms)
  parts0="$(part_ticks)"
  sql -c "SELECT pg_stat_statements_reset()" >/dev/null 2>&1 || true
  wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --latency -s "$BENCH_ROOT/bench/activity.lua" \
    "$URL/api/v1/events/activity" >"$OUT/$name.txt" 2>"$OUT/$name.err" &
  pid=$!
  : >"$OUT/$name.backlog"
  while kill -0 "$pid" 2>/dev/null; do
    sleep 1
    echo "$(( ($(now_ms) - t0) / 1000 )) $(( $(accepted) - a0 )) $(( $(sent) - s0 ))" >>"$OUT/$name.backlog"
  done
  wait "$pid" || echo "warning: wrk exited with status $?" >&2
  RUN_ACCEPTED=$(( $(accepted) - a0 ))
  top_statements 25 >"$OUT/$name.pg-statements.txt" 2>&1 || true
  unset BENCH_RATE_PER_THREAD
  # shellcheck disable=SC2086
  LAST_CPU="$(awk -v m=$(($(machine_busy_ticks) - m0)) -v k=$(($(ticks_of $stack) - k0)) -v b=$(($(ticks_of $$) - b0)) \
    -v hz="$CLK_TCK" -v ms=$(($(now_ms) - t0)) 'BEGIN { f = 100 * 1000 / (hz * ms);
      printf "%.0f%%/%.0f%%/%.0f%%", m * f, k * f, (m - k - b) * f }')"
  # where the stack's CPU went, % of one core per part (postgres backends that came and went in between are missed)
  LAST_PARTS="$( { echo "$parts0" | sed 's/^/0 /'; part_ticks | sed 's/^/1 /'; } | awk -v hz="$CLK_TCK" \
    -v ms=$(($(now_ms) - t0)) '{ t[$2] += ($1 ? $3 : -$3) } END { f = 100 * 1000 / (hz * ms);
      for (p in t) printf "%s %.0f%%  ", p, t[p] * f }')"
}

# From the samples: the backlog's growth per second (least squares over the last two thirds) and its last value.
backlog_trend() {
  awk -v skip="$(awk -v d="$DURATION" 'BEGIN { print d / 3 }')" '
    { b = $2 - $3; last = b }
    $1 >= skip { n++; sx += $1; sy += b; sxx += $1 * $1; sxy += $1 * b }
    END { slope = (n > 1 && n * sxx - sx * sx != 0) ? (n * sxy - sx * sy) / (n * sxx - sx * sx) : 0;
          printf "%.1f %d", slope, last }' "$1"
}

ROWS=()
HOPS=()
PARTS=()
HIGHEST=""
run_rate() { # rate
  local rate="$1" from to drain calls emails p50 p99 max slope last verdict
  echo "  ${rate}/s for ${DURATION}s ..."
  from="$(utc_now)"
  paced_run "rate-$rate" "$rate"
  to="$(utc_now)"
  drain="$(wait_for_emails "$from" "$to" "$RUN_ACCEPTED")"
  read -r calls emails p50 p99 max <<<"$(e2e_latency "$from" "$to")"
  read -r hop_api hop_engine hop_email <<<"$(e2e_hops "$from" "$to")"
  HOPS+=("$(printf '%6d %22s %22s %22s' "$rate" "$hop_api" "$hop_engine" "$hop_email")")
  bench_wrk_result "$OUT/rate-$rate.txt"
  read -r slope last <<<"$(backlog_trend "$OUT/rate-$rate.backlog")"
  # shellcheck disable=SC2154  # r_* come from bench_wrk_result
  verdict="$(awk -v r="$rate" -v s="$slope" -v l="$last" -v n="$r_non2xx" -v e="$r_socket_errors" -v d="$drain" \
    'BEGIN { print (n + e == 0 && s < 0.02 * r && l < r && d != "timeout") ? "yes" : "no" }')"
  if [ "$verdict" = yes ]; then HIGHEST="$rate"; fi
  ROWS+=("$(awk -v r="$rate" -v q="$r_requests" -v us="$r_duration_us" -v n="$((r_non2xx + r_socket_errors))" \
    -v a50="$r_p50_us" -v a99="$r_p99_us" -v c="$calls" -v m="$emails" -v e50="$p50" -v e99="$p99" -v emax="$max" \
    -v s="$slope" -v l="$last" -v d="$drain" -v cpu="$LAST_CPU" -v v="$verdict" \
    'BEGIN { printf "%6d %9.1f %6d %8.2f %8.2f %7d %7d %8.1f %8.1f %8.1f %9s %6d %7s %17s %9s",
      r, q / (us / 1e6), n, a50 / 1000, a99 / 1000, c, m, e50, e99, emax, s, l, d, cpu, v }')")
  echo "    ${ROWS[${#ROWS[@]}-1]}"
  PARTS+=("$(printf '%6d  %s' "$rate" "$LAST_PARTS")")
  echo "    cpu by part: $LAST_PARTS"
  echo "    load: $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$OUT/load.txt"
}

echo "load: POST /api/v1/events/activity (event $EVENT) into an immediate-email flow, $USERS users, results in $OUT"
if [ "$WARMUP" -gt 0 ]; then
  echo "  warm-up: 100/s for ${WARMUP}s (not reported)..."
  saved_duration="$DURATION"
  DURATION="$WARMUP"
  from="$(utc_now)"
  paced_run warmup 100
  echo "    emails of the warm-up sent $(wait_for_emails "$from" "$(utc_now)" "$RUN_ACCEPTED") s after it"
  DURATION="$saved_duration"
fi
HEADER="$(printf '%6s %9s %6s %8s %8s %7s %7s %8s %8s %8s %9s %6s %7s %17s %9s' 'rate' 'calls/s' 'non2xx' 'API p50' \
  'API p99' 'calls' 'emails' 'E2E p50' 'E2E p99' 'E2E max' 'backlog/s' 'end' 'drain s' 'cpu m/stack/other' 'sustained')"
echo "    $HEADER"
for rate in $RATES; do run_rate "$rate"; done

# ---- report ------------------------------------------------------------------------------------------------
say ""
say "End to end: POST /api/v1/events/activity → flow-engine → email-worker → SMTP accepted; $USERS users,"
say "${DURATION}s per rate, wrk -t$THREADS -c$CONNECTIONS paced by bench/activity.lua, $(nproc 2>/dev/null || echo '?') cores;"
say "SMTP: $SMTP_USED"
say "$HEADER"
for r in "${ROWS[@]}"; do say "$r"; done
say ""
say "times in ms; E2E = email.sent minus api.request of the same correlationId (flow.automation_log);"
say "backlog/s = growth of (accepted calls - emails sent) per second over the last 2/3 of the run, end = at its end;"
say "drain s = seconds after the run until every email of the run was sent;"
say "cpu = machine/stack/other processes busy (100% = one core; stack = services, Kafka, PostgreSQL; other = neither the"
say "stack nor the load generator)"
say ""
say "where the time went, p50/p99 ms per hop:"
say "$(printf '%6s %22s %22s %22s' rate 'API → flow.triggered' '→ command.published' '→ email.sent')"
for h in "${HOPS[@]}"; do say "$h"; done
say ""
say "where the CPU went, % of one core per part of the stack during each run:"
for c in "${PARTS[@]}"; do say "$c"; done
say ""
say "highest rate sustained without backlog growth: ${HIGHEST:-none of $RATES}/s"
say "load per run: $(tr '\n' ';' <"$OUT/load.txt")"
say "machine after: $(uptime)"
say ""
say "raw output: $OUT"
