#!/usr/bin/env bash
# Runs Driploop on this machine with nothing installed but a JDK 17: builds if needed, starts Kafka, PostgreSQL
# and an SMTP catcher in one JVM (each unless configured externally), starts every built service, creates a
# demo app and API key, and prints how to call the API. Ctrl-C stops everything.
#
# Environment (all optional):
#   KAFKA_BOOTSTRAP_SERVERS              external Kafka (no embedded broker then)
#   QUARKUS_DATASOURCE_REACTIVE_URL      external PostgreSQL, postgresql://host:port/db (+ _JDBC_URL, _USERNAME,
#                                        _PASSWORD); no embedded PostgreSQL then
#   QUARKUS_MAILER_HOST / _PORT          external SMTP server (no local catcher then)
#   DRIPLOOP_ADMIN_TOKEN                 admin token (generated when unset)
#   DRIPLOOP_WEBHOOK_SECRET_KEY          key encrypting webhook signing secrets (generated once into the data dir)
#   DRIPLOOP_RATE_LIMIT_PER_MINUTE       per-key rate limit (service default 120)
#   DRIPLOOP_LOCAL_DATA_DIR              data and logs (default deploy/local/.data; kept across runs)
#   DRIPLOOP_LOCAL_KAFKA_PORT / _PG_PORT / _SMTP_PORT   ports of the embedded servers (9092 / 5432 / 2525)
#   DRIPLOOP_JAVA_OPTS                   JVM options for the services
#   DRIPLOOP_BUILD_ARGS                  extra Maven arguments (e.g. -o)
#   DRIPLOOP_RUN_SERVICES                only these services, e.g. "ingest-api flow-engine" (default: every built one)
#   DRIPLOOP_RUN_EXIT_AFTER_READY=1      stop everything and exit 0 once ready (a smoke check)
set -euo pipefail

# shellcheck source=deploy/local/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$DL_ROOT"

# One line per service: module name and HTTP port. A service starts only when its jar has been built
# (and, when DRIPLOOP_RUN_SERVICES lists names, only if it is listed there).
ALL_SERVICES=(
  "ingest-api 8080"
  "flow-engine 8081"
  "email-worker 8082"
  "webhook-worker 8083"
)
SERVICES=()
for entry in "${ALL_SERVICES[@]}"; do
  if [ -z "${DRIPLOOP_RUN_SERVICES:-}" ] || [[ " $DRIPLOOP_RUN_SERVICES " == *" ${entry%% *} "* ]]; then
    SERVICES+=("$entry")
  fi
done

trap 'dl_stop_all' EXIT
trap 'echo "interrupted (SIGINT)"; exit 130' INT
trap 'echo "terminated (SIGTERM)"; exit 143' TERM
trap 'echo "hung up (SIGHUP)"; exit 129' HUP

dl_require_java17
command -v curl >/dev/null || dl_die "curl is needed"
rm -f "$DL_DATA_DIR/run.env"

markers=()
for entry in "${SERVICES[@]}"; do
  name="${entry%% *}"
  if [ -f "$name/pom.xml" ]; then markers+=("$(dl_service_jar "$name")"); fi
done
if dl_needs_build ${markers[@]+"${markers[@]}"}; then
  dl_build
fi

# Infrastructure: embedded unless configured from outside.
infra_flags=()
if [ -z "${KAFKA_BOOTSTRAP_SERVERS:-}" ]; then
  infra_flags+=(--kafka)
  export DRIPLOOP_LOCAL_KAFKA_PORT="${DRIPLOOP_LOCAL_KAFKA_PORT:-9092}"
  export KAFKA_BOOTSTRAP_SERVERS="127.0.0.1:$DRIPLOOP_LOCAL_KAFKA_PORT"
fi
if [ -z "${QUARKUS_DATASOURCE_REACTIVE_URL:-}" ]; then
  infra_flags+=(--postgres)
  export DRIPLOOP_LOCAL_PG_PORT="${DRIPLOOP_LOCAL_PG_PORT:-5432}"
  export QUARKUS_DATASOURCE_REACTIVE_URL="postgresql://127.0.0.1:$DRIPLOOP_LOCAL_PG_PORT/driploop"
  export QUARKUS_DATASOURCE_JDBC_URL="jdbc:$QUARKUS_DATASOURCE_REACTIVE_URL"
  export QUARKUS_DATASOURCE_USERNAME=postgres QUARKUS_DATASOURCE_PASSWORD=postgres
else
  export QUARKUS_DATASOURCE_JDBC_URL="${QUARKUS_DATASOURCE_JDBC_URL:-jdbc:$QUARKUS_DATASOURCE_REACTIVE_URL}"
fi
if [ -z "${QUARKUS_MAILER_HOST:-}" ]; then
  infra_flags+=(--smtp)
  export DRIPLOOP_LOCAL_SMTP_PORT="${DRIPLOOP_LOCAL_SMTP_PORT:-2525}"
  export QUARKUS_MAILER_HOST=127.0.0.1 QUARKUS_MAILER_PORT="$DRIPLOOP_LOCAL_SMTP_PORT"
fi
export QUARKUS_MAILER_FROM="${QUARKUS_MAILER_FROM:-Driploop <noreply@driploop.local>}"
export DRIPLOOP_ADMIN_TOKEN="${DRIPLOOP_ADMIN_TOKEN:-$(head -c 32 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n')}"
# The key that encrypts webhook signing secrets at rest: generated once and kept with the local data, so that
# secrets stay readable across runs.
if [ -z "${DRIPLOOP_WEBHOOK_SECRET_KEY:-}" ]; then
  key_file="$DL_DATA_DIR/webhook-secret.key"
  if [ ! -s "$key_file" ]; then
    mkdir -p "$DL_DATA_DIR"
    (umask 077; head -c 32 /dev/urandom | base64 | tr -d '\n' >"$key_file")
  fi
  DRIPLOOP_WEBHOOK_SECRET_KEY="$(cat "$key_file")"
  export DRIPLOOP_WEBHOOK_SECRET_KEY
fi

if [ "${#infra_flags[@]}" -gt 0 ]; then
  echo "starting local infrastructure (${infra_flags[*]})..."
  dl_start_localstack "${infra_flags[@]}" || exit 1
fi

started=()
for entry in "${SERVICES[@]}"; do
  name="${entry%% *}" port="${entry##* }"
  jar="$(dl_service_jar "$name")"
  if [ -f "$jar" ]; then
    echo "starting $name on port $port..."
    dl_start_service "$name" "$port" "$jar"
    started+=("$name $port ${DL_CHILDREN[${#DL_CHILDREN[@]}-1]##* }")
  else
    echo "skipping $name (not built)"
  fi
done
[ "${#started[@]}" -gt 0 ] || dl_die "no service has been built"
ingest=""
for entry in "${started[@]}"; do
  read -r name port _ <<<"$entry"
  if [ "$name" = ingest-api ]; then ingest="http://127.0.0.1:$port"; fi
done

deadline=$((SECONDS + 120))
for entry in "${started[@]}"; do
  read -r name port pid <<<"$entry"
  dl_wait_ready "$name" "$port" "$pid" "$deadline" || exit 1
  echo "  $name ready: http://127.0.0.1:$port"
done

# A demo app and API key, through the admin API (when ingest-api runs).
app_id="" api_key=""
if [ -n "$ingest" ]; then
dl_call POST "$ingest/admin/v1/apps" "$DRIPLOOP_ADMIN_TOKEN" '{"name":"Local demo","deletePolicy":"deactivate"}' \
  || dl_die "could not reach the admin API"
[ "$DL_STATUS" = 201 ] || dl_die "creating the demo app answered $DL_STATUS: $DL_BODY"
app_id="$(dl_json_string id <<<"$DL_BODY")"
dl_call POST "$ingest/admin/v1/apps/$app_id/keys" "$DRIPLOOP_ADMIN_TOKEN" '{"name":"local run"}' \
  || dl_die "could not reach the admin API"
[ "$DL_STATUS" = 201 ] || dl_die "creating the API key answered $DL_STATUS: $DL_BODY"
api_key="$(dl_json_string key <<<"$DL_BODY")"
[ -n "$app_id" ] && [ -n "$api_key" ] || dl_die "unexpected admin API answer: $DL_BODY"
fi

# The same facts for scripts (bench/ingest.sh reads them): written last, so its presence means ready.
(
  umask 077
  printf 'DRIPLOOP_ADMIN_TOKEN=%s\nDRIPLOOP_APP_ID=%s\nDRIPLOOP_API_KEY=%s\nDRIPLOOP_INGEST_URL=%s\n' \
    "$DRIPLOOP_ADMIN_TOKEN" "$app_id" "$api_key" "$ingest" >"$DL_DATA_DIR/run.env.tmp"
  mv "$DL_DATA_DIR/run.env.tmp" "$DL_DATA_DIR/run.env"
)

cat <<EOF

Driploop is running.
  admin token:  $DRIPLOOP_ADMIN_TOKEN
  demo app id:  $app_id
  API key:      $api_key
  logs:         $DL_LOG_DIR/*.log
  settings:     $DL_DATA_DIR/run.env
EOF
if [[ " ${infra_flags[*]-} " == *" --smtp "* ]]; then
  echo "  caught mail:  $DL_DATA_DIR/mail/*.eml (SMTP 127.0.0.1:$QUARKUS_MAILER_PORT)"
fi
if [ -n "$ingest" ]; then
cat <<EOF

Try it:
  curl -sS -X POST '$ingest/api/v1/users' \\
    -H 'Authorization: Bearer $api_key' -H 'Content-Type: application/json' \\
    -d '{"externalUserId":"user_42","email":"ada@example.com","metadata":{"plan":"free","name":"Ada"}}'
  curl -sS -X POST '$ingest/api/v1/events/activity' \\
    -H 'Authorization: Bearer $api_key' -H 'Content-Type: application/json' \\
    -d '{"externalUserId":"user_42","event":"login","metadata":{"source":"web"}}'

EOF
fi

if [ "${DRIPLOOP_RUN_EXIT_AFTER_READY:-}" = 1 ]; then
  exit 0
fi
echo "Press Ctrl-C to stop."
while :; do
  for entry in "${DL_CHILDREN[@]}"; do
    if ! kill -0 "${entry##* }" 2>/dev/null; then
      echo "${entry% *} exited; stopping the rest (see $DL_LOG_DIR/${entry% *}.log)" >&2
      exit 1
    fi
  done
  sleep 1
done
