#!/usr/bin/env bash
# Durable-timer benchmark of flow-engine on a local stack (deploy/local/run.sh with a fresh data directory):
# creates an active flow {trigger user.registered, reentry always, steps: [wait PT1H]}, then for each scenario
# seeds (with psql and generate_series, straight into PostgreSQL) executions waiting at that step with far-future
# timers ("pending": 10,000, then 1,000,000), and a burst of BENCH_DUE executions whose timers fall due over
# BENCH_DUE_SPREAD seconds from now()+2s. Measures from the database once the burst has been swept:
#   steps/s      burst timers fired / (last execution ended - first due_at)
#   lateness     executions.ended_at - the timer's due_at (the flow ends right after the wait, so ended_at is the
#                time the sweep transaction advanced the execution), p50/p99 with percentile_cont
#   heap MB      sum of jvm_memory_used_bytes{area="heap"} from flow-engine's /q/metrics right after a full GC
#                (jcmd GC.run), before the burst and after it was swept
#   claim ms     the sweep's claim statement: EXPLAIN ANALYZE with nothing due (in a rolled-back transaction), and
#                pg_stat_statements' mean during the burst
# Prints a table; raw output goes to bench/results/timers-<timestamp>/. Stops everything at the end.
#
# Environment (all optional):
#   BENCH_PENDING="10000 1000000"  pending waits per scenario (each scenario tops up the previous one)
#   BENCH_DUE=50000                due timers per burst     BENCH_DUE_SPREAD=5 (seconds the burst's due times span)
#                                  (the default burst, 10,000 due/s, is above what one replica sweeps: lateness then
#                                  is queueing; BENCH_DUE=10000 BENCH_DUE_SPREAD=10 measures it at 1,000 due/s)
#   BENCH_DEADLINE=300             seconds for a burst to be swept
#   BENCH_WARMUP=5000              timers of an unreported first burst (JIT warm-up); 0 = none
#   DRIPLOOP_RUN_SERVICES="ingest-api flow-engine" (run.sh creates its demo app through ingest-api, so it is
#                                  started too; it stays idle)
#   BENCH_KEEP_DATA=1 keeps the stack's data directory under the results directory
# Needs curl and psql; jcmd (from the JDK) for the heap after a full GC.
set -euo pipefail

BENCH_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PENDING_LIST="${BENCH_PENDING:-10000 1000000}"
DUE="${BENCH_DUE:-50000}"
SPREAD="${BENCH_DUE_SPREAD:-5}"
DEADLINE="${BENCH_DEADLINE:-300}"
WARMUP="${BENCH_WARMUP:-5000}"
OUT="$BENCH_ROOT/bench/results/timers-$(date +%Y%m%d-%H%M%S)"
mkdir -p "$OUT"
export DRIPLOOP_LOCAL_DATA_DIR="$OUT/data"
export DRIPLOOP_RUN_SERVICES="${DRIPLOOP_RUN_SERVICES:-ingest-api flow-engine}"
# shellcheck source=bench/lib.sh
source "$BENCH_ROOT/bench/lib.sh"

command -v curl >/dev/null || dl_die "curl is needed"
command -v psql >/dev/null || dl_die "psql is needed (apt-get install postgresql-client)"
[ -z "${QUARKUS_DATASOURCE_REACTIVE_URL:-}" ] || dl_die "this benchmark runs on the embedded PostgreSQL only"
ENGINE="http://127.0.0.1:8081"
if curl -s -o /dev/null -m 2 "$ENGINE/"; then dl_die "port 8081 is in use: stop what runs there first"; fi


# ---- the stack ---------------------------------------------------------------------------------------------
if dl_needs_build "$(dl_service_jar flow-engine)"; then dl_build; fi

bench_enable_pg_stat_statements

bench_start_stack
sql -c "CREATE EXTENSION IF NOT EXISTS pg_stat_statements" >/dev/null

APP_ID="${DRIPLOOP_APP_ID:-}"
[[ "$APP_ID" =~ ^app_[0-9A-HJKMNP-TV-Z]{26}$ ]] || APP_ID="app_01JBENCHT1MERS0000000000AA"

# ---- the flow ----------------------------------------------------------------------------------------------
echo "creating the flow in $APP_ID..."
dl_call POST "$ENGINE/admin/v1/apps/$APP_ID/flows" "$DRIPLOOP_ADMIN_TOKEN" \
  '{"name":"bench timers","trigger":{"type":"user.registered"},"reentry":"always","steps":[{"id":"w","type":"wait","duration":"PT1H"}]}' \
  || dl_die "could not reach flow-engine"
[ "$DL_STATUS" = 201 ] || dl_die "creating the flow answered $DL_STATUS: $DL_BODY"
echo "$DL_BODY" >"$OUT/flow.json"
FLOW_ID="$(dl_json_string id <<<"$DL_BODY")"
dl_call POST "$ENGINE/admin/v1/apps/$APP_ID/flows/$FLOW_ID/activate" "$DRIPLOOP_ADMIN_TOKEN" '' \
  || dl_die "could not reach flow-engine"
[ "$DL_STATUS" = 200 ] || dl_die "activating the flow answered $DL_STATUS: $DL_BODY"
FLOW_VERSION="$(sql -c "SELECT version FROM flow.flows WHERE id = '$FLOW_ID' AND status = 'active'")"
[ -n "$FLOW_VERSION" ] || dl_die "flow $FLOW_ID is not active"
echo "  flow $FLOW_ID version $FLOW_VERSION active"

# The due times of the burst, kept outside the engine's schema (the sweep deletes the timer rows).
sql -c "CREATE TABLE IF NOT EXISTS public.bench_due (execution_id text PRIMARY KEY, scenario int NOT NULL, due_at timestamptz NOT NULL)"

# ---- seeding -----------------------------------------------------------------------------------------------
# Executions waiting at step w, their step row and their timer, ids prefix_from..prefix_to. The timers' due_at:
# an SQL expression over g (the series number).
seed() {
  local prefix="$1" from="$2" to="$3" due_expr="$4"
  sql <<SQL
BEGIN;
INSERT INTO flow.executions (id, app_id, flow_id, flow_version, external_user_id, exclusive, status, current_step,
                             correlation_id, trigger_data, started_at, updated_at)
SELECT '$prefix' || g, '$APP_ID', '$FLOW_ID', $FLOW_VERSION, 'bench_user_' || g, false, 'waiting', 'w',
       'bench-$prefix' || g, '{"event":{"name":"user.registered","metadata":{}}}'::jsonb, now(), now()
FROM generate_series($from, $to) g;
INSERT INTO flow.execution_steps (execution_id, seq, step_id, type, status, started_at, detail)
SELECT '$prefix' || g, 1, 'w', 'wait', 'waiting', now(), '{}'::jsonb FROM generate_series($from, $to) g;
COMMIT;
BEGIN;
INSERT INTO flow.timers (execution_id, step_id, kind, due_at)
SELECT '$prefix' || g, 'w', 'wait', $due_expr FROM generate_series($from, $to) g;
COMMIT;
SQL
}

ENGINE_PID=""
# The heap used after a full GC (jcmd GC.run on flow-engine), so that before/after compare live data, not garbage.
heap_mb() {
  if [ -n "$ENGINE_PID" ] && command -v jcmd >/dev/null; then
    jcmd "$ENGINE_PID" GC.run >/dev/null 2>&1 || true
    sleep 1
  fi
  curl -s -m 5 "$ENGINE/q/metrics" \
    | awk '/^jvm_memory_used_bytes\{/ && /area="heap"/ { s += $NF } END { if (s) printf "%.0f", s / 1048576; else print "?" }'
}

CLAIM_SQL="DELETE FROM flow.timers WHERE id IN (SELECT id FROM flow.timers WHERE due_at <= now() ORDER BY due_at, id LIMIT 500 FOR UPDATE SKIP LOCKED) RETURNING id, execution_id, step_id, kind, due_at"
# The claim with nothing due, rolled back: best of 5 execution times (ms); the plan goes to a file.
claim_idle_ms() {
  local best="" t
  for _ in 1 2 3 4 5; do
    t="$(printf 'BEGIN;\nEXPLAIN (ANALYZE, BUFFERS) %s;\nROLLBACK;\n' "$CLAIM_SQL" | sql | tee "$OUT/$1.claim-plan.txt" \
      | sed -n 's/^Execution Time: \([0-9.]*\) ms$/\1/p')"
    if [ -z "$best" ] || awk -v a="$t" -v b="$best" 'BEGIN { exit !(a < b) }'; then best="$t"; fi
  done
  echo "$best"
}

ENGINE_PID="$(child_pid flow-engine/target/quarkus-app)"
[ -n "$ENGINE_PID" ] || echo "warning: flow-engine's pid not found (no GC before heap readings, no CPU split)" >&2

# Warm-up (not reported): a small burst through the same path, so that the JIT has compiled the sweep.
if [ "$WARMUP" -gt 0 ]; then
  echo "warm-up: $WARMUP timers due over 2 s (not reported)..."
  seed "exe_w_" 1 "$WARMUP" "now() + interval '1 second' + g * interval '2 seconds' / $WARMUP"
  wait_deadline=$((SECONDS + DEADLINE))
  until [ "$(sql -c "SELECT count(*) FROM flow.timers WHERE due_at <= now() + interval '1 day'")" = 0 ]; do
    [ "$SECONDS" -lt "$wait_deadline" ] || { echo "  warm-up timed out"; break; }
    sleep 1
  done
fi

ROWS=()
scenario=0
seeded=0
for pending in $PENDING_LIST; do
  scenario=$((scenario + 1))
  if [ "$pending" -gt "$seeded" ]; then
    echo "scenario $scenario: seeding $((pending - seeded)) more pending waits (to $pending)..."
    t0=$SECONDS
    # chunks of 200,000, so that no single transaction grows too large
    from=$((seeded + 1))
    while [ "$from" -le "$pending" ]; do
      to=$((from + 199999)); [ "$to" -le "$pending" ] || to="$pending"
      seed "exe_p_" "$from" "$to" "now() + interval '30 days' + g * interval '1 second'"
      from=$((to + 1))
    done
    seeded="$pending"
    echo "  seeded in $((SECONDS - t0)) s"
  fi
  sql -c "VACUUM ANALYZE flow.timers" -c "VACUUM ANALYZE flow.executions" -c "VACUUM ANALYZE flow.execution_steps"
  pending_now="$(sql -c "SELECT count(*) FROM flow.timers")"
  sleep 3
  idle_ms="$(claim_idle_ms "s$scenario-before")"
  heap_before="$(heap_mb)"
  sql -c "SELECT pg_stat_statements_reset()" >/dev/null
  curl -s -m 5 "$ENGINE/q/metrics" >"$OUT/s$scenario-metrics-before.txt" || true
  read -r busy0 total0 < <(machine_busy)
  pgp="$(pg_pids | tr '\n' ' ')"
  # shellcheck disable=SC2086
  e0=$(ticks_of $ENGINE_PID) p0=$(ticks_of $pgp) w0=$(date +%s%N)
  echo "  seeding the burst's $DUE executions (their timers follow)..."
  # The burst: executions and steps first, then the timers in one short transaction, due from now()+2s over SPREAD s.
  prefix="exe_d${scenario}_"
  sql <<SQL
BEGIN;
INSERT INTO flow.executions (id, app_id, flow_id, flow_version, external_user_id, exclusive, status, current_step,
                             correlation_id, trigger_data, started_at, updated_at)
SELECT '$prefix' || g, '$APP_ID', '$FLOW_ID', $FLOW_VERSION, 'bench_due_' || g, false, 'waiting', 'w',
       'bench-$prefix' || g, '{"event":{"name":"user.registered","metadata":{}}}'::jsonb, now(), now()
FROM generate_series(1, $DUE) g;
INSERT INTO flow.execution_steps (execution_id, seq, step_id, type, status, started_at, detail)
SELECT '$prefix' || g, 1, 'w', 'wait', 'waiting', now(), '{}'::jsonb FROM generate_series(1, $DUE) g;
COMMIT;
SQL
  echo "  the burst: $DUE timers due from now()+2s over ${SPREAD}s..."
  sql <<SQL
BEGIN;
CREATE TEMP TABLE burst ON COMMIT DROP AS
SELECT '$prefix' || g AS execution_id,
       now() + interval '2 seconds' + ((g - 1) * $SPREAD * 1000.0 / $DUE) * interval '1 millisecond' AS due_at
FROM generate_series(1, $DUE) g;
INSERT INTO flow.timers (execution_id, step_id, kind, due_at) SELECT execution_id, 'w', 'wait', due_at FROM burst;
INSERT INTO public.bench_due SELECT execution_id, $scenario, due_at FROM burst;
COMMIT;
SQL
  committed_lead="$(sql -c "SELECT round(extract(epoch FROM min(due_at) - clock_timestamp()) * 1000) FROM public.bench_due WHERE scenario = $scenario")"
  echo "    committed ${committed_lead} ms before the first due time"
  burst_end="$(sql -c "SELECT max(due_at) FROM public.bench_due WHERE scenario = $scenario")"
  wait_deadline=$((SECONDS + SPREAD + DEADLINE))
  while :; do
    # the burst's timers not yet claimed (the pending ones are due in 30 days); a claim commits with its executions
    left="$(sql -c "SELECT count(*) FROM flow.timers WHERE due_at <= '$burst_end'")"
    [ "$left" = 0 ] && break
    if [ "$SECONDS" -ge "$wait_deadline" ]; then echo "    timeout: $left still waiting"; break; fi
    sleep 1
  done
  read -r busy1 total1 < <(machine_busy)
  # shellcheck disable=SC2086
  e1=$(ticks_of $ENGINE_PID) p1=$(ticks_of $pgp) w1=$(date +%s%N)
  split="$(awk -v e=$((e1 - e0)) -v p=$((p1 - p0)) -v hz="$CLK_TCK" -v ns=$((w1 - w0)) \
    'BEGIN { f = 100 * 1e9 / (hz * ns); printf "flow-engine %.0f%% + postgres %.0f%% of one core", e * f, p * f }')"
  heap_after="$(heap_mb)"
  curl -s -m 5 "$ENGINE/q/metrics" >"$OUT/s$scenario-metrics-after.txt" || true
  cpu="$(awk -v b=$((busy1 - busy0)) -v t=$((total1 - total0)) 'BEGIN { printf "%.0f", t ? 100 * b / t : 0 }')"
  top_statements 15 >"$OUT/s$scenario-pg-statements.txt" 2>&1 || true
  claim="$(sql -c "SELECT calls || ' ' || round(mean_exec_time::numeric, 2) FROM pg_stat_statements
                   WHERE query LIKE 'WITH claimed AS%' OR query LIKE 'DELETE FROM flow.timers WHERE id IN%' ORDER BY calls DESC LIMIT 1")"
  idle_after="$(claim_idle_ms "s$scenario-after")"
  # shellcheck disable=SC2046
  read -r fired rate p50 p99 max_late <<<"$(sql -F ' ' -c "
      SELECT count(*), round(count(*) / nullif(extract(epoch FROM max(e.ended_at) - min(b.due_at)), 0)),
             round((percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM e.ended_at - b.due_at)) * 1000)::numeric),
             round((percentile_cont(0.99) WITHIN GROUP (ORDER BY extract(epoch FROM e.ended_at - b.due_at)) * 1000)::numeric),
             round((max(extract(epoch FROM e.ended_at - b.due_at)) * 1000)::numeric)
      FROM public.bench_due b JOIN flow.executions e ON e.id = b.execution_id
      WHERE b.scenario = $scenario AND e.status = 'completed'")"
  sql -F ' ' -c "SELECT width_bucket(extract(epoch FROM e.ended_at - b.due_at), 0, 30, 30) AS sec, count(*)
                 FROM public.bench_due b JOIN flow.executions e ON e.id = b.execution_id
                 WHERE b.scenario = $scenario AND e.status = 'completed' GROUP BY 1 ORDER BY 1" \
    >"$OUT/s$scenario-lateness-histogram.txt"
  echo "    fired $fired, $rate steps/s, lateness p50 ${p50} ms p99 ${p99} ms (max ${max_late}), heap $heap_before -> $heap_after MB, claim idle ${idle_ms}/${idle_after} ms, during burst ${claim:-?} (calls mean), machine CPU ${cpu}% ($split)"
  echo "scenario $scenario (pending $pending_now): $split, machine busy ${cpu}%" >>"$OUT/cpu.txt"
  ROWS+=("$(printf '%9s %7s %7s %8s %8s %8s %7s %7s %10s %12s %5s' "$pending_now" "$DUE" "$fired" "$rate" "$p50" "$p99" \
    "$heap_before" "$heap_after" "$idle_ms" "${claim#* }" "$cpu")")
done

# ---- report ------------------------------------------------------------------------------------------------
cores="$(nproc 2>/dev/null || echo '?')"
say ""
say "flow-engine durable timers: burst of $DUE due over ${SPREAD}s (from now()+2s), batch 500 / 200 ms sweep, $cores cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
say "$(printf '%9s %7s %7s %8s %8s %8s %7s %7s %10s %12s %5s' pending due fired 'steps/s' 'p50 ms' 'p99 ms' 'heap0' 'heap1' 'claim0 ms' 'claim~ ms' 'cpu%')"
for r in "${ROWS[@]}"; do say "$r"; done
say ""
say "pending: timer rows not yet due when the burst started; steps/s: fired / (last ended_at - first due_at);"
say "p50/p99: executions.ended_at - due_at; heap0/heap1: MB of JVM heap used after a full GC (jcmd GC.run), before the burst / after it was swept;"
say "claim0: EXPLAIN ANALYZE of the claim with nothing due (best of 5); claim~: pg_stat_statements mean of the claim"
say "during the burst; cpu%: the machine's busy CPU during the burst (all processes)."
say "Targets: >= 5000 steps/s, p99 <= 1000 ms, the same claim cost and heap at 1M pending as at 10k."
say ""
say "CPU during each burst (100% = one core):"
tee -a "$OUT/summary.txt" <"$OUT/cpu.txt"
say "Busiest statements in the last burst (calls | total ms | mean ms | % | query):"
head -n 8 "$OUT/s$scenario-pg-statements.txt" | cut -c1-200 | tee -a "$OUT/summary.txt"
say "raw output: $OUT"
