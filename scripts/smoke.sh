#!/usr/bin/env bash
# The whole story with curl, as an integrator would try it on a --dev server: register an agency,
# give it a key, post a call, poll as the partner, acknowledge and accept, decline another and see
# it come back on the escalation feed, then read stats, the audit trail and the chain check.
# Any surprise (status, field, state) stops it with a message and a non-zero exit.
set -euo pipefail

usage() {
    cat <<'USAGE'
usage: scripts/smoke.sh [--url URL] [--bin PATH]
  --url URL   test a server already running with --dev (e.g. http://127.0.0.1:8080)
  --bin PATH  rcrp-router binary to start with --dev on a free port (default: the debug build)
Needs curl and jq.
USAGE
}

URL="" BIN=""
while [ $# -gt 0 ]; do
    case $1 in
        --url) URL=$2; shift 2 ;;
        --bin) BIN=$2; shift 2 ;;
        -h|--help) usage; exit 0 ;;
        *) usage >&2; exit 2 ;;
    esac
done
cd "$(dirname "$0")/.."
. scripts/lib/server.sh
for tool in curl jq; do command -v $tool >/dev/null || { echo "smoke: $tool is needed" >&2; exit 2; }; done

WORK=$(mktemp -d "${TMPDIR:-/tmp}/rcrp-smoke.XXXXXX")
cleanup() { stop_server || true; rm -rf "$WORK" "${SERVER_DIR:-}"; }
trap cleanup EXIT
if [ -z "$URL" ]; then
    [ -n "$BIN" ] || BIN=$(default_binary)
    start_server "$BIN"
    URL=$SERVER_URL
fi
echo "smoke: against $URL"

fail() { echo "smoke: FAILED: $*" >&2; [ -s "$WORK/body" ] && { echo "--- last response body:" >&2; head -c 2000 "$WORK/body" >&2; echo >&2; }; exit 1; }
step() { echo "smoke: $*"; }

# call METHOD PATH KEY [JSON] [curl args...]: the status goes to $STATUS, the body to $WORK/body.
call() {
    local method=$1 path=$2 key=$3; shift 3
    local args=(-sS -o "$WORK/body" -w '%{http_code}' -X "$method" -D "$WORK/headers")
    [ -n "$key" ] && args+=(-H "Authorization: Bearer $key")
    if [ $# -gt 0 ] && [ "${1:0:1}" = "{" ]; then
        args+=(-H 'Content-Type: application/json' --data-binary "$1"); shift
    fi
    STATUS=$(curl "${args[@]}" "$@" "$URL$path") || fail "$method $path: curl could not connect"
}
expect() {  # expect STATUS what
    [ "$STATUS" = "$1" ] || fail "$2: expected HTTP $1, got $STATUS"
}
field() { jq -r "$1" "$WORK/body"; }
check() {  # check JQ-EXPRESSION what: the expression must be true of the last body
    jq -e "$1" "$WORK/body" >/dev/null || fail "$2 (jq: $1)"
}

RUN=$(date +%s)-$$
AREA="E99$(printf '%06d' $((RANDOM * 32 + RANDOM % 32)))"

step "service endpoints"
call GET /healthz ""; expect 200 "GET /healthz"
call GET /readyz ""; expect 200 "GET /readyz"
grep -qi '^x-request-id:' "$WORK/headers" || fail "no X-Request-ID on /readyz"
call GET /metrics ""; expect 200 "GET /metrics"
call GET /openapi.yaml ""; expect 200 "GET /openapi.yaml"
grep -q '^openapi: 3.1' "$WORK/body" || fail "/openapi.yaml is not OpenAPI 3.1"

step "no key, unknown key and wrong role are refused"
call GET /v1/rules ""; expect 401 "GET /v1/rules without a key"
check '.status == 401 and (.request_id | length > 0)' "401 is problem+json with request_id"
call GET /v1/rules "not-a-key"; expect 401 "GET /v1/rules with an unknown key"
call GET /v1/audit dev-control-room; expect 403 "control room reading the audit"

CALL_BODY=$(cat <<JSON
{"incident_ref": "SMOKE-$RUN-1", "call_type": "concern_for_welfare",
 "caller": {"type": "public", "name": "A. Caller", "phone": "07700900123"},
 "subject": {"name": "B. Person", "age": 34, "reference": "SMOKE-P-$RUN", "mha_status": "none"},
 "location": {"address": "1 High St", "area": "$AREA", "setting": "home"},
 "risk": {"threat_to_life": false, "serious_harm": false, "immediacy": "none", "crime": "none",
          "violence": false, "child_at_risk": false, "lacks_capacity": false, "whereabouts_known": true,
          "intelligence_of_harm": "no", "medical_need": false, "care_need": true},
 "partner_steps_taken": [], "notes": "Neighbour has not seen her for a week."}
JSON
)

step "triage without recording: a welfare call with a care need is handed off, not attended"
call POST /v1/triage dev-control-room "$CALL_BODY"; expect 200 "POST /v1/triage"
check '.outcome == "handoff" and .police_attend == false' "a care-need welfare concern is a handoff without police"
check '(.handoffs | length) >= 1 and (.explanation | type) == "object"' "triage names a receiving agency and explains"
KIND=$(field '.handoffs[0].agency_kind')
[ -n "$KIND" ] && [ "$KIND" != null ] || fail "no agency kind in the triage answer"

step "admin registers a $KIND agency for area $AREA and issues its key"
AGENCY="smoke-$RUN"
call POST /v1/agencies dev-admin "{\"id\": \"$AGENCY\", \"name\": \"Smoke Test Partner\", \"kind\": \"$KIND\", \"areas\": [\"$AREA\"], \"contact\": {\"phone\": \"0800 000 000\", \"email\": \"duty@example.org\"}, \"acknowledge_within_minutes\": 10, \"accept_within_minutes\": 30}"
expect 201 "POST /v1/agencies"
check ".id == \"$AGENCY\"" "the new agency is answered back"
call POST "/v1/agencies/$AGENCY/keys" dev-admin; expect 201 "POST /v1/agencies/$AGENCY/keys"
PARTNER_KEY=$(field .key)
[ -n "$PARTNER_KEY" ] && [ "$PARTNER_KEY" != null ] || fail "no key issued"
call POST /v1/agencies dev-control-room "{\"id\": \"$AGENCY-x\", \"name\": \"X\", \"kind\": \"other\", \"areas\": [\"*\"]}"
expect 403 "control room registering an agency"

step "the partner starts a long poll before the call exists"
call GET "/v1/agencies/$AGENCY/handoffs?wait=0" "$PARTNER_KEY"; expect 200 "first poll"
CURSOR=$(field .next_cursor)
POLL_ARGS="wait=10"; [ "$CURSOR" != null ] && POLL_ARGS="after=$CURSOR&wait=10"
curl -sS -o "$WORK/poll" -w '%{http_code}' -H "Authorization: Bearer $PARTNER_KEY" \
    "$URL/v1/agencies/$AGENCY/handoffs?$POLL_ARGS" >"$WORK/poll-status" &
POLLER=$!
sleep 0.3

step "the control room posts the call (with an Idempotency-Key)"
call POST /v1/calls dev-control-room "$CALL_BODY" -H "Idempotency-Key: smoke-$RUN-1"; expect 201 "POST /v1/calls"
check '.outcome == "handoff" and (.call_id | length > 0) and (.decision_id | length > 0)' "the call is recorded with ids"
check "[.handoffs[] | select(.agency_id == \"$AGENCY\" and .status == \"pending\")] | length == 1" "the handoff goes to the most specific agency"
CALL1=$(field .call_id)
HANDOFF1=$(field ".handoffs[] | select(.agency_id == \"$AGENCY\") | .handoff_id")
cp "$WORK/body" "$WORK/first-answer"
call POST /v1/calls dev-control-room "$CALL_BODY" -H "Idempotency-Key: smoke-$RUN-1"; expect 201 "the same POST again"
cmp -s "$WORK/body" "$WORK/first-answer" || fail "a repeated Idempotency-Key did not return the first answer"
call POST /v1/calls dev-control-room "${CALL_BODY/Neighbour/Sister}" -H "Idempotency-Key: smoke-$RUN-1"; expect 422 "an Idempotency-Key reused with another body"

step "the waiting partner poll wakes with the handoff"
wait $POLLER || fail "the long poll failed"
[ "$(cat "$WORK/poll-status")" = 200 ] || fail "long poll answered $(cat "$WORK/poll-status")"
jq -e "[.handoffs[] | select(.handoff_id == \"$HANDOFF1\")] | length == 1" "$WORK/poll" >/dev/null || fail "the long poll did not return the new handoff"

step "the partner acknowledges and accepts; repeats are harmless; a contradiction is 409"
call POST "/v1/handoffs/$HANDOFF1/acknowledge" "$PARTNER_KEY" '{"by": "Duty nurse"}'; expect 200 "acknowledge"
check '.status == "acknowledged"' "acknowledged"
call POST "/v1/handoffs/$HANDOFF1/accept" "$PARTNER_KEY" '{"by": "Duty nurse", "note": "Visiting within the hour"}'; expect 200 "accept"
check '.status == "accepted"' "accepted"
call POST "/v1/handoffs/$HANDOFF1/accept" "$PARTNER_KEY" '{"by": "Duty nurse", "note": "Visiting within the hour"}'; expect 200 "accept again"
check '.status == "accepted"' "still accepted"
call POST "/v1/handoffs/$HANDOFF1/decline" "$PARTNER_KEY" '{"by": "Duty nurse", "reason": "no_capacity", "note": "x"}'; expect 409 "declining an accepted handoff"
call GET "/v1/handoffs/$HANDOFF1" dev-agency-demo-police; expect 403 "another agency reading the handoff"

step "a second call; the partner declines it and it comes back on the escalation feed"
call GET "/v1/escalations?wait=0&limit=500" dev-control-room; expect 200 "GET /v1/escalations"
ESC_CURSOR=$(field .next_cursor)
call POST /v1/calls dev-control-room "${CALL_BODY/SMOKE-$RUN-1/SMOKE-$RUN-2}"; expect 201 "second POST /v1/calls"
HANDOFF2=$(field ".handoffs[] | select(.agency_id == \"$AGENCY\") | .handoff_id")
[ -n "$HANDOFF2" ] || fail "second call made no handoff to $AGENCY"
call POST "/v1/handoffs/$HANDOFF2/decline" "$PARTNER_KEY" '{"by": "Duty nurse", "reason": "no_capacity", "note": "No one free until tomorrow"}'
expect 200 "decline"
check '.status == "declined"' "declined"
ESC_ARGS="wait=5&limit=500"; [ "$ESC_CURSOR" != null ] && ESC_ARGS="after=$ESC_CURSOR&$ESC_ARGS"
call GET "/v1/escalations?$ESC_ARGS" dev-control-room; expect 200 "escalation poll"
check "[.escalations[] | select(.handoff_id == \"$HANDOFF2\" and .status == \"declined\")] | length == 1" "the declined handoff is on the escalation feed"

step "the control room records that the caller was told; reads the call"
call POST "/v1/calls/$CALL1/caller-informed" dev-control-room '{"by": "Call handler 42"}'; expect 200 "caller-informed"
call GET "/v1/calls/$CALL1" dev-control-room; expect 200 "GET /v1/calls/{id}"
check "(.decisions | length) >= 1 and ([.handoffs[] | select(.handoff_id == \"$HANDOFF1\" and .status == \"accepted\")] | length == 1)" "the call shows its decision and its accepted handoff"

step "a third call about the same person is flagged as repeat contact"
call POST /v1/calls dev-control-room "${CALL_BODY/SMOKE-$RUN-1/SMOKE-$RUN-3}"; expect 201 "third POST /v1/calls"
check '.flags | index("repeat_contact") != null' "three calls in 30 days carry repeat_contact"

step "supervisor reads the stats"
call GET /v1/stats dev-supervisor; expect 200 "GET /v1/stats"
check '.calls.total >= 3 and .escalations >= 1 and .officer_hours_released > 0' "stats count the calls, the escalation and the hours released"

step "auditor reads the ledger and verifies the chain"
call GET "/v1/audit?limit=500" dev-auditor; expect 200 "GET /v1/audit"
check '(.records | length) > 0 and (.records[0].seq == 1)' "the audit starts at record 1"
check '[.records[] | select(.type | test("read"))] | length > 0' "reads of personal data are on record"
call GET /v1/audit/verify dev-auditor; expect 200 "GET /v1/audit/verify"
check '.ok == true and .records > 0' "the hash chain verifies"

step "the admin deactivates the agency"
call DELETE "/v1/agencies/$AGENCY" dev-admin; expect 200 "DELETE /v1/agencies/$AGENCY"

echo "smoke: all good"
