#!/bin/sh
# flaky: a provider that answers 30% of requests with 503 and 10% not at
# all (the request times out: 5% never arrive, 5% are taken and the answer
# is lost), with bursts of 429 + Retry-After (2 s of
# every 8), for FAULT_FLAKY_N messages (5,000). Every message ends
# delivered or, after max_attempts, expired; no message gets more than
# max_attempts requests (no retry storm).
. "$(dirname "$0")/../../tests/integration/lib.sh"
. "$(dirname "$0")/common.sh"
N=${FAULT_FLAKY_N:-5000}
RATE=2000 TIMEOUT=2 scenario 18640 "$N" L "receipt_wait = 15
max_attempts = 5"
fgok plan --date "$today"
# Timeouts: half of them requests that never arrived, half answers lost
# after the provider took the message (in doubt: sent again with the same
# Idempotency-Key, which the simulator's generic API honours: a replay).
sim_control '{"fail_5xx": 0.3, "timeout": 0.05, "lost_answer": 0.05, "retry_after": 2}'
# 429 bursts, for as long as the scenario runs (stopped by PID).
(while :; do sleep 6; curl -sf -X POST -d '{"fail_429": 1.0}' "http://127.0.0.1:$sim_port/_control" >/dev/null
	sleep 2; curl -sf -X POST -d '{"fail_429": 0}' "http://127.0.0.1:$sim_port/_control" >/dev/null; done) &
bursts=$!
bg_pids="$bg_pids $bursts"
start=$(date +%s)
serve_start
until_done 900
serve_stop
kill "$bursts" 2>/dev/null || true
echo "     served for $(( $(date +%s) - start )) s; $(grep -c 'paused' "$work/serve.err" || true) pauses logged"
most=$(sqlg "SELECT MAX(attempts) FROM messages")
[ "$most" -le 5 ] || problem "a message had $most attempts (max_attempts 5)"
requests=$(sqlg "SELECT COUNT(*) FROM audit_log WHERE event = 'message_attempt'")
echo "     attempts recorded: $requests for $N messages (at most $((5 * N))); most for one message: $most"
[ "$requests" -le $((5 * N)) ] || problem "$requests attempts for $N messages"
tally "flaky provider (503 30%, timeouts 10%, 429 bursts)" 1
