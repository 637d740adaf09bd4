#!/usr/bin/env bash
# Prints the timeline of one correlationId: every automation-log entry of every service, from flow-engine's
# GET /admin/v1/traces/{correlationId}, one line each (offset from the first entry, time, service, type, ids, detail).
#
#   deploy/local/trace.sh cor_01J...
#
# Environment (all optional):
#   DRIPLOOP_FLOW_URL        flow-engine's base URL (default http://127.0.0.1:8081)
#   DRIPLOOP_ADMIN_TOKEN     admin token (default: the one in the local run's run.env)
#   DRIPLOOP_LOCAL_DATA_DIR  the local run's data directory, where run.env is (default deploy/local/.data)
#   TRACE_JSON=1             print the API's JSON instead
# Needs curl and jq.
set -euo pipefail

# shellcheck source=deploy/local/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

[ $# -eq 1 ] && [[ "$1" == cor_* ]] || dl_die "usage: $0 cor_…  (the correlationId of an API response)"
cid="$1"
command -v curl >/dev/null || dl_die "curl is needed"
[ "${TRACE_JSON:-}" = 1 ] || command -v jq >/dev/null || dl_die "jq is needed (apt-get install jq), or TRACE_JSON=1 for the raw JSON"

url="${DRIPLOOP_FLOW_URL:-http://127.0.0.1:8081}"
token="${DRIPLOOP_ADMIN_TOKEN:-}"
if [ -z "$token" ] && [ -f "$DL_DATA_DIR/run.env" ]; then
  token="$(sed -n 's/^DRIPLOOP_ADMIN_TOKEN=//p' "$DL_DATA_DIR/run.env")"
fi
[ -n "$token" ] || dl_die "no admin token: set DRIPLOOP_ADMIN_TOKEN (or start deploy/local/run.sh, which writes $DL_DATA_DIR/run.env)"

dl_call GET "$url/admin/v1/traces/$cid" "$token" || dl_die "flow-engine does not answer at $url"
case "$DL_STATUS" in
  200) ;;
  404) dl_die "no entries for $cid yet: entries arrive within seconds of the call; check the id" ;;
  401 | 403) dl_die "the admin token was refused (HTTP $DL_STATUS)" ;;
  *) dl_die "HTTP $DL_STATUS: $DL_BODY" ;;
esac
if [ "${TRACE_JSON:-}" = 1 ]; then
  echo "$DL_BODY"
  exit 0
fi

# Times are ISO-8601 UTC with milliseconds; jq's date functions take whole seconds, so the fraction is added apart.
jq -r '
  def millis: capture("^(?<s>[^.Z]+)(\\.(?<f>[0-9]+))?Z$")
    | ((.s + "Z") | fromdateiso8601) * 1000 + (((.f // "0") + "000")[0:3] | tonumber);
  def seconds: "+\(. / 1000 | floor).\(. % 1000 + 1000 | tostring | .[1:])s";
  def pad($n): . + " " * ([$n - length, 1] | max);
  def short: if type == "string" then . elif type == "array" then map(if type == "object" then (.type // .id // tojson) else tostring end) | join(",")
    else tojson end;
  def details: if .type == "api.request" and .detail.method then
      "\(.detail.method) \(.detail.path) → \(.detail.status)"
        + (if (.detail.events // []) | length > 0 then "  events=" + (.detail.events | short) else "" end)
        + ((.detail | del(.method, .path, .status, .events) | to_entries | map("  \(.key)=\(.value | short)") | join("")))
    else (.detail // {}) | to_entries | map("\(.key)=\(.value | short)") | join("  ") end;
  def ids: [ (if .flowId then "flow=\(.flowId)" else empty end), (if .executionId then "exec=\(.executionId)" else empty end),
             (if .stepId then "step=\(.stepId)" else empty end) ] | join(" ");
  def distinct(f): reduce (.[] | f // empty) as $v ([]; if index([$v]) then . else . + [$v] end);
  .data as $entries
  | ($entries[0].at | millis) as $t0
  | "\($entries[0].correlationId): \($entries | length) entries from \($entries | distinct(.service) | join(", "))"
      + " (app \($entries | distinct(.appId) | join(",")), user \($entries | distinct(.externalUserId) | join(",")))",
    ($entries[]
      | "  \((.at | millis) - $t0 | seconds | pad(10))\(.at | sub("^[^T]*T"; "") | sub("Z$"; ""))  \(.service | pad(15))\(.type | pad(21))\(details)"
        + (ids | if . != "" then "\n" + " " * 49 + . else "" end))
' <<<"$DL_BODY"
