#!/usr/bin/env bash
# Webhook delivery benchmark of webhook-worker on a local stack (deploy/local/run.sh with a fresh data directory,
# webhook-worker alone, private targets allowed). The receiver is net.driploop.infra.WebhookReceiver (local-infra,
# the JDK's HTTP server on 127.0.0.1): its fast port answers 204 at once, its slow port after BENCH_SLOW_DELAY
# seconds. CallWebhook commands go straight onto driploop.webhook-commands.v1 with kcat, as flow-engine would
# publish them (standard payload, BENCH_USERS users of one app), far faster than they are delivered, so each
# scenario measures what the worker sustains:
#   fast   BENCH_COMMANDS commands, all to the fast port
#   mixed  the same number, BENCH_SLOW_SHARE % of them to the slow port, the rest to the fast port
# Measured from PostgreSQL (webhook.deliveries) once every fast command of the scenario is delivered:
#   fast/s     fast deliveries / (last fast delivery recorded - first command of the scenario stored)
#   median/s   the median of the fast deliveries per second, first and last second left out (the steady rate)
#   loss       1 - mixed fast/s / fast fast/s: what the slow target costs the others (target < 10 %)
#   p50/p99    stored -> delivered per fast command (queueing included: the scenario is a backlog)
# and the CPU of each process, the busiest statements (pg_stat_statements), the worker's metrics. Raw output goes to
# bench/results/webhooks-<timestamp>/. Stops everything at the end.
#
# Environment (all optional):
#   BENCH_COMMANDS=60000  BENCH_USERS=10000  BENCH_SLOW_SHARE=10 (%)  BENCH_SLOW_DELAY=10 (s)
#   BENCH_WARMUP=30000 (fast commands first, not reported, so that the JIT has compiled the path; 0 = none)  BENCH_DEADLINE=300 (s per scenario)
#   BENCH_SCENARIOS="fast mixed"  BENCH_RECEIVER_PORTS="9901 9902"
#   DRIPLOOP_RUN_SERVICES="webhook-worker"  BENCH_KEEP_DATA=1 keeps the stack's data under the results directory
#   Worker settings pass through the environment (DRIPLOOP_WEBHOOK_*, DRIPLOOP_JAVA_OPTS); the response timeout is
#   BENCH_SLOW_DELAY + 5 s unless DRIPLOOP_WEBHOOK_RESPONSE_TIMEOUT is set.
# Needs curl, psql and kcat.
set -euo pipefail

BENCH_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
COMMANDS="${BENCH_COMMANDS:-60000}"
USERS="${BENCH_USERS:-10000}"
SLOW_SHARE="${BENCH_SLOW_SHARE:-10}"
SLOW_DELAY="${BENCH_SLOW_DELAY:-10}"
WARMUP="${BENCH_WARMUP:-30000}"
DEADLINE="${BENCH_DEADLINE:-300}"
SCENARIOS="${BENCH_SCENARIOS:-fast mixed}"
read -r FAST_PORT SLOW_PORT <<<"${BENCH_RECEIVER_PORTS:-9901 9902}"
OUT="$BENCH_ROOT/bench/results/webhooks-$(date +%Y%m%d-%H%M%S)"
mkdir -p "$OUT"
export DRIPLOOP_LOCAL_DATA_DIR="$OUT/data"
export DRIPLOOP_RUN_SERVICES="${DRIPLOOP_RUN_SERVICES:-webhook-worker}"
# shellcheck source=bench/lib.sh
source "$BENCH_ROOT/bench/lib.sh"

for tool in curl psql kcat; do
  command -v "$tool" >/dev/null || dl_die "$tool is needed (apt-get install curl postgresql-client kcat)"
done
[ -z "${QUARKUS_DATASOURCE_REACTIVE_URL:-}" ] || dl_die "this benchmark runs on the embedded PostgreSQL only"
[ -z "${KAFKA_BOOTSTRAP_SERVERS:-}" ] || dl_die "this benchmark runs on the embedded Kafka only"
WORKER="http://127.0.0.1:8083"
for port in 8083 "$FAST_PORT" "$SLOW_PORT"; do
  if curl -s -o /dev/null -m 2 "http://127.0.0.1:$port/"; then dl_die "port $port is in use: stop what runs there first"; fi
done

# ---- the stack and the receiver ----------------------------------------------------------------------------
if dl_needs_build "$(dl_service_jar webhook-worker)" "$DL_ROOT/local-infra/target/classes/net/driploop/infra/WebhookReceiver.class"; then
  dl_build
fi
bench_enable_pg_stat_statements
# the slow target's answers come in time (the default response timeout, 10 s, would turn them into timeouts)
bench_start_stack DRIPLOOP_WEBHOOK_ALLOW_PRIVATE_TARGETS=true \
  DRIPLOOP_WEBHOOK_RESPONSE_TIMEOUT="${DRIPLOOP_WEBHOOK_RESPONSE_TIMEOUT:-PT$((SLOW_DELAY + 5))S}"
sql -c "CREATE EXTENSION IF NOT EXISTS pg_stat_statements" >/dev/null
KAFKA="127.0.0.1:${DRIPLOOP_LOCAL_KAFKA_PORT:-9092}"

"$DL_JAVA" -cp "$DL_ROOT/local-infra/target/classes" net.driploop.infra.WebhookReceiver "$FAST_PORT" "$SLOW_PORT" \
  "$SLOW_DELAY" >"$OUT/receiver.log" 2>&1 &
RECEIVER_PID=$!
dl_track receiver "$RECEIVER_PID"
dl_wait_for_line "$OUT/receiver.log" "WEBHOOK RECEIVER READY" "$RECEIVER_PID" 30 || dl_die "the receiver did not start"
receiver_stats() { curl -s -m 5 "http://127.0.0.1:$FAST_PORT/stats" | tr '\n' ' '; }
receiver_fast() { curl -s -m 5 "http://127.0.0.1:$FAST_PORT/stats" | awk '$1 == "fast" { print $2 }'; }

WORKER_PID="$(child_pid webhook-worker/target/quarkus-app)"
INFRA_PID="$(child_pid net.driploop.infra.LocalStack)"
[ -n "$WORKER_PID" ] || dl_die "webhook-worker's pid not found"

APP_ID="app_01JBENCHWEBH00KS0000000000"
# Commands of a scenario as "key<TAB>value" lines: ids exe_<tag>f<n> (fast) and exe_<tag>s<n> (slow); with share > 0,
# exactly share % of them go to the slow port, spread evenly.
commands() {
  local tag="$1" n="$2" share="$3"
  awk -v tag="$tag" -v n="$n" -v share="$share" -v users="$USERS" -v app="$APP_ID" -v fast="$FAST_PORT" \
    -v slow="$SLOW_PORT" -v at="$(date -u +%Y-%m-%dT%H:%M:%S.000Z)" 'BEGIN {
      for (i = 1; i <= n; i++) {
        user = "bench_user_" (i % users)
        is_slow = share > 0 && int(i * share / 100) != int((i - 1) * share / 100)
        kind = is_slow ? "s" : "f"
        port = is_slow ? slow : fast
        exe = "exe_" tag kind i
        printf "%s:%s\t{\"id\":\"%s:notify\",\"appId\":\"%s\",\"externalUserId\":\"%s\",\"flowId\":\"flw_bench\",\"flowVersion\":1,\"executionId\":\"%s\",\"stepId\":\"notify\",\"method\":\"POST\",\"url\":\"http://127.0.0.1:%s/%s/%s\",\"headers\":null,\"body\":null,\"data\":{\"user\":{\"externalUserId\":\"%s\",\"plan\":\"pro\"},\"event\":{\"name\":\"bench\",\"metadata\":{\"n\":%d}}},\"correlationId\":\"cor_%s%d\",\"requestedAt\":\"%s\"}\n", \
          app, user, exe, app, user, exe, port, (is_slow ? "slow" : "fast"), exe, user, i, tag, i, at
      }
    }'
}

produce() {
  kcat -P -b "$KAFKA" -t driploop.webhook-commands.v1 -K $'\t' -l -X linger.ms=5 -X batch.num.messages=10000 \
    -X queue.buffering.max.messages=2000000 "$1"
}

# Waits until every fast command of the scenario is delivered (or the deadline); prints how many are. Watches the
# receiver's count first (cheap), then the table (a scan of the scenario's rows).
wait_fast_delivered() {
  local tag="$1" want="$2" base="$3" deadline=$((SECONDS + DEADLINE)) got
  while [ "$(receiver_fast)" -lt $((base + want)) ] && [ "$SECONDS" -lt "$deadline" ]; do sleep 0.2; done
  while :; do
    got="$(sql -c "SELECT count(*) FROM webhook.deliveries WHERE id LIKE 'exe\\_${tag}f%' AND status = 'delivered'")"
    if [ "$got" -ge "$want" ] || [ "$SECONDS" -ge "$deadline" ]; then echo "$got"; return 0; fi
    sleep 0.5
  done
}

ROWS=()
FAST_RATE_OF_FAST=""
run_scenario() {
  local name="$1" tag="$2" n="$3" share="$4" report="$5" file nfast nslow got base m0 w0 k0 p0 r0 t0 m1 w1 k1 p1 r1 t1 pgp
  file="$OUT/$name.commands"
  commands "$tag" "$n" "$share" >"$file"
  nslow="$(grep -c "exe_${tag}s" "$file" || true)"
  nfast=$((n - nslow))
  echo "scenario $name: $n commands ($nfast fast, $nslow slow after ${SLOW_DELAY}s)..."
  base="$(receiver_fast)"
  sql -c "SELECT pg_stat_statements_reset()" >/dev/null
  pgp="$(pg_pids | tr '\n' ' ')"
  # shellcheck disable=SC2086
  m0=$(machine_busy_ticks) w0=$(ticks_of "$WORKER_PID") k0=$(ticks_of "$INFRA_PID") p0=$(ticks_of $pgp) \
    r0=$(ticks_of "$RECEIVER_PID") t0=$(date +%s%N)
  produce "$file"
  echo "  produced in $(awk -v ns=$(($(date +%s%N) - t0)) 'BEGIN { printf "%.1f", ns / 1e9 }') s; waiting for the fast deliveries..."
  got="$(wait_fast_delivered "$tag" "$nfast" "$base")"
  # shellcheck disable=SC2086
  m1=$(machine_busy_ticks) w1=$(ticks_of "$WORKER_PID") k1=$(ticks_of "$INFRA_PID") p1=$(ticks_of $pgp) \
    r1=$(ticks_of "$RECEIVER_PID") t1=$(date +%s%N)
  local cpu
  cpu="$(awk -v m=$((m1 - m0)) -v w=$((w1 - w0)) -v p=$((p1 - p0)) -v k=$((k1 - k0)) -v r=$((r1 - r0)) \
    -v hz="$CLK_TCK" -v ns=$((t1 - t0)) 'BEGIN { f = 100 * 1e9 / (hz * ns);
      printf "machine %.0f%% = webhook-worker %.0f%% + postgres %.0f%% + kafka JVM %.0f%% + receiver %.0f%% + other %.0f%%",
        m * f, w * f, p * f, k * f, r * f, (m - w - p - k - r) * f }')"
  local stats rate window p50 p99 slow_done slow_pending
  read -r rate window p50 p99 <<<"$(sql -F ' ' -c "
      WITH s AS (SELECT min(created_at) AS t0 FROM webhook.deliveries WHERE id LIKE 'exe\\_${tag}%'),
           f AS (SELECT created_at, updated_at FROM webhook.deliveries WHERE id LIKE 'exe\\_${tag}f%' AND status = 'delivered')
      SELECT round(count(*) / nullif(extract(epoch FROM max(f.updated_at) - min(s.t0)), 0)),
             round(extract(epoch FROM max(f.updated_at) - min(s.t0))::numeric, 1),
             round((percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM f.updated_at - f.created_at)) * 1000)::numeric),
             round((percentile_cont(0.99) WITHIN GROUP (ORDER BY extract(epoch FROM f.updated_at - f.created_at)) * 1000)::numeric)
      FROM f, s")"
  read -r slow_done slow_pending <<<"$(sql -F ' ' -c "
      SELECT count(*) FILTER (WHERE status = 'delivered'), count(*) FILTER (WHERE status = 'pending')
      FROM webhook.deliveries WHERE id LIKE 'exe\\_${tag}s%'")"
  stats="$(receiver_stats)"
  sql -F ' ' -c "SELECT to_char(date_trunc('second', updated_at), 'HH24:MI:SS'), count(*) FILTER (WHERE id LIKE 'exe\\_${tag}f%'),
                        count(*) FILTER (WHERE id LIKE 'exe\\_${tag}s%')
                 FROM webhook.deliveries WHERE id LIKE 'exe\\_${tag}%' AND status = 'delivered' GROUP BY 1 ORDER BY 1" \
    >"$OUT/$name.delivered-per-second.txt"
  top_statements 15 >"$OUT/$name.pg-statements.txt" 2>&1 || true
  curl -s -m 5 "$WORKER/q/metrics" | grep -E '^driploop_' >"$OUT/$name.metrics.txt" || true
  local median
  median="$(awk 'NR > 1 { print prev } { prev = $2 }' "$OUT/$name.delivered-per-second.txt" | sed 1d | sort -n \
    | awk '{ v[NR] = $1 } END { print NR ? v[int((NR + 1) / 2)] : "-" }')"
  echo "  $got/$nfast fast delivered: $rate fast/s over $window s (median $median/s), stored->delivered p50 $p50 ms p99 $p99 ms;" \
    "slow: $slow_done delivered, $slow_pending pending; receiver: $stats"
  echo "  cpu: $cpu"
  if [ "$report" = 1 ]; then
    if [ "$name" = fast ]; then FAST_RATE_OF_FAST="$rate"; fi
    local loss="-"
    if [ "$name" != fast ] && [ -n "$FAST_RATE_OF_FAST" ]; then
      loss="$(awk -v a="$rate" -v b="$FAST_RATE_OF_FAST" 'BEGIN { printf "%.1f%%", 100 * (1 - a / b) }')"
    fi
    ROWS+=("$(printf '%-7s %8s %7s %6s %9s %8s %8s %7s %8s %8s %9s %10s' "$name" "$n" "$nfast" "$nslow" "$got" "$rate" \
      "$median" "$loss" "$window" "$p50" "$p99" "$slow_done/$slow_pending")")
    echo "$name: $cpu" >>"$OUT/cpu.txt"
  fi
}

say "load before: $(uptime)"
top -bn1 | head -n 15 >"$OUT/top-before.txt" 2>/dev/null || true
if [ "$WARMUP" -gt 0 ]; then run_scenario warmup w "$WARMUP" 0 0; fi
for scenario in $SCENARIOS; do
  case "$scenario" in
    fast) run_scenario fast a "$COMMANDS" 0 1 ;;
    mixed) run_scenario mixed b "$COMMANDS" "$SLOW_SHARE" 1 ;;
    *) dl_die "unknown scenario $scenario (fast, mixed)" ;;
  esac
done
top -bn1 | head -n 15 >"$OUT/top-after.txt" 2>/dev/null || true

# ---- report ------------------------------------------------------------------------------------------------
say ""
say "webhook-worker deliveries: $COMMANDS commands per scenario, $USERS users, slow target ${SLOW_SHARE}% at ${SLOW_DELAY}s, $(nproc 2>/dev/null || echo '?') cores"
say "$(printf '%-7s %8s %7s %6s %9s %8s %8s %7s %8s %8s %9s %10s' scenario commands fast slow delivered 'fast/s' 'median/s' loss 'window s' 'p50 ms' 'p99 ms' 'slow d/p')"
for r in "${ROWS[@]}"; do say "$r"; done
say ""
say "fast/s: fast deliveries / (last fast delivery recorded - first command stored); median/s: of the fast deliveries per"
say "second, first and last second left out; loss: fast/s against the fast scenario's;"
say "p50/p99: stored -> delivered (a backlog, so mostly queueing); slow d/p: slow commands delivered / still pending at the end."
say "load after: $(uptime)"
say "CPU per scenario (100% = one core):"
tee -a "$OUT/summary.txt" <"$OUT/cpu.txt"
last="${SCENARIOS##* }"
say "Busiest statements during $last (calls | total ms | mean ms | % | query):"
head -n 8 "$OUT/$last.pg-statements.txt" | cut -c1-200 | tee -a "$OUT/summary.txt"
say "raw output: $OUT"
